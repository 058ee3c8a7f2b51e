"""Ledger entries: one item per posting (T#{tenant}#M#{member}, LEDGER#{seq}), written with the
posting and never changed; read newest first, a page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty.domain.ledger import Posting
from loyalty.models.ledger import EntryDetail, LedgerEntry, detail_item, entry_fields
from loyalty.store import keys
from loyalty.store.table import TableStore, from_item, put, values


class EntryStore(TableStore):
    def list_entries(
        self, tenant_id: str, member_id: str, limit: int, before_seq: int | None
    ) -> tuple[list[LedgerEntry], int | None]:
        """Ledger entries newest first; returns the page and the seq to continue below, if any."""
        upper = keys.entry_sk(before_seq - 1) if before_seq is not None else f"{keys.ENTRY_PREFIX}~"
        response = self.client.query(
            TableName=self.table_name,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            ExpressionAttributeValues=values(
                pk=keys.member_pk(tenant_id, member_id), low=keys.ENTRY_PREFIX, high=upper
            ),
            ScanIndexForward=False,
            Limit=limit + 1,  # one more than asked tells whether another page follows
        )
        items = [from_item(item) for item in response.get("Items", [])]
        page, more = items[:limit], len(items) > limit
        return [_entry(item) for item in page], (page[-1]["seq"] if more and page else None)

    def put_action(
        self, tenant: str, member: str, posting: Posting, detail: EntryDetail, now: datetime
    ) -> dict[str, Any]:
        """The entry of one posting: what the operation said (`detail`) and what the posting decided."""
        item = {
            "PK": keys.member_pk(tenant, member),
            "SK": keys.entry_sk(posting.seq),
            "tenant_id": tenant,
            "member_id": member,
            "entry_id": str(posting.seq),
            "seq": posting.seq,
            "points": posting.points,
            "balance_after": posting.after.available,
            "created_at": now.isoformat(),
            "debt_settled": posting.debt_settled or None,
            "debt_incurred": posting.debt_incurred or None,
            "withheld": posting.withheld or None,
            **detail_item(detail),
        }
        return put(self.table_name, item, "attribute_not_exists(PK)")


def _entry(item: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry.model_validate(entry_fields(item))
