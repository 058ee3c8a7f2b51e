"""The local scheduler's reading of EventBridge schedule expressions, and what a firing invokes.

These check the scheduler directly, without a stack; the stack runs the template's schedules
in test_expiry_schedule.py and test_tier_schedule.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local.runtime import Invoker
from infra.local.scheduler import Schedule, Scheduler
from infra.template_model import FunctionSpec, ScheduleSource

STARTED = datetime(2025, 1, 1, 0, 0, 30, tzinfo=UTC)


def schedule(expression: str, timezone: str | None = None, scheduler_input: str | None = None) -> Schedule:
    spec = FunctionSpec("ExpiryFunction", "functions/expiry", "app.lambda_handler", 30, {})
    return Schedule(spec, ScheduleSource("expiry", expression, timezone, scheduler_input))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("expression", "timezone", "after", "expected"),
    [
        ("rate(5 minutes)", None, "2025-01-01T00:00:30+00:00", "2025-01-01T00:05:30+00:00"),
        ("rate(5 minutes)", None, "2025-01-01T00:05:30+00:00", "2025-01-01T00:10:30+00:00"),
        ("rate(1 day)", None, "2025-01-01T12:00:00+00:00", "2025-01-02T00:00:30+00:00"),
        ("cron(0 3 * * ? *)", None, "2025-01-01T03:00:00+00:00", "2025-01-02T03:00:00+00:00"),
        ("cron(0/15 * * * ? *)", None, "2025-01-01T10:07:00+00:00", "2025-01-01T10:15:00+00:00"),
        # 09:00 in Berlin on weekdays: after Friday's run comes Monday's, at 08:00 UTC in winter
        (
            "cron(0 9 ? * MON-FRI *)",
            "Europe/Berlin",
            "2025-01-03T10:00:00+00:00",
            "2025-01-06T08:00:00+00:00",
        ),
        (
            "cron(0 9 ? * MON-FRI *)",
            "Europe/Berlin",
            "2025-07-01T08:00:00+00:00",
            "2025-07-02T07:00:00+00:00",
        ),
        ("cron(0 0 L * ? *)", None, "2024-02-01T00:00:00+00:00", "2024-02-29T00:00:00+00:00"),
        ("cron(0 12 ? * 6#1 *)", None, "2025-01-01T00:00:00+00:00", "2025-01-03T12:00:00+00:00"),
        ("cron(0 12 ? * 5L *)", None, "2025-01-01T00:00:00+00:00", "2025-01-30T12:00:00+00:00"),
        ("cron(30 1 1 JAN ? 2026)", None, "2025-03-01T00:00:00+00:00", "2026-01-01T01:30:00+00:00"),
        (
            "at(2030-01-01T00:00:00)",
            "Asia/Shanghai",
            "2025-01-01T00:00:00+00:00",
            "2029-12-31T16:00:00+00:00",
        ),
    ],
)
def test_the_next_firing_follows_the_expression(expression, timezone, after, expected):
    assert schedule(expression, timezone).next_after(at(after), STARTED) == at(expected)


def test_a_one_time_schedule_in_the_past_never_fires():
    assert schedule("at(2020-01-01T00:00:00)").next_after(STARTED, STARTED) is None


@pytest.mark.parametrize(
    "expression", ["cron(0 3 * * * *)", "cron(0 3 ? * ? *)", "cron(0 3 * *)", "every day"]
)
def test_invalid_expressions_are_refused(expression):
    with pytest.raises(ValueError, match=r"."):
        schedule(expression).next_after(STARTED, STARTED)


class RecordingInvoker(Invoker):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Any:
        self.events.append(event)
        return {"expired_members": 0}


def test_a_due_scheduler_schedule_sends_its_input_with_the_scheduled_time_filled_in():
    # Given an EventBridge Scheduler schedule (ScheduleV2) whose Input carries context attributes
    invoker = RecordingInvoker()
    payload = '{"time": "<aws.scheduler.scheduled-time>", "arn": "<aws.scheduler.schedule-arn>", "n": 1}'
    scheduler = Scheduler(invoker, {"expiry": schedule("cron(0 3 * * ? *)", None, payload)}, "us-east-1")
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    scheduler._next["expiry"] = due

    # When it fires
    scheduler.run_once()

    # Then the function got exactly the Input, attributes replaced, and no envelope
    (event,) = invoker.events
    assert set(event) == {"time", "arn", "n"}
    assert event["time"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert event["arn"].startswith("arn:aws:scheduler:us-east-1:")


def test_a_due_schedule_invokes_its_function_with_a_scheduled_event():
    # Given a scheduler whose daily schedule is due
    invoker = RecordingInvoker()
    scheduler = Scheduler(invoker, {"expiry": schedule("cron(0 3 * * ? *)")}, "us-east-1")
    due = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    scheduler._next["expiry"] = due

    # When it runs a round
    scheduler.run_once()

    # Then the function got EventBridge's Scheduled Event for the due time, and the next run is tomorrow's
    (event,) = invoker.events
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert event["resources"][0].startswith("arn:aws:events:us-east-1:")
    assert scheduler.upcoming()["expiry"] > datetime.now(UTC)
