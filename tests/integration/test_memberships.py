"""Paid membership on a real table: the plan's tier at once, renewals from the current end, exactly
once on the membership id, the price checked, cancellation back to the earned tier, the tiers run
lapsing it at the start of its end day in the program's zone (a DST day), a renewal racing a
cancellation, and the events each step leaves for the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from loyalty.errors import (
    IdempotencyConflictError,
    MembershipEndedError,
    MembershipPriceError,
    UnknownPlanError,
)
from loyalty.events import event_for_item
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.models.memberships import MembershipRequest
from loyalty.models.program import Program
from loyalty.operations import members, memberships, purchases
from loyalty.operations.context import Context, ProgramCache
from loyalty.operations.reminders import run_reminders
from loyalty.operations.tiers import run_tiers
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from loyalty.store.ledger_store import LedgerStore
from loyalty.store.tenant_store import TenantStore
from tests.support.ledger import items_under, tier_history

# 2026-12-14 12:00 in New York (EST, UTC-5); its clocks go forward on 2027-03-14 at 02:00.
BOUGHT = datetime(2026, 12, 14, 17, 0, tzinfo=UTC)


def club_program() -> Program:
    return Program.model_validate(
        {
            "name": "Club",
            "currency": "USD",
            "timezone": "America/New_York",
            "earn": {"points_per_unit": 1},
            "signup_bonus": 0,
            "tiers": [
                {"id": "regular", "name": "Regular"},
                {"id": "silver", "name": "Silver", "qualify": {"spend": "1000.00"}},
                {"id": "gold", "name": "Gold", "qualify": {"spend": "5000.00"}},
                {"id": "vip", "name": "VIP", "benefits": {"free_shipping": True}},
            ],
            "membership_plans": [
                {
                    "plan_id": "vip-3m",
                    "tier_id": "vip",
                    "price": {"amount": "30.00", "currency": "USD"},
                    "months": 3,
                    "names": {"en": "VIP quarter", "zh-CN": "VIP 季卡"},
                },
                {
                    "plan_id": "gold-1m",
                    "tier_id": "gold",
                    "price": {"amount": "9.90", "currency": "USD"},
                    "months": 1,
                },
            ],
        }
    )


@pytest.fixture
def club(aws, clock) -> Context:
    clock.now = BOUGHT
    tenants = TenantStore(aws.table_name)
    tenants.create_tenant("club", "Club", club_program(), [], clock())
    return Context(
        ledger=LedgerStore(aws.table_name),
        tenants=tenants,
        programs=ProgramCache(tenants, 0),
        clock=clock,
        sleep=lambda seconds: None,
    )


def problem_type(response: Any) -> str:
    return str(response.json()["type"]).rsplit("/", 1)[-1]


def enrol(context: Context, member: str, spend: str | None = None) -> None:
    members.enroll(context, "club", EnrollRequest(member_id=member))
    if spend:
        request = PurchaseRequest(
            order_id=f"o-{member}", member_id=member, amount=Decimal(spend), currency="USD"
        )
        purchases.record_purchase(context, "club", request)


def bought(
    membership_id: str, plan_id: str = "vip-3m", amount: str = "30.00", **more: Any
) -> MembershipRequest:
    return MembershipRequest.model_validate(
        {
            "membership_id": membership_id,
            "plan_id": plan_id,
            "order_id": f"order-{membership_id}",
            "amount": amount,
            "currency": "USD",
            **more,
        }
    )


def tier_of(context: Context, member: str) -> dict[str, Any]:
    return members.read_member(context, "club", member).body["tier"]


def membership_events(aws, member: str) -> list[tuple[str, str, str, str]]:
    """The events the stream would publish for the member's membership items, in order."""
    items = items_under(aws, keys.member_pk("club", member), keys.MEMBERSHIP_EVENT_PREFIX)
    events = [event_for_item(item) for item in items]
    return [
        (e["detail-type"], e["detail"]["membership_id"], e["detail"]["starts_on"], e["detail"]["ends_on"])
        for e in events
        if e is not None
    ]


