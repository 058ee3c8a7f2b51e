"""What a scheduled run takes from its invocation: the scheduled time (the run's "now", so a run
can be replayed for any date) and when to stop so the checkpoint is written in time.

The template gives each EventBridge Scheduler schedule an Input shaped like EventBridge's
"Scheduled Event", with `time` filled in by Scheduler; the handlers read it as that event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

SAFETY_MILLIS = 10_000  # stop early enough to write the checkpoint


def scheduled_time(event: EventBridgeEvent) -> datetime:
    return datetime.fromisoformat(event.time)


def nearly_out_of_time(context: LambdaContext) -> Callable[[], bool]:
    return lambda: context.get_remaining_time_in_millis() < SAFETY_MILLIS
