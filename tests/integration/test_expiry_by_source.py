"""Per-source expiry on the real table: activity points under their own (shorter) rule, imported
points on their original date, everything else on the program's default; the expiry run takes
each lot on its own day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from loyalty.errors import InvalidRequestError
from loyalty.models.api import ActivityRequest, AdjustmentRequest, EnrollRequest
from loyalty.models.program import Program
from loyalty.operations import activities, adjustments, members, programs
from loyalty.operations.context import Principal
from loyalty.operations.expiry import run_expiry
from loyalty.store.job_store import JobStore
from tests.support.ledger import assert_adds_up, member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
# The clock is 2026-11-23 20:00 in Shanghai.
ACTIVITY_LAST_DAY = date(2026, 12, 23)  # 30 days
IMPORT_LAST_DAY = date(2027, 3, 31)  # the date the other system gave them
DEFAULT_LAST_DAY = date(2028, 11, 30)  # 24 months to the end of the month


def shanghai(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def member(context):
    document = context.programs.get("shop", fresh=True).model_dump(mode="json")
    document["expiry"]["by_source"] = {"activity": {"policy": "days", "days": 30}}
    programs.publish_program(context, ADMIN, Program.model_validate(document))
    members.enroll(context, "shop", EnrollRequest(member_id="m1"))  # signup: 100, the default
    activities.record_activity(
        context, "shop", ActivityRequest(activity_id="drive-1", member_id="m1", type="test_drive")
    )  # 200
    imported = AdjustmentRequest(
        adjustment_id="import-1", points=500, reason="migrated", source="import", expires_on=IMPORT_LAST_DAY
    )
    adjustments.adjust(context, ADMIN, "m1", imported)
    return "m1"


def test_each_source_gets_its_own_expiry_date(aws, context, member):
    state = member_state(aws.dynamodb, aws.table_name, "shop", member)

    assert {lot["expires_on"]: lot["remaining"] for lot in state.lots} == {
        ACTIVITY_LAST_DAY: 200,
        IMPORT_LAST_DAY: 500,
        DEFAULT_LAST_DAY: 100,
    }
    by_source = {entry["source"]: entry.get("expires_on") for entry in state.entries}
    assert by_source == {
        "signup": DEFAULT_LAST_DAY.isoformat(),
        "activity": ACTIVITY_LAST_DAY.isoformat(),
        "import": IMPORT_LAST_DAY.isoformat(),
    }
    assert_adds_up(state)
    # And the member view lists them soonest first
    assert members.read_member(context, "shop", member).body["expiring"] == [
        {"points": 200, "expires_on": ACTIVITY_LAST_DAY.isoformat()},
        {"points": 500, "expires_on": IMPORT_LAST_DAY.isoformat()},
        {"points": 100, "expires_on": DEFAULT_LAST_DAY.isoformat()},
    ]


def test_the_expiry_run_takes_each_lot_on_its_own_day(aws, context, member):
    jobs = JobStore(aws.table_name)

    first = run_expiry(context, jobs, shanghai(ACTIVITY_LAST_DAY + timedelta(days=1), 1))
    second = run_expiry(context, jobs, shanghai(IMPORT_LAST_DAY + timedelta(days=1), 1))

    assert (first.points_expired, second.points_expired) == (200, 500)
    state = member_state(aws.dynamodb, aws.table_name, "shop", member)
    assert (state.available, [lot["expires_on"] for lot in state.lots]) == (100, [DEFAULT_LAST_DAY])
    assert_adds_up(state)


def test_an_import_dated_in_the_past_is_refused(context, member):
    late = AdjustmentRequest(
        adjustment_id="import-2", points=50, reason="migrated", source="import", expires_on=date(2026, 11, 22)
    )
    with pytest.raises(InvalidRequestError):
        adjustments.adjust(context, ADMIN, member, late)
