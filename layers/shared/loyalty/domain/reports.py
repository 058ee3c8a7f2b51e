"""Reports from the aggregates: pure arithmetic over summed counts, the program and today.

Every figure is defined in docs/reports.md; money is computed in Decimal from integer minor units
and points, never in floats (rates are the only fractions, rounded to 4 places)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from loyalty.domain.analytics import BASE_TIER, CUE_KINDS, SEP, response_field
from loyalty.models.program import Program

Interval = Literal["day", "week", "month"]
FLOW_FIELDS = ("redeemed", "expired", "clawed_back", "adjusted", "members_new", "purchases")
FORECAST_DAYS = (30, 90, 365)


def money(minor: int) -> str:
    return f"{(Decimal(minor) / 100).quantize(Decimal('0.01'))}"


def points_value(points: int, program: Program) -> str:
    value = Decimal(points) * program.point_value.amount / program.point_value.points
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def rate(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def tier_id(stored: str, program: Program) -> str:
    return program.tiers[0].id if stored == BASE_TIER else stored


def window_total(days: Mapping[date, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in days.values():
        total.update(counts)
    return total


def issued_by_source(counts: Mapping[str, int]) -> dict[str, int]:
    prefix = f"issued{SEP}"
    return {key[len(prefix) :]: n for key, n in sorted(counts.items()) if key.startswith(prefix) and n}


def members_by_tier(state: Mapping[str, int], program: Program) -> dict[str, int]:
    """Every tier of the program (zero included), then any tier no longer in it that has members."""
    by_tier = {tier.id: 0 for tier in program.tiers}
    prefix = f"tier{SEP}"
    for key, n in state.items():
        if key.startswith(prefix) and n:
            stored = tier_id(key[len(prefix) :], program)
            by_tier[stored] = by_tier.get(stored, 0) + n
    return by_tier


def liability(
    state: Mapping[str, int], matures: Mapping[date, int], today: date, program: Program
) -> dict[str, Any]:
    """Stored `pending` includes points whose date has come but that no write matured yet (a read
    shows them available): pending is what matures after today, by the lots."""
    total = state.get("available", 0) + state.get("pending", 0) + state.get("held", 0)
    pending = sum(points for on, points in matures.items() if on > today)
    held = state.get("held", 0)
    return {
        "points": total,
        "available": total - pending - held,
        "pending": pending,
        "held": held,
        "value": {"amount": points_value(total, program), "currency": program.currency},
    }


def expiring(expires: Mapping[date, int], today: date) -> dict[str, int]:
    """Points in lots whose last day is within the next N days (a lot past its day that the expiry
    run has not reached yet is due at once, so it counts too)."""
    return {
        f"next_{days}_days": sum(
            points for on, points in expires.items() if on <= today + timedelta(days=days)
        )
        for days in FORECAST_DAYS
    }


def summary(
    days: Mapping[date, Counter[str]],
    state: Mapping[str, int],
    expires: Mapping[date, int],
    matures: Mapping[date, int],
    *,
    first: date,
    last: date,
    today: date,
    as_of: str,
    active: int | None,
    program: Program,
) -> dict[str, Any]:
    total = window_total(days)
    by_source = issued_by_source(total)
    issued = sum(by_source.values())
    return {
        "as_of": as_of,
        "from": first,
        "to": last,
        "liability": liability(state, matures, today, program),
        "points": {
            "issued": issued,
            "issued_by_source": by_source,
            "redeemed": total["redeemed"],
            "expired": total["expired"],
            "clawed_back": total["clawed_back"],
            "adjusted": total["adjusted"],
        },
        "breakage_rate": rate(total["expired"], issued),
        "redemption_rate": rate(total["redeemed"], issued),
        "expiring": expiring(expires, today),
        "members": {
            "total": state.get("members", 0),
            "new": total["members_new"],
            "active": active,
            "by_tier": members_by_tier(state, program),
        },
        "purchases": {
            "count": total["purchases"],
            "revenue": {"amount": money(total["revenue"]), "currency": program.currency},
            "refunds": total["refunds"],
            "refunded": {"amount": money(total["refunded"]), "currency": program.currency},
        },
    }


def period_start(day: date, interval: Interval) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if interval == "month":
        return day.replace(day=1)
    return day


def periods(first: date, last: date, interval: Interval) -> list[date]:
    starts: list[date] = []
    for offset in range((last - first).days + 1):  # no day after `last` is made (date.max has none)
        start = period_start(first + timedelta(days=offset), interval)
        if not starts or starts[-1] != start:
            starts.append(start)
    return starts


def flows(
    days: Mapping[date, Counter[str]], *, first: date, last: date, interval: Interval, program: Program
) -> dict[str, Any]:
    buckets: dict[date, Counter[str]] = {start: Counter() for start in periods(first, last, interval)}
    for day, counts in days.items():
        if first <= day <= last:
            buckets[period_start(day, interval)].update(counts)
    items = []
    for start, counts in buckets.items():
        row: dict[str, Any] = {"period": start, "issued": sum(issued_by_source(counts).values())}
        row.update({name: counts[name] for name in FLOW_FIELDS})
        row["revenue"] = money(counts["revenue"])
        row["liability_change"] = counts["liability_change"]
        items.append(row)
    return {"from": first, "to": last, "interval": interval, "currency": program.currency, "items": items}


def tiers(
    days: Mapping[date, Counter[str]],
    state: Mapping[str, int],
    *,
    first: date,
    last: date,
    as_of: str,
    program: Program,
) -> dict[str, Any]:
    order = {tier.id: position for position, tier in enumerate(program.tiers)}
    moves: Counter[tuple[str, str]] = Counter()
    prefix = f"move{SEP}"
    for key, n in window_total(days).items():
        if key.startswith(prefix) and n:
            source, target = key[len(prefix) :].split(SEP, 1)
            moves[(tier_id(source, program), tier_id(target, program))] += n
    movements = []
    for (source, target), n in sorted(
        moves.items(), key=lambda pair: (order.get(pair[0][0], 99), order.get(pair[0][1], 99))
    ):
        step = order.get(target, -1) - order.get(source, -1)
        direction = "up" if step > 0 else "down" if step < 0 else "same"
        movements.append({"from": source, "to": target, "members": n, "direction": direction})
    return {
        "as_of": as_of,
        "from": first,
        "to": last,
        "members_by_tier": members_by_tier(state, program),
        "movements": movements,
        "ups": sum(move["members"] for move in movements if move["direction"] == "up"),
        "downs": sum(move["members"] for move in movements if move["direction"] == "down"),
    }


def campaigns(
    days: Mapping[date, Counter[str]], *, first: date, last: date, program: Program
) -> dict[str, Any]:
    figures: dict[str, Counter[str]] = {}
    prefix = f"rule{SEP}"
    for key, n in window_total(days).items():
        if key.startswith(prefix):
            rule_id, measure = key[len(prefix) :].rsplit(SEP, 1)
            figures.setdefault(rule_id, Counter())[measure] += n
    items = [
        {
            "rule_id": rule_id,
            "points": counts["points"],
            "credits": counts["credits"],
            "purchases": counts["purchases"],
            "revenue": money(counts["revenue"]),
        }
        for rule_id, counts in sorted(figures.items())
    ]
    return {"from": first, "to": last, "currency": program.currency, "items": items}


def csv_rows(body: Mapping[str, Any], table: Iterable[str] | None = None) -> list[list[str]]:
    """A report as CSV rows: its list of items as a table, or every figure as `figure,value`."""
    if table is not None:
        columns = list(table)
        return [columns, *([_cell(item.get(column)) for column in columns] for item in body["items"])]
    rows = [["figure", "value"]]
    for key, value in _flatten(body):
        rows.append([key, _cell(value)])
    return rows


def _flatten(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{prefix}.{index}")
    else:
        yield prefix, value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def responses(
    days: Mapping[date, Counter[str]], *, first: date, last: date, within_days: int
) -> dict[str, Any]:
    """Members cued in the window (a member-day per kind: reminders of two expiry dates on one
    day count once) and how many of them bought or spent within `within_days` days."""
    total = window_total(days)
    body: dict[str, Any] = {"from": first, "to": last, "within_days": within_days}
    for kind in CUE_KINDS:
        cued = total[f"cue{SEP}{kind}"]
        answered = sum(total[response_field(kind, lag)] for lag in range(within_days + 1))
        body[f"{kind}s"] = {"members": cued, "responded": answered, "response_rate": rate(answered, cued)}
    return body
