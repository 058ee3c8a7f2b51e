"""One Logger, Tracer and Metrics for the whole package (powertools), shared by every function."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    """A business metric (EMF), flushed by the handler's `@metrics.log_metrics`."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
