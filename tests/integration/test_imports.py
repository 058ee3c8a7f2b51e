"""Imports and bulk adjustments on the real table and queue, with the real worker handler and event
shapes: lots keep their dates, bad rows are reported by line, the import id replays or conflicts, a
worker killed mid-chunk resumes without a double or a gap, a revert takes every credit back once
(as debt where spent), and bulk adjustments move signed points with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from loyalty.consumers.imports import default_imports
from loyalty.errors import IdempotencyConflictError, ImportFileError, ImportStateError, InvalidRequestError
from loyalty.events import event_for_item
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, TierAssignmentRequest
from loyalty.models.audit import AuditQuery
from loyalty.models.imports import ImportMessage
from loyalty.operations import (
    adjustments,
    audit,
    import_rows,
    import_uploads,
    imports,
    member_search,
    members,
    purchases,
    tiers,
)
from loyalty.operations.context import Principal
from loyalty.operations.tiers import run_tiers
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from tests.support import ledger as ledger_support
from tests.support.ledger import assert_adds_up, items_under, member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ImportQueue"

FILE = (
    "member_id,points,expires_on,earned_on,name,email\n"
    "ann,500,2027-06-30,2025-01-15,,\n"  # line 2: an enrolled member
    "zed,300,2027-12-31,2024-11-01,Zed,zed@example.com\n"  # line 3: enrolled by the import
    "zed,200,,2025-03-01,,\n"  # line 4: a second lot, the program's expiry
    "kim,abc,,,,\n"  # line 5: points not a number
    ",10,,,,\n"  # line 6: no member id
    "lou,10,2026-01-01,,,\n"  # line 7: expired already (refused by the worker)
    "max,10,2027-01-01,2027-02-01,,\n"  # line 8: earned after it expires
)


# --- helpers -----------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of 20 rows in steps of 5: several chunks and steps from a few dozen rows."""
    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 20)
    monkeypatch.setattr(imports, "ROWS_PER_STEP", 5)


def deliver(aws, body: str) -> None:
    spec = load_template().function("ImportWorkerFunction")
    event = sqs_event([QueueMessage("m-1", "r-1", body)], QUEUE_ARN)
    assert invoke(spec, load_handler(spec), event) == {"batchItemFailures": []}


def drain(aws, *, limit: int = 500) -> int:
    """Deliver the import queue's messages to ImportWorkerFunction until the queue is empty."""
    for delivered in range(limit):
        received = aws.sqs.receive_message(QueueUrl=aws.queues["ImportQueue"], MaxNumberOfMessages=1).get(
            "Messages", []
        )
        if not received:
            return delivered
        deliver(aws, received[0]["Body"])
        aws.sqs.delete_message(QueueUrl=aws.queues["ImportQueue"], ReceiptHandle=received[0]["ReceiptHandle"])
    raise AssertionError("the import queue never emptied")


