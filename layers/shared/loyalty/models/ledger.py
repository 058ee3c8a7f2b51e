"""A ledger entry: one field list for the table, the API (`/transactions`) and the events.

An operation states why the points moved (`EntryDetail`: its type, source, natural ids, rules);
the store stamps what the posting decides (`LedgerEntry`: id, points, balance after, debt,
time). Every field an entry is written with is read back by the API and carried by its event:
there is no second list to drift from this one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EntryDetail(BaseModel):
    """Why an entry exists, as the operation that writes it says."""

    # Items already in a table may hold attributes an older entry had (and keys): ignored on read.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    type: str
    source: str | None = None
    order_id: str | None = None
    refund_id: str | None = None
    adjustment_id: str | None = None
    reason: str | None = None
    actor: str | None = Field(default=None, description="The admin key that made an adjustment")
    program_version: int | None = None
    rule_ids: list[str] | None = Field(default=None, description="The rules that produced this entry")
    capped: bool | None = None
    activity_id: str | None = None
    activity_type: str | None = None
    referee_id: str | None = None
    expires_on: date | None = None
    available_on: date | None = Field(default=None, description="Pending until this day (return window)")
    redemption_id: str | None = None
    reward_id: str | None = None
    quantity: int | None = None
    hold_id: str | None = None
    held: int | None = Field(default=None, description="Points moved into (+) or out of (-) held")
    coupon_code: str | None = None
    draw_id: str | None = None
    birthday_year: int | None = Field(default=None, description="The program-local year of a birthday bonus")
    status: str | None = Field(default=None, description="A status change: the member's status after it")
    review_id: str | None = Field(
        default=None, description="An earn withheld by a velocity rule, or the review's resolution"
    )
    import_id: str | None = Field(default=None, description="The import or bulk adjustment that made it")
    line: int | None = Field(default=None, description="Its row's line in the import file")
    earned_on: date | None = Field(default=None, description="An imported lot's earning day")


class LedgerEntry(EntryDetail):
    """An entry as committed: the detail plus what the posting decided."""

    entry_id: str
    points: int = Field(description="Signed: positive credits the member")
    balance_after: int
    created_at: datetime
    debt_settled: int | None = None
    debt_incurred: int | None = None
    withheld: int | None = Field(
        default=None, description="Points moved into (+) or out of (-) withheld (a frozen member's earnings)"
    )


ENTRY_FIELDS: tuple[str, ...] = tuple(LedgerEntry.model_fields)


def entry_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The entry's own attributes of a stored item (or a stream image), values as stored."""
    return {name: item[name] for name in ENTRY_FIELDS if name in item and item[name] is not None}


def detail_item(detail: EntryDetail) -> dict[str, Any]:
    """The attributes an entry's detail is stored with (dates as ISO strings, absent when unset)."""
    return detail.model_dump(mode="json", exclude_none=True)