def test_a_membership_gives_its_tier_at_once_and_a_second_one_extends_from_the_end(aws, club, clock):
    enrol(club, "ann")

    first = memberships.buy_membership(club, "club", "ann", bought("m-1"))
    assert (first.status, first.body) == (
        201,
        {
            "membership_id": "m-1",
            "plan_id": "vip-3m",
            "tier_id": "vip",
            "starts_on": "2026-12-14",
            "ends_on": "2027-03-14",
            "order_id": "order-m-1",
            "amount": "30.00",
            "currency": "USD",
            "status": "active",
        },
    )
    tier = tier_of(club, "ann")
    assert tier["id"] == "vip"
    assert tier["benefits"]["free_shipping"] is True
    assert tier["membership"] == {
        "membership_id": "m-1",
        "plan_id": "vip-3m",
        "tier_id": "vip",
        "starts_on": "2026-12-14",
        "ends_on": "2027-03-14",
        "until": "2027-03-14",
    }
    assert tier["review_on"] == "2027-03-14"  # the tiers run looks at it the day it ends

    clock.now = datetime(2027, 1, 10, 15, 0, tzinfo=UTC)
    second = memberships.buy_membership(club, "club", "ann", bought("m-2"))
    assert (second.status, second.body["starts_on"], second.body["ends_on"], second.body["status"]) == (
        201,
        "2027-03-14",
        "2027-06-14",
        "scheduled",
    )
    assert tier_of(club, "ann")["membership"]["until"] == "2027-06-14"
    assert membership_events(aws, "ann") == [
        ("membership.started", "m-1", "2026-12-14", "2027-03-14"),
        ("membership.extended", "m-2", "2027-03-14", "2027-06-14"),
    ]
    listed = memberships.list_memberships(club, "club", "ann").body["items"]
    assert [(item["membership_id"], item["status"]) for item in listed] == [
        ("m-2", "scheduled"),
        ("m-1", "active"),
    ]
    # A replay months later answers what the purchase answered (not the membership as it is now)
    clock.now = datetime(2027, 4, 1, 15, 0, tzinfo=UTC)
    replayed = memberships.buy_membership(club, "club", "ann", bought("m-2"))
    assert (replayed.status, replayed.body) == (200, second.body)


def test_a_membership_is_bought_once_and_only_at_the_plan_price(aws, club):
    enrol(club, "bob")
    first = memberships.buy_membership(club, "club", "bob", bought("m-1"))

    replay = memberships.buy_membership(club, "club", "bob", bought("m-1"))
    assert (replay.status, replay.body, replay.replayed) == (200, first.body, True)
    with pytest.raises(IdempotencyConflictError):
        memberships.buy_membership(club, "club", "bob", bought("m-1", plan_id="gold-1m", amount="9.90"))
    with pytest.raises(MembershipPriceError):
        memberships.buy_membership(club, "club", "bob", bought("m-2", amount="29.99"))
    with pytest.raises(MembershipPriceError):
        memberships.buy_membership(club, "club", "bob", bought("m-3", currency="CNY"))
    with pytest.raises(UnknownPlanError):
        memberships.buy_membership(club, "club", "bob", bought("m-4", plan_id="platinum"))

    # Then one membership, one event, and the tier given once
    assert [
        item["membership_id"] for item in memberships.list_memberships(club, "club", "bob").body["items"]
    ] == ["m-1"]
    assert [event[0] for event in membership_events(aws, "bob")] == ["membership.started"]


