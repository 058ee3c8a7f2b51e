"""One Logger, Tracer and Metrics for the whole package (powertools), shared by every function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit


class _Untraced:
    """The Tracer where powertools would disable it anyway (outside Lambda, under SAM local, or with
    POWERTOOLS_TRACE_DISABLED): a disabled Tracer still imports and builds the X-Ray SDK's recorder,
    about 0.6 s of every cold import, only to record nothing."""

    @staticmethod
    def capture_lambda_handler(handler: Callable[..., Any]) -> Callable[..., Any]:
        return handler


logger = Logger()
# Handlers use only capture_lambda_handler; any other Tracer method would fail every test (they run
# untraced), so the cast cannot hide a break that reaches Lambda.
tracer = cast(Tracer, _Untraced()) if Tracer._is_tracer_disabled() else Tracer()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    """A business metric (EMF), flushed by the handler's `@metrics.log_metrics`."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
