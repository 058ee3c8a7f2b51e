"""Races that really race: each racer plays a fresh Lambda container (its own clients and caches),
the first `parties` racers hold their first write until all of them have read (a barrier on
TransactWriteItems), and every write the table refused is counted, so a race test can show the
collision it claims happened instead of hoping the threads overlapped."""

from __future__ import annotations

import threading
from typing import Any

from loyalty.operations.context import Context, ProgramCache
from loyalty.store.ledger_store import LedgerStore
from loyalty.store.tenant_store import TenantStore

BARRIER_SECONDS = 30


def fresh_context(table: str) -> Context:
    """What a new Lambda container would build: its own clients and caches."""
    tenants = TenantStore(table)
    return Context(ledger=LedgerStore(table), tenants=tenants, programs=ProgramCache(tenants, 60))


class Race:
    def __init__(self, table: str, parties: int) -> None:
        self.table = table
        self.parties = parties
        self.refused = 0  # TransactWriteItems the table cancelled (a condition, another racer)
        self._barrier = threading.Barrier(parties, timeout=BARRIER_SECONDS)
        self._lock = threading.Lock()
        self._entered = 0

    def context(self) -> Context:
        """A racer's context; the first `parties` of them wait for each other before writing."""
        context = fresh_context(self.table)
        with self._lock:
            held = self._entered < self.parties
            self._entered += 1
        first_write = [held]
        events = context.ledger.client.meta.events

        def hold_until_all_have_read(**_: Any) -> None:
            if first_write[0]:
                first_write[0] = False
                self._barrier.wait()

        def count_refusal(parsed: dict[str, Any], **_: Any) -> None:
            if "Error" in parsed:
                with self._lock:
                    self.refused += 1

        events.register("before-call.dynamodb.TransactWriteItems", hold_until_all_have_read)
        events.register("after-call.dynamodb.TransactWriteItems", count_refusal)
        return context
