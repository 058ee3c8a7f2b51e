"""The audit log: what each admin or operator action records (in its own transaction), and the
log's reading by member, actor and time."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from loyalty.errors import InvalidRequestError
from loyalty.models.audit import AuditEntry, AuditPage, AuditQuery
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.paging import MAX_PAGE, _position, encode_cursor

_POSITION = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z#[A-Za-z0-9_.:=-]{1,100}$")


def audit_entry(
    principal: Principal, action: str, now: datetime, member_id: str | None = None, **detail: Any
) -> AuditEntry:
    """The entry of one action by `principal` (its key, its request) at `now`."""
    return AuditEntry(
        at=now,
        actor=principal.key_id,
        action=action,
        request_id=principal.request_id or uuid.uuid4().hex,
        member_id=member_id,
        detail={name: value for name, value in detail.items() if value is not None},
    )


def list_audit(context: Context, tenant_id: str, query: AuditQuery, cursor: str | None) -> Outcome:
    before = None
    if cursor is not None:
        before = _position(cursor, "below")
        if not isinstance(before, str) or not _POSITION.match(before):
            raise InvalidRequestError("cursor is not one this API issued")
    start, end = _utc(query.start, "from"), _utc(query.end, "to")
    if start and end and start > end:
        raise InvalidRequestError("from is after to")
    wanted = replace(query, start=start, end=end, limit=min(query.limit, MAX_PAGE))
    entries, more = context.audit.list_entries(tenant_id, wanted, before)
    page = AuditPage(items=entries, next_cursor=encode_cursor(below=more) if more else None)
    return Outcome(200, page.model_dump(mode="json"))


def _utc(at: datetime | None, name: str) -> datetime | None:
    """The instant in UTC (a time without a zone is taken as UTC); one that has no UTC date, at
    the very edge of the calendar, is refused."""
    if at is None:
        return None
    try:
        return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise InvalidRequestError(f"{name} is outside the calendar once in UTC") from None
