"""The audit log: one immutable item per admin or operator action (T#{tenant}#AUDIT,
AUDIT#{at}#{request id}), put in the same transaction as the action it records; read newest
first, a page at a time, by time range, member and actor.

Admin actions are rare next to earns, so one partition per tenant holds its log (a bulk import
through adjustments would want write-sharded keys: not needed yet)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from loyalty.models.audit import AuditEntry, AuditQuery
from loyalty.store import keys
from loyalty.store.table import Guarded, TableStore, from_item, names, put, values


class AuditStore(TableStore):
    def put(self, tenant_id: str, entry: AuditEntry) -> Guarded:
        """The entry as a transaction item, never overwriting one (a lost race re-decides it)."""
        item = {
            "PK": keys.audit_pk(tenant_id),
            "SK": keys.audit_sk(_instant(entry.at), entry.request_id),
            "tenant_id": tenant_id,
            **entry.model_dump(mode="json", exclude_none=True),
        }
        return Guarded(put(self.table_name, item, "attribute_not_exists(PK)"))

    def list_entries(
        self, tenant_id: str, query: AuditQuery, before: str | None
    ) -> tuple[list[AuditEntry], str | None]:
        """Newest first, within [start, end], of one member and/or one actor; and the position to
        continue below when more follow."""
        start, end, limit = query.start, query.end, query.limit
        low = keys.AUDIT_PREFIX + (_instant(start) if start else "")
        high = keys.AUDIT_PREFIX + (_instant(end) + "~" if end else "~")
        if before is not None:
            high = min(high, keys.AUDIT_PREFIX + before)
        request: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high",
            "ExpressionAttributeValues": values(pk=keys.audit_pk(tenant_id), low=low, high=high),
            "ScanIndexForward": False,
        }
        filters = {
            name: value for name, value in (("member_id", query.member_id), ("actor", query.actor)) if value
        }
        if filters:
            request["FilterExpression"] = " AND ".join(f"#{name} = :{name}" for name in filters)
            request["ExpressionAttributeNames"] = names(*filters)
            request["ExpressionAttributeValues"] |= values(**filters)
        items: list[dict[str, Any]] = []
        for raw in self.query_pages(request):
            items.extend(from_item(item) for item in raw if from_item(item)["SK"] != high)
            if len(items) > limit:
                break
        shown = items[:limit]
        more = str(shown[-1]["SK"])[len(keys.AUDIT_PREFIX) :] if len(items) > limit else None
        return [AuditEntry.model_validate(item) for item in shown], more


def _instant(at: datetime) -> str:
    """A sortable UTC instant, to the microsecond (a time without a zone is taken as UTC)."""
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    # isoformat, not strftime: %Y drops the leading zeros of a year before 1000 (order would break)
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