def test_a_cancelled_membership_leaves_the_member_in_the_tier_their_spending_earns(aws, club):
    enrol(club, "cat", spend="1200.00")  # silver by spending
    first = memberships.buy_membership(club, "club", "cat", bought("m-1"))
    assert tier_of(club, "cat")["id"] == "vip"

    cancelled = memberships.cancel_membership(club, "club", "cat", "m-1")
    assert (cancelled.status, cancelled.body["status"]) == (200, "cancelled")
    # The purchase replayed still answers what it answered
    assert memberships.buy_membership(club, "club", "cat", bought("m-1")).body == first.body
    tier = tier_of(club, "cat")
    assert (tier["id"], tier["membership"]) == ("silver", None)
    # Cancelling again answers the same and changes nothing
    again = memberships.cancel_membership(club, "club", "cat", "m-1")
    assert (again.status, again.body) == (200, cancelled.body)
    assert [event[0] for event in membership_events(aws, "cat")] == [
        "membership.started",
        "membership.cancelled",
    ]


def test_the_tiers_run_lapses_a_membership_at_the_start_of_its_end_day_on_a_dst_night(aws, club, clock):
    # Given a VIP membership ending on 2027-03-14, the day New York's clocks go forward
    enrol(club, "dan", spend="1500.00")
    memberships.buy_membership(club, "club", "dan", bought("m-1"))
    jobs = JobStore(aws.table_name)

    # When the run comes at 23:59 on 13 March (04:59 UTC): still VIP
    report = run_tiers(club, jobs, datetime(2027, 3, 14, 4, 59, tzinfo=UTC))
    assert report.memberships_lapsed == 0
    clock.now = datetime(2027, 3, 14, 4, 59, tzinfo=UTC)
    assert tier_of(club, "dan")["id"] == "vip"

    # And at 00:00 on 14 March (05:00 UTC, still EST): lapsed, down to silver (his spending), at once
    clock.now = datetime(2027, 3, 14, 5, 0, tzinfo=UTC)
    report = run_tiers(club, jobs, clock.now)
    assert report.memberships_lapsed == 1
    tier = tier_of(club, "dan")
    assert (tier["id"], tier["membership"], tier["since"]) == ("silver", None, "2027-03-14")
    assert membership_events(aws, "dan")[-1] == ("membership.lapsed", "m-1", "2026-12-14", "2027-03-14")
    # A second run changes nothing
    assert run_tiers(club, jobs, clock.now).memberships_lapsed == 0
    listed = memberships.list_memberships(club, "club", "dan").body["items"]
    assert [item["status"] for item in listed] == ["ended"]
    with pytest.raises(MembershipEndedError):
        memberships.cancel_membership(club, "club", "dan", "m-1")


def test_a_renewal_racing_a_cancellation_extends_from_what_is_left(aws, club, clock):
    # Given a member with a VIP membership, renewing it while the shop cancels it
    enrol(club, "eve")
    memberships.buy_membership(club, "club", "eve", bought("m-1"))
    clock.now = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
    commit = club.ledger.commit_tier
    raced = []

    def cancel_first(*args: Any, **kwargs: Any) -> None:
        if not raced:  # the cancellation commits between the renewal's read and its write
            club.ledger.commit_tier = commit  # type: ignore[method-assign]
            raced.append(memberships.cancel_membership(club, "club", "eve", "m-1"))
        commit(*args, **kwargs)

    club.ledger.commit_tier = cancel_first  # type: ignore[method-assign]
    renewal = memberships.buy_membership(club, "club", "eve", bought("m-2"))
    club.ledger.commit_tier = commit  # type: ignore[method-assign]

    # Then the renewal, decided again on the member as the cancellation left them, starts today
    assert raced[0].body["status"] == "cancelled"
    assert (renewal.status, renewal.body["starts_on"], renewal.body["ends_on"]) == (
        201,
        "2027-01-05",
        "2027-04-05",
    )
    tier = tier_of(club, "eve")
    assert (tier["id"], tier["membership"]["membership_id"], tier["membership"]["until"]) == (
        "vip",
        "m-2",
        "2027-04-05",
    )
    assert [event[:2] for event in membership_events(aws, "eve")] == [
        ("membership.started", "m-1"),
        ("membership.cancelled", "m-1"),
        ("membership.started", "m-2"),
    ]


