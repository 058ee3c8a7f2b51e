"""Loading function handlers from functions/<name>/app.py and invoking them with a Lambda context."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.template_model import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that handlers and powertools read."""

    function_name: str
    timeout_seconds: int = 30
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


def load_handler(spec: FunctionSpec) -> Handler:
    module_name, _, attribute = spec.handler.rpartition(".")
    module = importlib.import_module(f"{spec.code_dir.strip('/').replace('/', '.')}.{module_name}")
    handler: Handler = getattr(module, attribute)
    return handler


def invoke(spec: FunctionSpec, handler: Handler, event: dict[str, Any]) -> Any:
    return handler(event, LocalLambdaContext(function_name=spec.logical_id, timeout_seconds=spec.timeout))
