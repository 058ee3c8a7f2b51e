"""Profile corrections: the fields sent are set (null clears one), the others kept; two racing
corrections both land; a new birthday moves the member in the birthday index but pays no second
bonus in a year that had one."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from loyalty.models.api import EnrollRequest, ProfileRequest
from loyalty.operations import members
from loyalty.operations.birthdays import run_birthdays
from loyalty.operations.context import Principal
from loyalty.store.job_store import JobStore
from loyalty.store.keys import OPERATION_SK
from tests.support.ledger import assert_adds_up, member_state

SERVER = Principal(tenant_id="shop", scope="server", key_id="key_test")


def shanghai(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


def test_a_patch_sets_the_fields_sent_clears_nulls_and_keeps_the_rest(api, shop):
    enrol = {"member_id": "m1", "name": "Ann", "email": "ann@example.com", "phone": "+86 138 0000 0000"}
    assert api.call("POST", "/v1/members", enrol, key=shop.server_key).status == 201

    patched = api.call(
        "PATCH", "/v1/members/m1", {"name": "Anne", "email": None, "locale": "en"}, key=shop.server_key
    )

    assert patched.status == 200, patched.body
    read = api.call("GET", "/v1/members/m1", key=shop.server_key).json()
    assert read == patched.json()
    assert (read["name"], read.get("email"), read["phone"], read["locale"]) == (
        "Anne",
        None,
        "+86 138 0000 0000",
        "en",
    )
    assert read["balance"]["available"] == 100  # no points move


def test_a_bad_or_empty_patch_is_422_and_an_unknown_member_404(api, shop, rival):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201

    empty = api.call("PATCH", "/v1/members/m1", {}, key=shop.server_key)
    bad_email = api.call("PATCH", "/v1/members/m1", {"email": "nope"}, key=shop.server_key)
    unknown = api.call("PATCH", "/v1/members/ghost", {"name": "X"}, key=shop.server_key)
    other_tenant = api.call("PATCH", "/v1/members/m1", {"name": "X"}, key=rival.server_key)

    assert (empty.status, bad_email.status, unknown.status, other_tenant.status) == (422, 422, 404, 404)
    assert api.call("GET", "/v1/members/m1", key=shop.server_key).json().get("name") is None


def test_two_racing_corrections_both_land(aws, context, monkeypatch):
    # Given a member, and a correction of the email committed between another one's read and write
    members.enroll(context, "shop", EnrollRequest(member_id="m1", name="Ann"))
    original = context.ledger.read_member_and_operation
    raced: list[bool] = []

    def read_then_race(*args):
        read = original(*args)
        if not raced:
            raced.append(True)
            members.correct_profile(context, SERVER, "m1", ProfileRequest(email="ann@example.com"))
        return read

    monkeypatch.setattr(context.ledger, "read_member_and_operation", read_then_race)

    # When the name is corrected on the member as read before the email changed
    outcome = members.correct_profile(context, SERVER, "m1", ProfileRequest(name="Anne"))

    # Then the lost race is read again and decided anew: both corrections are kept
    assert (outcome.body["name"], outcome.body["email"]) == ("Anne", "ann@example.com")
    stored = context.members.read_member("shop", "m1")
    assert stored.profile == {"name": "Anne", "email": "ann@example.com"}
    assert stored.profile_revision == 2


def test_a_new_birthday_moves_the_member_but_pays_no_second_bonus_that_year(aws, context):
    jobs = JobStore(aws.table_name)
    members.enroll(context, "shop", EnrollRequest(member_id="paid", birthday=date(1990, 3, 15)))
    members.enroll(context, "shop", EnrollRequest(member_id="unpaid", birthday=date(1990, 12, 1)))
    assert run_birthdays(context, jobs, shanghai(date(2027, 3, 15), 9)).bonuses_given == 1

    # When both move their birthday to 20 March
    for member_id in ("paid", "unpaid"):
        members.correct_profile(context, SERVER, member_id, ProfileRequest(birthday=date(1990, 3, 20)))
    on_the_new_day = run_birthdays(context, jobs, shanghai(date(2027, 3, 20), 9))

    # Then the run finds both on the new day; only the one not yet celebrated this year is paid
    assert on_the_new_day.bonuses_given == 1
    for member_id, expected in (("paid", [2027]), ("unpaid", [2027])):
        state = member_state(aws.dynamodb, aws.table_name, "shop", member_id)
        assert_adds_up(state)
        assert [e["birthday_year"] for e in state.entries if e.get("source") == "birthday"] == expected
    assert member_state(aws.dynamodb, aws.table_name, "shop", "paid").available == 200
    # And a run on the old day of December finds no one
    assert run_birthdays(context, jobs, shanghai(date(2027, 12, 1), 9)).bonuses_given == 0


def test_a_corrections_stored_answer_holding_the_profile_is_kept_a_day_then_left_to_the_ttl(aws, api, shop):
    # Given a member, and a correction of its email (its answer is the member view, email included)
    enrol = {"member_id": "m1", "name": "Ann", "email": "ann@example.com"}
    assert api.call("POST", "/v1/members", enrol, key=shop.server_key).status == 201
    before = int(time.time())
    patched = api.call("PATCH", "/v1/members/m1", {"email": "anne@example.com"}, key=shop.server_key)
    assert patched.status == 200, patched.body

    # Then the correction's idempotency record carries the table's TTL attribute, a day ahead
    # (the enrolment's, which an erasure removes itself, is kept)
    items = aws.dynamodb.scan(TableName=aws.table_name)["Items"]
    records = {item["kind"]["S"]: item for item in items if item.get("SK", {}).get("S") == OPERATION_SK}
    corrected = records[members.PROFILE]
    assert "anne@example.com" in corrected["body"]["S"]
    kept_until = int(corrected["ttl_epoch"]["N"])
    assert before + 86_400 <= kept_until <= int(time.time()) + 86_400
    assert "ttl_epoch" not in records[members.ENROLL]