def test_a_cancellation_racing_a_renewal_leaves_the_renewal_from_its_own_start(aws, club, clock):
    # Given a member whose first membership is cancelled while a renewal commits
    enrol(club, "fay")
    memberships.buy_membership(club, "club", "fay", bought("m-1"))
    clock.now = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)
    commit = club.ledger.commit_tier
    raced = []

    def renew_first(*args: Any, **kwargs: Any) -> None:
        if not raced:  # the renewal commits between the cancellation's read and its write
            club.ledger.commit_tier = commit  # type: ignore[method-assign]
            raced.append(memberships.buy_membership(club, "club", "fay", bought("m-2")))
        commit(*args, **kwargs)

    club.ledger.commit_tier = renew_first  # type: ignore[method-assign]
    cancelled = memberships.cancel_membership(club, "club", "fay", "m-1")
    club.ledger.commit_tier = commit  # type: ignore[method-assign]

    # Then the renewal keeps its dates (from m-1's end) and the member waits for it in their own tier
    assert raced[0].body["starts_on"] == "2027-03-14"
    assert cancelled.body["status"] == "cancelled"
    tier = tier_of(club, "fay")
    assert (tier["id"], tier["membership"], tier["review_on"]) == ("regular", None, "2027-03-14")
    # And the run raises them the day it starts
    run_tiers(club, JobStore(aws.table_name), datetime(2027, 3, 14, 5, 0, tzinfo=UTC))
    clock.now = datetime(2027, 3, 14, 6, 0, tzinfo=UTC)
    assert tier_of(club, "fay")["membership"]["membership_id"] == "m-2"
    assert tier_of(club, "fay")["id"] == "vip"


def tier_changes(aws, member: str) -> list[tuple[str, str, str]]:
    return tier_history(aws, "club", member)


def test_a_cancellation_dropping_the_member_to_the_base_tier_leaves_an_ended_membership_to_lapse(
    aws, club, clock
):
    # Given a gold month that ended on 14 January with no tiers run since
    enrol(club, "gus")
    memberships.buy_membership(club, "club", "gus", bought("m-1", plan_id="gold-1m", amount="9.90"))
    clock.now = datetime(2027, 1, 20, 15, 0, tzinfo=UTC)
    # When a VIP quarter bought on 20 January (it starts that day) is cancelled the same day
    assert memberships.buy_membership(club, "club", "gus", bought("m-2")).body["starts_on"] == "2027-01-20"
    cancelled = memberships.cancel_membership(club, "club", "gus", "m-2")
    assert cancelled.body["status"] == "cancelled"
    # Then the member is at the base tier, still under review on the ended month's end
    tier = tier_of(club, "gus")
    assert (tier["id"], tier["membership"], tier["review_on"]) == ("regular", None, "2027-01-14")

    # And the tiers run lapses it, once, moving no tier
    jobs = JobStore(aws.table_name)
    report = run_tiers(club, jobs, datetime(2027, 1, 21, 6, 0, tzinfo=UTC))
    assert report.memberships_lapsed == 1
    assert run_tiers(club, jobs, datetime(2027, 1, 22, 6, 0, tzinfo=UTC)).memberships_lapsed == 0
    assert memberships.cancel_membership(club, "club", "gus", "m-2").body == cancelled.body  # a replay
    assert run_tiers(club, jobs, datetime(2027, 2, 20, 6, 0, tzinfo=UTC)).memberships_lapsed == 0
    assert membership_events(aws, "gus") == [
        ("membership.started", "m-1", "2026-12-14", "2027-01-14"),
        ("membership.started", "m-2", "2027-01-20", "2027-04-20"),
        ("membership.cancelled", "m-2", "2027-01-20", "2027-04-20"),
        ("membership.lapsed", "m-1", "2026-12-14", "2027-01-14"),
    ]
    assert tier_changes(aws, "gus") == [
        ("regular", "gold", "membership"),
        ("gold", "vip", "membership"),
        ("vip", "regular", "membership_cancelled"),
    ]
    clock.now = datetime(2027, 2, 20, 15, 0, tzinfo=UTC)
    tier = tier_of(club, "gus")
    assert (tier["id"], tier["membership"], tier["review_on"]) == ("regular", None, None)
    listed = memberships.list_memberships(club, "club", "gus").body["items"]
    assert sorted((item["membership_id"], item["status"]) for item in listed) == [
        ("m-1", "ended"),
        ("m-2", "cancelled"),
    ]


