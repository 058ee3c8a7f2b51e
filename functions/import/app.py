"""Imports and bulk adjustments over HTTP (admin): start, read, list, revert."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.http.resolver import build_resolver
from loyalty.http.routes import imports
from loyalty.observability import logger, metrics, tracer

app = build_resolver(imports.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
