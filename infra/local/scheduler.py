"""The template's schedules, fired on time, and ``POST /_local/schedules/{name}/run``.

Expressions are EventBridge's: ``rate(N minute|minutes|hour|hours|day|days)``, ``at(yyyy-mm-ddThh:mm:ss)``
and ``cron(minutes hours day-of-month month day-of-week year)`` with ``*``, ``?``, lists, ranges,
``/`` steps, month and day names (day-of-week 1-7 is SUN-SAT), ``L`` (last day of the month, or
``5L``: the last Thursday) and ``#`` (``2#1``: the first Monday); ``W`` is not supported. A
schedule's ``ScheduleExpressionTimezone`` applies (rules without one are UTC). A rate fires first
one period after the stack starts. A rule's firing invokes the function with an EventBridge
"Scheduled Event" whose ``time`` is the scheduled time, in UTC; a ScheduleV2 firing sends the
schedule's Input with EventBridge Scheduler's context attributes filled in, as Scheduler does.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.events import ACCOUNT, scheduled_event
from infra.local.runtime import Invoker, Worker
from infra.template_model import FunctionSpec, ScheduleSource, TemplateModel

log = logging.getLogger("infra.local")

_MONTHS = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_DAYS = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_SEARCH_DAYS = 366 * 8  # far enough for any yearly or leap-day expression


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    result: set[int] = set()
    for part in field.upper().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = names.get(first) or int(first), names.get(last) or int(last)
        else:
            start = names.get(base) or int(base)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high):
            raise ValueError(f"{part!r} is outside {low}-{high}")
        result.update(range(start, end + 1, step))
    return result


@dataclass(frozen=True)
class Cron:
    minutes: set[int]
    hours: set[int]
    day_rule: Callable[[date], bool]
    months: set[int]
    years: set[int]

    @classmethod
    def parse(cls, body: str) -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise ValueError(f"cron({body}) needs 6 fields")
        minute, hour, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ValueError(f"cron({body}): exactly one of day-of-month and day-of-week must be '?'")
        day_rule = _day_of_week_rule(dow) if dom == "?" else _day_of_month_rule(dom)
        return cls(
            _values(minute, 0, 59, {}),
            _values(hour, 0, 23, {}),
            day_rule,
            _values(month, 1, 12, _MONTHS),
            _values(year, 1970, 2199, {}),
        )

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        local = after.astimezone(zone)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if day.year in self.years and day.month in self.months and self.day_rule(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                        if candidate > local:
                            return candidate.astimezone(UTC)
            day += timedelta(days=1)
        return None


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # SUN=1 ... SAT=7


def _day_of_month_rule(field: str) -> Callable[[date], bool]:
    if "W" in field.upper():
        raise ValueError("the W (nearest weekday) cron option is not supported locally")
    if field.upper() == "L":
        return lambda day: day.day == calendar.monthrange(day.year, day.month)[1]
    days = _values(field, 1, 31, {})
    return lambda day: day.day in days


def _day_of_week_rule(field: str) -> Callable[[date], bool]:
    upper = field.upper()
    if upper.endswith("L") and len(upper) > 1:
        weekday = _DAYS.get(upper[:-1]) or int(upper[:-1])
        return lambda day: _aws_weekday(day) == weekday and (day + timedelta(days=7)).month != day.month
    if "#" in upper:
        weekday_text, _, nth = upper.partition("#")
        weekday = _DAYS.get(weekday_text) or int(weekday_text)
        return lambda day: _aws_weekday(day) == weekday and (day.day - 1) // 7 + 1 == int(nth)
    days = _values(field, 1, 7, _DAYS)
    return lambda day: _aws_weekday(day) in days


@dataclass(frozen=True)
class Schedule:
    function: FunctionSpec
    source: ScheduleSource

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.source.timezone or "UTC")

    def next_after(self, after: datetime, started: datetime) -> datetime | None:
        """The first firing strictly after ``after`` (``started``: when the stack started)."""
        expression = self.source.expression.strip()
        rate = _RATE.match(expression)
        if rate:
            unit = rate.group(2).rstrip("s")
            period = timedelta(**{f"{unit}s": int(rate.group(1))})
            elapsed = max(after - started, timedelta(0))
            return started + period * (elapsed // period + 1)
        if expression.startswith("at(") and expression.endswith(")"):
            moment = datetime.fromisoformat(expression[3:-1]).replace(tzinfo=self.zone).astimezone(UTC)
            return moment if moment > after else None
        if expression.startswith("cron(") and expression.endswith(")"):
            return Cron.parse(expression[5:-1]).next_after(after, self.zone)
        raise ValueError(f"unsupported schedule expression {expression!r}")


def template_schedules(template: TemplateModel) -> dict[str, Schedule]:
    """Every schedule of the template by its event name (the first wins if two share a name)."""
    found: dict[str, Schedule] = {}
    for spec in template.functions:
        for source in spec.schedules:
            if source.name in found:
                log.warning("two schedules are named %r; only the first is used", source.name)
                continue
            found[source.name] = Schedule(spec, source)
    return found


def run_schedule(invoker: Invoker, schedule: Schedule, at: datetime, region: str) -> Any:
    """Invoke the schedule's function as EventBridge does at ``at``; return what it returned.

    A rule (Schedule) sends its "Scheduled Event"; EventBridge Scheduler (ScheduleV2) sends the
    template's Input with its context attributes filled in, and nothing else."""
    time_iso = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = f"{schedule.function.logical_id}-{schedule.source.name}"
    if schedule.source.scheduler_input is None:
        rule_arn = f"arn:aws:events:{region}:{ACCOUNT}:rule/{name}"
        return invoker.invoke(schedule.function, scheduled_event(time_iso, rule_arn, region))
    attributes = {
        "<aws.scheduler.scheduled-time>": time_iso,
        "<aws.scheduler.schedule-arn>": f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule/default/{name}",
        "<aws.scheduler.execution-id>": uuid.uuid4().hex[:16],
        "<aws.scheduler.attempt-number>": "1",
    }
    payload = schedule.source.scheduler_input
    for placeholder, value in attributes.items():
        payload = payload.replace(placeholder, value)
    return invoker.invoke(schedule.function, json.loads(payload))


class Scheduler(Worker):
    name = "scheduler"

    def __init__(self, invoker: Invoker, schedules: dict[str, Schedule], region: str) -> None:
        super().__init__()
        self._invoker, self._region = invoker, region
        self._started = datetime.now(UTC)
        self._next: dict[str, datetime] = {}
        for name, schedule in schedules.items():
            try:
                upcoming = schedule.next_after(self._started, self._started)
            except ValueError as error:
                log.warning("schedule %r is not run locally: %s", name, error)
                continue
            if upcoming is not None:
                self._next[name] = upcoming
        self._schedules = schedules

    def upcoming(self) -> dict[str, datetime]:
        return dict(self._next)

    def run_once(self) -> None:
        if not self._next:
            self.wait(3600)
            return
        name, due = min(self._next.items(), key=lambda item: item[1])
        remaining = (due - datetime.now(UTC)).total_seconds()
        if remaining > 0:
            self.wait(min(remaining, 1.0))
            return
        schedule = self._schedules[name]
        following = schedule.next_after(due, self._started)
        if following is None:
            del self._next[name]
        else:
            self._next[name] = following
        log.info("schedule %s fires (%s)", name, due.isoformat())
        try:
            result = run_schedule(self._invoker, schedule, due, self._region)
        except Exception:
            log.exception("schedule %s: the function failed", name)
            return
        log.info("schedule %s returned %s", name, result)
