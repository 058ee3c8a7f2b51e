"""The funnel's ledger commit is what the decision states: nothing it decides is left out."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from loyalty.domain.ledger import Account, Posting
from loyalty.domain.tiers import TierStatus
from loyalty.models.ledger import EntryDetail
from loyalty.operations.funnel import Decision
from loyalty.store.idempotency_store import OperationRecord, OperationUpdate
from loyalty.store.ledger_store import MemberPosting, PostingCommit
from loyalty.store.member_store import TierUpdate
from loyalty.store.table import Guarded

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


def test_given_a_decision_stating_every_part_when_committed_then_its_ledger_commit_carries_each_part():
    posting = Posting(Account(), Account(available=5, version=1), 5)
    entry = EntryDetail(type="adjust", reason="goodwill")
    earlier = ((Posting(Account(), Account(), 0), EntryDetail(type="release")),)
    also = (MemberPosting("referrer", posting, EntryDetail(type="earn", source="referral")),)
    tier = TierUpdate(TierStatus(), 3)
    update = OperationUpdate("purchase", "p-1", 2, {"refunded": 5})
    decision = Decision(
        201,
        {"points": 5},
        NOW,
        "m-1",
        posting,
        entry,
        counters={"earns": 1},
        tier=tier,
        also=also,
        new_member_profile={"name": "Ada"},
        updates=update,
        earlier=earlier,
    )
    operation = OperationRecord("adjust", "a-1", "hash", 201, {"points": 5})
    records = (Guarded({"Put": {"Item": {"PK": "coupon"}}}),)

    commit = decision.ledger_commit("shop", operation, records)

    assert commit == PostingCommit(
        tenant_id="shop",
        member_id="m-1",
        posting=posting,
        entry=entry,
        operation=operation,
        now=NOW,
        new_member_profile={"name": "Ada"},
        operation_update=update,
        counters={"earns": 1},
        also=also,
        tier=tier,
        extra=records,
        earlier=earlier,
    )
    # every field of the commit is given (none left at its default)
    defaults = {spec.name: spec.default for spec in fields(PostingCommit)}
    assert all(getattr(commit, name) is not defaults[name] for name in defaults)