def test_memberships_over_http_are_server_routes_with_problems_for_bad_requests(api, shop):
    program = api.call("GET", "/v1/program", key=shop.admin_key).json()
    program["membership_plans"] = [
        {
            "plan_id": "vip-1y",
            "tier_id": program["tiers"][-1]["id"],
            "price": {"amount": "99.00", "currency": "CNY"},
            "months": 12,
        }
    ]
    assert api.call("PUT", "/v1/program", program, key=shop.admin_key).status == 200
    api.call("POST", "/v1/members", {"member_id": "gus"}, key=shop.server_key)
    body = {
        "membership_id": "m-1",
        "plan_id": "vip-1y",
        "order_id": "o-1",
        "amount": "99.00",
        "currency": "CNY",
    }

    created = api.call("POST", "/v1/members/gus/memberships", body, key=shop.server_key)
    assert (created.status, created.json()["tier_id"]) == (201, program["tiers"][-1]["id"])
    assert api.call("POST", "/v1/members/gus/memberships", body, key=shop.server_key).status == 200
    wrong = api.call(
        "POST",
        "/v1/members/gus/memberships",
        {**body, "membership_id": "m-2", "amount": "9.00"},
        key=shop.server_key,
    )
    assert (wrong.status, problem_type(wrong)) == (422, "price-mismatch")
    floats = api.call(
        "POST",
        "/v1/members/gus/memberships",
        {**body, "membership_id": "m-3", "amount": 99.0},
        key=shop.server_key,
    )
    assert floats.status == 422
    assert (
        api.call("GET", "/v1/members/gus/memberships", key=shop.server_key).json()["items"][0][
            "membership_id"
        ]
        == "m-1"
    )
    assert (
        api.call("GET", "/v1/members/gus", key=shop.server_key).json()["tier"]["membership"]["membership_id"]
        == "m-1"
    )
    cancelled = api.call("POST", "/v1/members/gus/memberships/m-1/cancel", None, key=shop.server_key)
    assert (cancelled.status, cancelled.json()["status"]) == (200, "cancelled")
    missing = api.call("POST", "/v1/members/gus/memberships/nope/cancel", None, key=shop.server_key)
    assert (missing.status, problem_type(missing)) == (404, "membership-not-found")


def test_a_reminder_goes_once_per_window_before_the_last_membership_bought_ends(aws, club, clock):
    # Given a member with a membership ending 2027-03-14 and another bought ahead to 2027-06-14
    enrol(club, "hal")
    memberships.buy_membership(club, "club", "hal", bought("m-1"))
    memberships.buy_membership(club, "club", "hal", bought("m-2"))
    windows = club.programs.get("club").reminders.windows_days
    tightest = min(windows)

    # When the reminders run comes 8 days before m-1 ends: nothing (the member stays VIP after it)
    assert run_reminders(club, datetime(2027, 3, 6, 12, 0, tzinfo=UTC)).memberships_reminded == 0
    # (the tiers run passes m-1's end: m-2 is in force, its end the member's next review)
    run_tiers(club, JobStore(aws.table_name), datetime(2027, 3, 14, 6, 0, tzinfo=UTC))
    # And within the tightest window before m-2's end: one reminder about m-2, once
    late = datetime(2027, 6, 14, 12, 0, tzinfo=UTC) - timedelta(days=tightest)
    assert run_reminders(club, late).memberships_reminded == 1
    assert run_reminders(club, late).memberships_reminded == 0
    reminded = [event for event in membership_events(aws, "hal") if event[0] == "membership.expiring"]
    assert reminded == [("membership.expiring", "m-2", "2027-03-14", "2027-06-14")]