def taken(aws) -> list[dict]:
    """The queued messages, taken off the queue."""
    bodies = []
    while True:
        received = aws.sqs.receive_message(QueueUrl=aws.queues["ImportQueue"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not received:
            return bodies
        for message in received:
            bodies.append(json.loads(message["Body"]))
            aws.sqs.delete_message(QueueUrl=aws.queues["ImportQueue"], ReceiptHandle=message["ReceiptHandle"])


def start(context, import_id: str, content: str, **options):
    options.setdefault("file_format", "csv")
    chosen = imports.ImportOptions(**options)
    return imports.start_import(context, default_imports(), ADMIN, import_id, content.encode(), chosen)


def status(context, import_id: str) -> dict:
    return imports.read_import(context, default_imports(), "shop", import_id).body


def view(context, member_id: str) -> dict:
    return members.read_member(context, "shop", member_id).body


def entries(context, member_id: str) -> list[dict]:
    return members.list_transactions(context, "shop", member_id, 100, None).body["items"]


def many(count: int, points: int = 10, prefix: str = "p") -> str:
    return "member_id,points\n" + "".join(f"{prefix}{n:04d},{points}\n" for n in range(count))


# --- the import ------------------------------------------------------------------------------------
def test_given_a_legacy_file_when_imported_then_lots_keep_dates_no_signup_bonus_and_bad_rows_by_line(
    aws, context
):
    members.enroll(context, "shop", EnrollRequest(member_id="ann"))  # the signup bonus: 100
    answer = start(context, "legacy-1", FILE)
    assert (answer.status, answer.body) == (202, {"import_id": "legacy-1", "status": "queued"})
    assert status(context, "legacy-1")["status"] == "queued"
    drain(aws)

    job = status(context, "legacy-1")
    assert job["status"] == "done"
    assert job["rows"] == {"total": 7, "imported": 3, "failed": 4}
    assert [error["line"] for error in job["errors"]] == [5, 6, 7, 8]
    reasons = {error["line"]: error["reason"] for error in job["errors"]}
    assert "points 'abc' is not a whole number" in reasons[5]
    assert "member_id" in reasons[6]
    assert "2026-01-01 is already over" in reasons[7]
    assert "earned_on is after expires_on" in reasons[8]

    assert view(context, "ann")["balance"]["available"] == 600
    zed = view(context, "zed")
    assert zed["balance"]["available"] == 500  # 300 + 200, no signup bonus
    assert (zed["name"], zed["email"]) == ("Zed", "zed@example.com")
    # (an imported member is found by email like an enrolled one)
    found = member_search.search_members(
        context, "shop", member_id=None, email="ZED@example.com", phone=None, limit=10, cursor=None
    )
    assert [m["member_id"] for m in found.body["items"]] == ["zed"]
    imported = {
        entry["line"]: entry for entry in entries(context, "zed") if entry.get("import_id") == "legacy-1"
    }
    assert sorted(imported) == [3, 4]
    assert (imported[3]["points"], imported[3]["expires_on"], imported[3]["earned_on"]) == (
        300,
        "2027-12-31",
        "2024-11-01",
    )
    assert (imported[4]["points"], imported[4]["earned_on"]) == (200, "2025-03-01")
    assert imported[4]["expires_on"] != "2027-12-31"  # the program's expiry for imported points
    imported_entries = list(imported.values())
    assert all(entry["source"] == "import" for entry in imported_entries)
    assert all(entry["actor"] == "key_test" for entry in imported_entries)  # the admin key that sent it
    assert len(entries(context, "zed")) == 2  # no signup entry
    state = member_state(aws.dynamodb, aws.table_name, "shop", "zed")
    assert any(
        lot["expires_on"] is not None and str(lot["expires_on"]) == "2027-12-31" and lot["remaining"] == 300
        for lot in state.lots
    )
    assert_adds_up(state)
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", "ann"))
    logged = audit.list_audit(context, "shop", AuditQuery(limit=50), None)
    assert any(item["action"] == "import.started" for item in logged.body["items"])


def test_given_a_jsonl_file_when_imported_then_its_rows_apply_like_csv_rows(aws, context):
    content = (
        '{"member_id": "j1", "points": 70, "expires_on": "2027-03-31"}\n\n{"member_id": "j2", "points": -5}\n'
        "not json\n"
    )
    start(context, "lines", content, file_format="jsonl")
    drain(aws)
    job = status(context, "lines")
    assert job["rows"] == {"total": 3, "imported": 1, "failed": 2}
    assert [error["line"] for error in job["errors"]] == [3, 4]
    assert view(context, "j1")["balance"]["available"] == 70


def test_given_a_dry_run_when_it_reads_the_file_then_it_reports_rows_and_errors_and_changes_nothing(
    aws, context
):
    answer = start(context, "dry", FILE, dry_run=True)
    assert answer.status == 200
    assert answer.body["rows"] == {"total": 7, "imported": 0, "failed": 3}  # the worker's refusals come later
    assert [error["line"] for error in answer.body["errors"]] == [5, 6, 8]
    assert taken(aws) == []
    with pytest.raises(Exception, match="not found"):
        status(context, "dry")
    with pytest.raises(Exception, match="not found"):
        view(context, "zed")


def test_given_a_file_without_a_points_column_when_sent_then_it_is_refused_whole(aws, context):
    with pytest.raises(ImportFileError, match="points"):
        start(context, "bad", "member_id,name\nann,Ann\n")


def test_given_an_import_when_the_same_file_is_replayed_then_nothing_changes_and_another_file_is_409(
    aws, context
):
    start(context, "legacy-2", FILE)
    drain(aws)
    before = view(context, "zed")

    again = start(context, "legacy-2", FILE)
    assert (again.status, again.body, again.replayed) == (
        202,
        {"import_id": "legacy-2", "status": "queued"},
        True,
    )
    assert taken(aws) == []  # the job is done: nothing queued again
    assert view(context, "zed") == before
    assert status(context, "legacy-2")["rows"]["imported"] == 3

    with pytest.raises(IdempotencyConflictError):
        start(context, "legacy-2", FILE.replace("500", "501"))


def test_given_a_chunk_a_killed_worker_partly_applied_when_redelivered_then_no_row_counts_twice_or_is_lost(
    aws, context
):
    start(context, "big", many(90))  # five chunks of 20 rows, steps of 5
    queued = taken(aws)
    assert [message["chunk"] for message in queued] == [0, 1, 2, 3, 4]
    first = ImportMessage.model_validate(queued[0])
    # A worker committed chunk 0's first step, applied three rows of its second and was killed.
    report = imports.run_chunk(context, default_imports(), first, should_stop=lambda: True)
    assert (report.steps, report.rows, report.stopped) == (1, 5, True)
    rows = default_imports().store.read_rows("shop", "big", 0)
    for line, row in rows[5:8]:
        import_rows.apply_row(
            context, import_rows.RowJob("shop", "big", "import", None, "import:big"), line, row
        )
    assert status(context, "big")["rows"]["imported"] == 5

    for body in queued:  # every chunk delivered, chunk 0 twice (redelivered after the kill)
        deliver(aws, json.dumps(body))
    deliver(aws, json.dumps(queued[0]))
    drain(aws)

    job = status(context, "big")
    assert job["status"] == "done"
    assert job["rows"] == {"total": 90, "imported": 90, "failed": 0}
    for number in range(90):
        member_id = f"p{number:04d}"
        assert view(context, member_id)["balance"]["available"] == 10, member_id
        assert len(entries(context, member_id)) == 1, member_id


def test_given_a_worker_stopped_between_steps_when_its_chunk_comes_round_then_it_resumes_at_its_checkpoint(
    aws, context
):
    start(context, "slow", many(12, prefix="s"))
    (body,) = taken(aws)
    message = ImportMessage.model_validate(body)
    report = imports.run_chunk(context, default_imports(), message, should_stop=lambda: True)
    assert (report.steps, report.rows, report.stopped) == (1, 5, True)
    assert status(context, "slow")["rows"]["imported"] == 5
    imports.run_chunk(context, default_imports(), message)
    assert status(context, "slow")["rows"] == {"total": 12, "imported": 12, "failed": 0}
    assert status(context, "slow")["status"] == "done"


# --- revert ------------------------------------------------------------------------------------------
def test_given_an_import_partly_spent_when_reverted_then_every_credit_is_taken_back_once_as_debt_where_spent(
    aws, context
):
    members.enroll(context, "shop", EnrollRequest(member_id="ann"))
    start(context, "legacy-3", FILE)
    with pytest.raises(ImportStateError):
        imports.start_revert(context, default_imports(), ADMIN, "legacy-3")  # still queued
    drain(aws)
    adjustments.adjust(
        context, ADMIN, "zed", AdjustmentRequest(adjustment_id="spend", points=-450, reason="spent")
    )

    answer = imports.start_revert(context, default_imports(), ADMIN, "legacy-3")
    assert (answer.status, answer.body) == (202, {"import_id": "legacy-3", "status": "reverting"})
    again = imports.start_revert(context, default_imports(), ADMIN, "legacy-3")
    assert (again.status, again.body, again.replayed) == (202, answer.body, True)
    drain(aws)

    job = status(context, "legacy-3")
    assert job["status"] == "reverted"
    assert job["revert"] == {"status": "done", "rows": 3}
    assert view(context, "ann")["balance"]["available"] == 100  # the signup bonus stays
    zed = view(context, "zed")
    assert (zed["balance"]["available"], zed["debt"]) == (0, 450)  # 500 credited, 450 spent
    for member_id in ("ann", "zed"):
        assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", member_id))
    reverted = [entry for entry in entries(context, "zed") if entry.get("source") == "import-revert"]
    assert sorted(entry["line"] for entry in reverted) == [3, 4]
    assert sum(entry["points"] for entry in reverted) == -50  # what was left; the rest is debt

    # A redelivered revert chunk takes nothing more.
    deliver(
        aws, ImportMessage(tenant_id="shop", import_id="legacy-3", step="revert", chunk=0).model_dump_json()
    )
    assert view(context, "zed")["debt"] == 450
    logged = audit.list_audit(context, "shop", AuditQuery(limit=50), None)
    assert [item["action"] for item in logged.body["items"]].count("import.reverted") == 1


# --- bulk adjustments ------------------------------------------------------------------------------
def test_given_a_bulk_adjustment_when_applied_then_signed_points_move_with_a_reason_and_refusals_by_line(
    aws, context
):
    for member_id in ("a1", "a2"):
        members.enroll(context, "shop", EnrollRequest(member_id=member_id))  # 100 each
    content = "member_id,points,reason\na1,50,\na2,-30,damaged parcel\na2,-500,\nghost,5,\na1,0,\n"
    with pytest.raises(InvalidRequestError, match="reason"):
        start(context, "campaign", content, kind="adjustment")
    start(context, "campaign", content, kind="adjustment", reason="november campaign")
    drain(aws)

    job = status(context, "campaign")
    assert (job["kind"], job["status"], job["reason"]) == ("adjustment", "done", "november campaign")
    assert job["rows"] == {"total": 5, "imported": 2, "failed": 3}
    lines = {error["line"]: error["reason"] for error in job["errors"]}
    assert sorted(lines) == [4, 5, 6]
    assert "ghost" in lines[5]
    assert view(context, "a1")["balance"]["available"] == 150
    assert view(context, "a2")["balance"]["available"] == 70
    reasons = {
        entry.get("reason") for entry in entries(context, "a2") if entry.get("import_id") == "campaign"
    }
    assert reasons == {"damaged parcel"}
    assert {e.get("reason") for e in entries(context, "a1") if e.get("import_id")} == {"november campaign"}

    imports.start_revert(context, default_imports(), ADMIN, "campaign")
    drain(aws)
    assert view(context, "a1")["balance"]["available"] == 100
    assert view(context, "a2")["balance"]["available"] == 100
    assert status(context, "campaign")["status"] == "reverted"


def test_given_imports_when_listed_then_each_shows_with_its_kind_and_status(aws, context):
    members.enroll(context, "shop", EnrollRequest(member_id="a1"))
    start(context, "one", many(3))
    start(context, "two", "member_id,points\na1,-1\n", kind="adjustment", reason="fix")
    drain(aws)
    page = imports.list_imports(context, default_imports(), "shop", 1, None).body
    assert [item["import_id"] for item in page["items"]] == ["one"]
    rest = imports.list_imports(context, default_imports(), "shop", 10, page["next_cursor"]).body
    assert [(item["import_id"], item["kind"], item["status"], item["rows"]) for item in rest["items"]] == [
        ("two", "adjustment", "done", {"total": 1, "imported": 1, "failed": 0})
    ]
    assert rest["next_cursor"] is None


# --- over HTTP -----------------------------------------------------------------------------------------
def test_given_the_http_api_when_a_file_is_sent_then_csv_is_taken_json_is_415_and_another_tenant_sees_404(
    aws, api, shop, rival
):
    sent = api.call(
        "PUT",
        "/v1/imports/web-1",
        key=shop.admin_key,
        raw="member_id,points\nw1,5\n",
        headers={"Content-Type": "text/csv"},
    )
    assert (sent.status, sent.json()) == (202, {"import_id": "web-1", "status": "queued"})
    dry = api.call(
        "PUT",
        "/v1/imports/web-2",
        key=shop.admin_key,
        raw="member_id,points\nw1,x\n",
        headers={"Content-Type": "text/csv; charset=utf-8"},
        query="dry_run=true",
    )
    assert (dry.status, dry.json()["rows"], dry.json()["errors"][0]["line"]) == (
        200,
        {"total": 1, "imported": 0, "failed": 1},
        2,
    )
    wrong = api.call("PUT", "/v1/imports/web-3", {"member_id": "w1", "points": 5}, key=shop.admin_key)
    assert (wrong.status, wrong.json()["type"].rsplit("/", 1)[1]) == (415, "unsupported-media-type")
    server = api.call("GET", "/v1/imports/web-1", key=shop.server_key)
    assert server.status == 403
    listed = api.call("GET", "/v1/imports", key=shop.admin_key)
    assert [item["import_id"] for item in listed.json()["items"]] == ["web-1"]
    assert api.call("GET", "/v1/imports/web-1", key=rival.admin_key).status == 404
    assert api.call("POST", "/v1/imports/web-1/revert", key=rival.admin_key).status == 404
    assert api.call("GET", "/v1/imports", key=rival.admin_key).json()["items"] == []


# --- large files through a presigned upload ------------------------------------------------------------
def upload(api, key: str, import_id: str, content: str, file_format: str = "csv") -> dict:
    """Ask for the import's upload URL and PUT the file to it, as a client does."""
    answer = api.call("POST", f"/v1/imports/{import_id}/upload", {"format": file_format}, key=key)
    assert answer.status == 201, answer.json()
    put = requests.put(answer.json()["upload_url"], data=content.encode(), timeout=10)
    assert put.status_code == 200, put.text
    return answer.json()


def start_uploaded(api, key: str, import_id: str, file_format: str = "csv", extra: str = ""):
    return api.call(
        "PUT", f"/v1/imports/{import_id}", key=key, query=f"from_upload=true&format={file_format}{extra}"
    )


def test_given_a_file_uploaded_through_the_presigned_url_when_started_then_it_imports_replays_and_conflicts(
    aws, api, shop, context
):
    # Given a file sent to the URL the upload route presigned
    offer = upload(api, shop.admin_key, "big-1", FILE)
    assert (offer["import_id"], offer["format"], offer["method"], offer["max_bytes"]) == (
        "big-1",
        "csv",
        "PUT",
        100 * 1024 * 1024,
    )
    assert offer["start"] == "PUT /v1/imports/big-1?from_upload=true&format=csv"
    # When the import starts from the upload
    started = start_uploaded(api, shop.admin_key, "big-1")
    assert (started.status, started.json()) == (202, {"import_id": "big-1", "status": "queued"})
    drain(aws)
    # Then its rows apply as an inline file's do: lots keep their dates, bad rows by line
    job = api.call("GET", "/v1/imports/big-1", key=shop.admin_key).json()
    assert (job["status"], job["rows"]) == ("done", {"total": 7, "imported": 3, "failed": 4})
    assert [error["line"] for error in job["errors"]] == [5, 6, 7, 8]
    zed = api.call("GET", "/v1/members/zed", key=shop.admin_key).json()
    assert zed["balance"]["available"] == 500
    # And the same file started again replays without a second credit
    again = start_uploaded(api, shop.admin_key, "big-1")
    assert (again.status, again.json()) == (202, {"import_id": "big-1", "status": "queued"})
    assert taken(aws) == []
    assert api.call("GET", "/v1/members/zed", key=shop.admin_key).json()["balance"] == zed["balance"]
    # And another file uploaded under the id is 409, as inline
    upload(api, shop.admin_key, "big-1", FILE.replace("300", "301"))
    conflict = start_uploaded(api, shop.admin_key, "big-1")
    assert (conflict.status, conflict.json()["type"].rsplit("/", 1)[1]) == (409, "idempotency-conflict")
    # And the same uploaded file as an inline body is the same job (the bytes are the fingerprint)
    inline = api.call(
        "PUT", "/v1/imports/big-1", key=shop.admin_key, raw=FILE, headers={"Content-Type": "text/csv"}
    )
    assert inline.status == 202


def test_given_an_upload_when_it_is_a_jsonl_dry_run_then_it_reports_and_changes_nothing(aws, api, shop):
    upload(api, shop.admin_key, "big-2", '{"member_id": "u1", "points": 5}\n{"member_id": "u2"}\n', "jsonl")
    dry = start_uploaded(api, shop.admin_key, "big-2", "jsonl", "&dry_run=true")
    assert (dry.status, dry.json()["rows"], dry.json()["errors"][0]["line"]) == (
        200,
        {"total": 2, "imported": 0, "failed": 1},
        2,
    )
    assert taken(aws) == []
    assert api.call("GET", "/v1/imports/big-2", key=shop.admin_key).status == 404


def test_given_no_upload_a_file_over_the_limit_or_another_tenants_upload_then_the_start_is_refused(
    aws, api, shop, rival, monkeypatch
):
    # Given nothing uploaded under the id (or in the other format): 422, no job
    missing = start_uploaded(api, shop.admin_key, "big-3")
    assert (missing.status, missing.json()["type"].rsplit("/", 1)[1]) == (422, "import-file")
    assert "upload" in missing.json()["detail"]
    # Given a file uploaded by another tenant under the same id: this tenant sees no file
    upload(api, rival.admin_key, "big-3", "member_id,points\nr1,5\n")
    assert start_uploaded(api, shop.admin_key, "big-3").status == 422
    # Given a file over the upload limit: 422 saying the limit, no job
    monkeypatch.setattr(import_uploads, "MAX_UPLOAD_BYTES", 10)
    upload(api, shop.admin_key, "big-4", "member_id,points\nr1,5\n")
    over = start_uploaded(api, shop.admin_key, "big-4")
    assert (over.status, over.json()["type"].rsplit("/", 1)[1]) == (422, "import-file")
    assert "10 byte limit" in over.json()["detail"]
    assert taken(aws) == []
    # And the upload route is the admin's: a server key is 403, a bad format 422
    assert api.call("POST", "/v1/imports/big-5/upload", {"format": "csv"}, key=shop.server_key).status == 403
    bad = api.call("POST", "/v1/imports/big-5/upload", {"format": "xlsx"}, key=shop.admin_key)
    assert bad.status == 422


# --- tiers from the old system --------------------------------------------------------------------------
def test_given_tier_columns_when_a_member_is_enrolled_by_the_import_then_it_holds_the_tier_until_its_end(
    aws, context
):
    # Given ann enrolled already and a file giving tiers from the old system
    members.enroll(context, "shop", EnrollRequest(member_id="ann"))
    before = view(context, "ann")
    content = (
        "member_id,points,tier_id,tier_ends_on\n"
        "vip-1,100,gold,2027-06-30\n"  # line 2: enrolled by the import, gold until June
        "vip-2,0,silver,\n"  # line 3: silver with no end
        "ann,10,gold,2027-06-30\n"  # line 4: already there: the points, not the tier
        "vip-3,10,platinum,\n"  # line 5: no such tier in the program
        "vip-4,10,,2027-06-30\n"  # line 6: an end without a tier
    )
    # When it is imported
    start(context, "tiers", content)
    drain(aws)
    # Then an enrolled member holds the tier as an admin's assignment, reason "import", by the key
    job = status(context, "tiers")
    assert job["rows"] == {"total": 5, "imported": 3, "failed": 2}
    assert [error["line"] for error in job["errors"]] == [5, 6]
    reasons = {error["line"]: error["reason"] for error in job["errors"]}
    assert "tier 'platinum' is not in the program" in reasons[5]
    assert "tier_ends_on without tier_id" in reasons[6]
    one = view(context, "vip-1")
    assert (one["balance"]["available"], one["tier"]["id"]) == (100, "gold")
    assert one["tier"]["assigned"] == {
        "tier_id": "gold",
        "until": "2027-06-30",
        "reason": "import",
        "assigned_by": "key_test",
    }
    two = view(context, "vip-2")
    assert (two["tier"]["id"], two["tier"]["assigned"]["until"]) == ("silver", None)
    # And a member already there keeps its own tier (a tier is imported only with the enrolment)
    ann = view(context, "ann")
    assert ann["balance"]["available"] == before["balance"]["available"] + 10
    assert (ann["tier"]["id"], ann["tier"]["assigned"]) == (before["tier"]["id"], None)
    with pytest.raises(Exception, match="not found"):
        view(context, "vip-3")  # a refused row enrols no one
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", "vip-1"))


def tier_history(aws, member_id: str) -> list[tuple[str, str, str]]:
    return ledger_support.tier_history(aws, "shop", member_id)


def tier_changed(aws, member_id: str) -> list[tuple[str, str]]:
    """The tier.changed events the stream publishes for the member's history items."""
    items = items_under(aws, keys.member_pk("shop", member_id), keys.TIER_CHANGE_PREFIX)
    events = [event_for_item(item) for item in items]
    return [
        (event["detail"]["from_tier"], event["detail"]["to_tier"])
        for event in events
        if event is not None and event["detail-type"] == "tier.changed"
    ]


def test_given_imported_tiers_when_the_import_is_reverted_then_a_tier_still_held_from_it_ends_once(
    aws, context, clock
):
    # Given members the import enrolled with tiers, and what happened to them since
    members.enroll(context, "shop", EnrollRequest(member_id="ann"))
    content = (
        "member_id,points,tier_id,tier_ends_on\n"
        "t-1,100,gold,2027-06-30\n"  # line 2: gold from the import, nothing else
        "t-2,0,silver,\n"  # line 3: no points, silver with no end
        "t-3,50,gold,\n"  # line 4: an admin assigns gold again, as their own, since
        "t-4,50,silver,\n"  # line 5: earns silver by spending since
        "ann,10,gold,\n"  # line 6: already there: never got the tier
    )
    start(context, "old-tiers", content)
    drain(aws)
    assert status(context, "old-tiers")["rows"] == {"total": 5, "imported": 5, "failed": 0}
    clock.advance(days=3)
    tiers.assign_tier(
        context, ADMIN, "t-3", TierAssignmentRequest(tier_id="gold", until=None, reason="VIP guest")
    )
    spend = PurchaseRequest(order_id="o-t4", member_id="t-4", amount=Decimal("5000.00"), currency="CNY")
    purchases.record_purchase(context, "shop", spend)
    ann_before = view(context, "ann")["tier"]

    # When the import is reverted (and its revert chunk delivered twice)
    clock.advance(days=3)
    imports.start_revert(context, default_imports(), ADMIN, "old-tiers")
    drain(aws)
    deliver(
        aws, ImportMessage(tenant_id="shop", import_id="old-tiers", step="revert", chunk=0).model_dump_json()
    )
    assert imports.start_revert(context, default_imports(), ADMIN, "old-tiers").replayed
    job = status(context, "old-tiers")
    assert (job["status"], job["revert"]) == ("reverted", {"status": "done", "rows": 5})

    # Then a tier still held from the import ends: down to what the rules give (the base), once
    for member_id, tier_id in (("t-1", "gold"), ("t-2", "silver")):
        tier = view(context, member_id)["tier"]
        assert (tier["id"], tier["assigned"], tier["review_on"]) == ("base", None, None)
        assert tier_history(aws, member_id) == [
            ("base", tier_id, "assigned"),
            (tier_id, "base", "import_reverted"),
        ]
        assert tier_changed(aws, member_id) == [("base", tier_id), (tier_id, "base")]
        assert view(context, member_id)["balance"]["available"] == 0
        assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", member_id))
    # And an admin's assignment made since is the admin's: it stays, and so does the tier
    t3 = view(context, "t-3")["tier"]
    assert (t3["id"], t3["assigned"]["reason"], t3["assigned"]["until"]) == ("gold", "VIP guest", None)
    assert [change[2] for change in tier_history(aws, "t-3")] == ["assigned", "assigned"]
    # And a tier the member earned by the rules stays: only the assignment goes (history, no event)
    t4 = view(context, "t-4")["tier"]
    assert (t4["id"], t4["assigned"]) == ("silver", None)
    assert tier_history(aws, "t-4") == [
        ("base", "silver", "assigned"),
        ("silver", "silver", "import_reverted"),
    ]
    assert tier_changed(aws, "t-4") == [("base", "silver")]
    # And a member already there never had the import's tier: nothing to take back
    assert view(context, "ann")["tier"] == ann_before
    assert tier_history(aws, "ann") == []

    # And the tiers run after the imported end finds nothing more to change
    run_tiers(context, JobStore(aws.table_name), datetime(2027, 7, 2, 1, 0, tzinfo=UTC))
    assert [len(tier_history(aws, member)) for member in ("t-1", "t-2", "t-3", "t-4")] == [2, 2, 2, 2]
