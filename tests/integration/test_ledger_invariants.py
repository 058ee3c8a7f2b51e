"""Ledger invariants under random sequences of operations, with replays and conflicting replays.

After every step: available + pending = sum of ledger entries = sum of open lots; nothing is
negative; every natural id is applied at most once; a replay changes nothing."""

from __future__ import annotations

import itertools
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.errors import LoyaltyError
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.models.program import default_program
from loyalty.operations import adjustments, members, purchases
from loyalty.operations.context import Context, Principal, ProgramCache
from loyalty.store.ledger_store import LedgerStore
from loyalty.store.tenant_store import TenantStore
from tests.support.clock import FakeClock
from tests.support.ledger import assert_adds_up, member_state

# DynamoDB Local is the judge and is fast; moto keeps every stream record in memory and slows down
# as a table grows, so it runs a shorter sample of the same property.
SEQUENCES = int(os.environ.get("LEDGER_SEQUENCES", "200"))
SEQUENCES_ON_MOTO = 25

amounts = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)
step = st.one_of(
    st.tuples(st.just("earn"), st.integers(0, 3), amounts),
    st.tuples(st.just("refund"), st.integers(0, 3), st.integers(0, 3), amounts),
    st.tuples(st.just("adjust"), st.integers(0, 5), st.integers(-400, 400).filter(bool)),
    st.tuples(st.just("replay"), st.integers(0, 30)),
    st.tuples(st.just("conflict"), st.integers(0, 30)),
    st.tuples(st.just("advance"), st.integers(1, 400)),
)

_members = itertools.count()


@pytest.fixture
def ledger_context(aws):
    tenants = TenantStore(aws.table_name)
    tenants.create_tenant("prop", "Prop", default_program(), [], FakeClock()())
    return Context(
        ledger=LedgerStore(aws.table_name),
        tenants=tenants,
        programs=ProgramCache(tenants, 3600),
        clock=FakeClock(),
        sleep=lambda seconds: None,
    )


sequences = st.lists(step, min_size=1, max_size=12)


@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
@settings(max_examples=SEQUENCES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=sequences)
def test_the_ledger_adds_up_after_every_step(aws, ledger_context, steps):
    check_sequence(aws, ledger_context, steps)


@pytest.mark.parametrize("backend", ["moto"], indirect=True)
@settings(
    max_examples=SEQUENCES_ON_MOTO, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=sequences)
def test_the_ledger_adds_up_after_every_step_on_moto(aws, ledger_context, steps):
    check_sequence(aws, ledger_context, steps)


def check_sequence(aws, context: Context, steps) -> None:
    member = f"m{next(_members)}"
    admin = Principal(tenant_id="prop", scope="admin", key_id="key_prop")
    done: list[tuple[str, object, object]] = []  # (kind, request, extra) of each accepted call

    def run(kind, request, extra=None):
        if kind == "enroll":
            return members.enroll(context, "prop", request)
        if kind == "earn":
            return purchases.record_purchase(context, "prop", request)
        if kind == "refund":
            return purchases.refund_purchase(context, "prop", extra, request)
        return adjustments.adjust(context, admin, member, request)

    run("enroll", EnrollRequest(member_id=member))
    for action in steps:
        before = member_state(aws.dynamodb, aws.table_name, "prop", member)
        name = action[0]
        if name == "advance":
            context.clock.advance(days=action[1])  # type: ignore[attr-defined]
            continue
        if name in ("replay", "conflict"):
            if not done:
                continue
            kind, request, extra = done[action[1] % len(done)]
            if name == "replay":
                run(kind, request, extra)
            else:
                changed = _changed(request)
                with pytest.raises(LoyaltyError) as refused:
                    run(kind, changed, extra)
                assert refused.value.status == 409
            assert member_state(aws.dynamodb, aws.table_name, "prop", member) == before
            continue
        kind, request, extra = _request(name, action, member)
        refused: LoyaltyError | None = None
        try:
            run(kind, request, extra)
        except LoyaltyError as error:  # a refund beyond the purchase, a deduction beyond available, ...
            refused = error
        if refused is None:
            done.append((kind, request, extra))
        else:
            assert refused.status in (404, 409), refused
            assert member_state(aws.dynamodb, aws.table_name, "prop", member) == before
        state = member_state(aws.dynamodb, aws.table_name, "prop", member)
        assert_adds_up(state)
        _each_natural_id_once(state)


def _request(name, action, member):
    if name == "earn":
        _, order, amount = action
        return (
            "earn",
            PurchaseRequest(order_id=f"{member}-o{order}", member_id=member, amount=amount, currency="CNY"),
            None,
        )
    if name == "refund":
        _, order, number, amount = action
        return (
            "refund",
            RefundRequest(refund_id=f"{member}-r{order}-{number}", amount=amount),
            f"{member}-o{order}",
        )
    _, number, points = action
    return (
        "adjust",
        AdjustmentRequest(adjustment_id=f"{member}-a{number}", points=points, reason="prop"),
        None,
    )


def _changed(request):
    if isinstance(request, AdjustmentRequest):
        return request.model_copy(update={"reason": request.reason + "!"})
    return request.model_copy(update={"amount": request.amount + Decimal("0.01")})


def _each_natural_id_once(state):
    for entry_type, field in (("earn", "order_id"), ("clawback", "refund_id"), ("adjust", "adjustment_id")):
        ids = [entry[field] for entry in state.entries if entry["type"] == entry_type and field in entry]
        assert len(ids) == len(set(ids)), (field, ids)
