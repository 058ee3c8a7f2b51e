"""Exports on the real table and queue, with the real worker handler and event shapes: a members
export equals the API's balances (matured pending points included), a ledger export keeps a
window, the export id replays or conflicts, and a worker killed or stopped mid-chunk resumes
without a double or a gap."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
import requests
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from loyalty.consumers.exports import default_exports
from loyalty.models.api import AdjustmentRequest, EnrollRequest, PurchaseRequest, RefundRequest
from loyalty.models.exports import ExportMessage, ExportRequest
from loyalty.models.rewards import HoldRequest
from loyalty.operations import adjustments, exports, holds, members, programs, purchases
from loyalty.operations.context import Principal
from loyalty.store import export_store
from loyalty.store.export_store import ExportStore, StepOutcome

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ExportQueue"


# --- helpers -----------------------------------------------------------------------------------------
def drain(aws, *, limit: int = 200) -> int:
    """Deliver the export queue's messages to ExportWorkerFunction until the queue is empty (the
    worker's own follow-ups included); returns how many messages were delivered."""
    spec = load_template().function("ExportWorkerFunction")
    handler = load_handler(spec)
    for delivered in range(limit):
        received = aws.sqs.receive_message(QueueUrl=aws.queues["ExportQueue"], MaxNumberOfMessages=1).get(
            "Messages", []
        )
        if not received:
            return delivered
        message = received[0]
        event = sqs_event(
            [QueueMessage(message["MessageId"], message["ReceiptHandle"], message["Body"])], QUEUE_ARN
        )
        assert invoke(spec, handler, event) == {"batchItemFailures": []}
        aws.sqs.delete_message(QueueUrl=aws.queues["ExportQueue"], ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("the export queue never emptied")


def queued(aws) -> list[dict]:
    bodies = []
    while True:
        received = aws.sqs.receive_message(QueueUrl=aws.queues["ExportQueue"], MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not received:
            return bodies
        for message in received:
            bodies.append(json.loads(message["Body"]))
            aws.sqs.delete_message(QueueUrl=aws.queues["ExportQueue"], ReceiptHandle=message["ReceiptHandle"])


def download(body: dict) -> str:
    assert body["status"] == "done", body
    response = requests.get(body["download_url"], timeout=10)
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def start(context, export_id: str, **request):
    return exports.start_export(
        context, default_exports(), "shop", export_id, ExportRequest.model_validate(request)
    )


def status(context, export_id: str) -> dict:
    return exports.read_export(context, default_exports(), "shop", export_id).body


def publish(context, **earn):
    program = context.programs.get("shop", fresh=True)
    document = program.model_dump(mode="json")
    document["earn"].update(earn)
    programs.publish_program(context, ADMIN, program.model_validate(document))


def enrol_spread(context, count: int) -> list[str]:
    ids = [f"m{number:03d}" for number in range(count)]
    for member_id in ids:
        members.enroll(context, "shop", EnrollRequest(member_id=member_id, name=f"Name {member_id}"))
    return ids


# --- members ------------------------------------------------------------------------------------------
@pytest.fixture
def designed(context, clock):
    """Members with every kind of balance: pending points whose date has come (the member item still
    says pending), points on a hold, debt from a refund of points already spent, an adjustment, and a
    profile with a phone starting with '+'."""
    publish(context, pending_days=3)

    def buy(order_id, member_id, amount):
        purchases.record_purchase(
            context,
            "shop",
            PurchaseRequest(order_id=order_id, member_id=member_id, amount=Decimal(amount), currency="CNY"),
        )

    members.enroll(context, "shop", EnrollRequest(member_id="ann", name="Ann", phone="+8613800000000"))
    members.enroll(context, "shop", EnrollRequest(member_id="bob", email="bob@example.com"))
    members.enroll(context, "shop", EnrollRequest(member_id="cat", name="=HYPERLINK(1)"))
    enrol_spread(context, 9)
    buy("o-ann", "ann", "300.00")  # pending for 3 days
    buy("o-bob", "bob", "200.00")
    clock.advance(days=4)  # ann's and bob's pending points have matured by date, unwritten
    holds.reserve(context, "shop", "bob", HoldRequest(hold_id="h-bob", points=50))
    adjustments.adjust(
        context, ADMIN, "cat", AdjustmentRequest(adjustment_id="a-cat", points=40, reason="goodwill")
    )
    buy("o-cat", "cat", "100.00")
    clock.advance(days=4)
    spendable = members.read_member(context, "shop", "cat").body["balance"]["available"]
    spend = AdjustmentRequest(adjustment_id="spend", points=-spendable, reason="spent it all")
    adjustments.adjust(context, ADMIN, "cat", spend)
    purchases.refund_purchase(
        context, "shop", "o-cat", RefundRequest(refund_id="r-cat", amount=Decimal("100.00"))
    )
    buy("o-new", "ann", "50.00")  # still pending at the export
    return context


def test_given_designed_members_when_exported_as_csv_then_every_row_equals_the_api_balances(
    aws, designed, clock
):
    # Given members whose balances the API computes from their lots (matured pending, held, debt)
    context = designed
    # When an admin exports them and the workers drain the queue
    assert start(context, "ex-1", kind="members", format="csv").status == 202
    assert status(context, "ex-1")["status"] == "queued"
    drain(aws)
    body = status(context, "ex-1")
    # Then the file has one row per member, each equal to GET /v1/members/{id}
    rows = csv_rows(download(body))
    every = sorted(row["member_id"] for row in rows)
    assert every == sorted(["ann", "bob", "cat", *[f"m{n:03d}" for n in range(9)]])
    assert body["rows"] == len(rows) == 12
    assert body["chunks_done"] == body["chunks"] == 8
    for row in rows:
        view = members.read_member(context, "shop", row["member_id"]).body
        assert int(row["available"]) == view["balance"]["available"]
        assert int(row["pending"]) == view["balance"]["pending"]
        assert int(row["held"]) == view["balance"]["held"]
        assert int(row["debt"]) == view["debt"]
        assert row["tier_id"] == view["tier"]["id"]
        assert row["enrolled_at"] == view["enrolled_at"]
    by_id = {row["member_id"]: row for row in rows}
    ann = members.read_member(context, "shop", "ann").body
    assert int(by_id["ann"]["available"]) >= 300
    assert int(by_id["ann"]["pending"]) == ann["balance"]["pending"] > 0
    assert int(by_id["bob"]["held"]) == 50
    assert int(by_id["cat"]["debt"]) > 0
    assert by_id["ann"]["phone"] == "+8613800000000"
    assert by_id["bob"]["email"] == "bob@example.com"
    assert by_id["cat"]["name"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert body["expires_at"]
    assert body["finished_at"]


def test_given_members_when_exported_as_jsonl_then_each_line_is_a_member_with_the_api_balance(aws, designed):
    context = designed
    start(context, "ex-j", kind="members", format="jsonl")
    drain(aws)
    lines = [json.loads(line) for line in download(status(context, "ex-j")).splitlines()]
    assert len(lines) == 12
    for line in lines:
        view = members.read_member(context, "shop", line["member_id"]).body
        assert (line["available"], line["pending"], line["held"]) == (
            view["balance"]["available"],
            view["balance"]["pending"],
            view["balance"]["held"],
        )


# --- ledger ------------------------------------------------------------------------------------------
def test_given_entries_on_three_days_when_the_ledger_is_exported_for_one_day_then_only_that_days_entries(
    aws, context, clock
):
    # Given purchases on three program-local days (the fake clock starts 2026-11-23 20:00 Shanghai)
    for member_id in ("ann", "bob"):
        members.enroll(context, "shop", EnrollRequest(member_id=member_id))
    for day in range(3):
        for member_id in ("ann", "bob"):
            purchases.record_purchase(
                context,
                "shop",
                PurchaseRequest(
                    order_id=f"o-{member_id}-{day}",
                    member_id=member_id,
                    amount=Decimal("10.00"),
                    currency="CNY",
                ),
            )
        clock.advance(days=1)
    # When the ledger of the middle day is exported
    start(context, "led-1", kind="ledger", format="jsonl", **{"from": "2026-11-24", "to": "2026-11-24"})
    drain(aws)
    body = status(context, "led-1")
    lines = [json.loads(line) for line in download(body).splitlines()]
    # Then exactly that day's entries, as the API shows them, each naming its member
    assert sorted((line["member_id"], line["order_id"]) for line in lines) == [
        ("ann", "o-ann-1"),
        ("bob", "o-bob-1"),
    ]
    assert all(line["type"] == "earn" and line["points"] == 10 for line in lines)
    assert (body["rows"], body["from"], body["to"]) == (2, "2026-11-24", "2026-11-24")
    # And without a window, every entry (enrolments included) in CSV
    start(context, "led-all", kind="ledger", format="csv")
    drain(aws)
    rows = csv_rows(download(status(context, "led-all")))
    assert len(rows) == 2 + 6
    assert {row["entry_id"] for row in rows if row["member_id"] == "ann"} == {"1", "2", "3", "4"}


# --- replay, conflict, refusals ----------------------------------------------------------------------
def test_given_an_export_when_the_same_id_is_sent_again_then_the_same_answer_and_another_body_is_409(
    aws, api, shop
):
    # Given an export started over HTTP
    first = api.call("PUT", "/v1/exports/ex-9", {"kind": "members", "format": "csv"}, key=shop.admin_key)
    assert (first.status, first.json()) == (202, {"export_id": "ex-9", "status": "queued"})
    # When the same request comes again (after the workers ran), then the same answer and one job
    drain(aws)
    again = api.call("PUT", "/v1/exports/ex-9", {"kind": "members", "format": "csv"}, key=shop.admin_key)
    assert (again.status, again.json()) == (202, first.json())
    assert queued(aws) == []  # a finished job is not queued again
    # When another request comes under the same id, then 409 and the job is unchanged
    other = api.call("PUT", "/v1/exports/ex-9", {"kind": "ledger", "format": "csv"}, key=shop.admin_key)
    assert other.status == 409
    assert other.json()["type"].endswith("idempotency-conflict")
    read = api.call("GET", "/v1/exports/ex-9", key=shop.admin_key).json()
    assert (read["kind"], read["status"], read["rows"]) == ("members", "done", 0)
    assert read["download_url"].startswith("https://")


def test_given_refused_export_requests_then_clear_problems_and_no_job(aws, api, shop, rival):
    call = api.call
    assert call("PUT", "/v1/exports/e1", {"kind": "members"}, key=shop.server_key).status == 403
    assert (
        call("PUT", "/v1/exports/e1", {"kind": "members", "from": "2026-01-01"}, key=shop.admin_key).status
        == 422
    )
    window = {"kind": "ledger", "from": "2026-02-01", "to": "2026-01-01"}
    assert call("PUT", "/v1/exports/e1", window, key=shop.admin_key).status == 422
    assert call("PUT", "/v1/exports/e1", {"kind": "points"}, key=shop.admin_key).status == 422
    assert call("PUT", "/v1/exports/bad%23id", {"kind": "members"}, key=shop.admin_key).status in (404, 422)
    assert call("GET", "/v1/exports/e1", key=shop.admin_key).status == 404
    # Another tenant's export is as missing as one that never was
    assert call("PUT", "/v1/exports/e2", {"kind": "members"}, key=shop.admin_key).status == 202
    assert call("GET", "/v1/exports/e2", key=rival.admin_key).json()["type"].endswith("export-not-found")
    assert len(queued(aws)) == 8  # e2's chunks only


# --- resumption ---------------------------------------------------------------------------------------
class KilledAfter(Exception):
    """The worker's process ends here (Lambda timeout, crash)."""


class Killing(ExportStore):
    """Commits `steps` chunk steps, then dies at the next one: before its commit (after writing the
    part) or right after it."""

    def __init__(self, base: ExportStore, steps: int, *, after_commit: bool) -> None:
        super().__init__(base.table_name, base.client)
        self.left, self.after_commit = steps, after_commit

    def commit_step(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.left == 0 and not self.after_commit:
            raise KilledAfter("killed after writing the part, before committing it")
        outcome = super().commit_step(*args, **kwargs)
        if self.left == 0:
            raise KilledAfter("killed right after the commit")
        self.left -= 1
        return outcome


@pytest.mark.parametrize("after_commit", [False, True], ids=["before-commit", "after-commit"])
def test_given_a_worker_killed_mid_chunk_when_its_message_comes_back_then_no_member_is_doubled_or_lost(
    aws, context, monkeypatch, after_commit
):
    # Given 40 members and pages of 2 (so most chunks take several steps)
    monkeypatch.setattr(export_store, "MEMBERS_PER_PAGE", 2)
    ids = enrol_spread(context, 40)
    start(context, "ex-k", kind="members", format="csv")
    messages = [ExportMessage.model_validate(body) for body in queued(aws)]
    assert len(messages) == 8
    services = default_exports()
    # When the worker of every chunk dies after two steps (a chunk shorter than that just finishes)
    killed = 0
    for message in messages:
        killer = exports.Exports(
            Killing(services.store, 2, after_commit=after_commit), services.files, services.queue
        )
        try:
            exports.run_chunk(context, killer, message)
        except KilledAfter:
            killed += 1
    middle = status(context, "ex-k")
    assert killed >= 4
    assert middle["status"] == "running"
    assert middle["chunks_done"] < 8
    assert 0 < middle["rows"] < 40
    # And each message is delivered again (twice, as SQS may), then the finish step
    reports = [exports.run_chunk(context, services, message) for message in messages + messages]
    assert sum(report.chunk_done for report in reports) == 16  # a done chunk is done again, nothing more
    assert sum(report.job_complete for report in reports) >= 1
    finish = messages[0].model_copy(update={"step": "finish"})
    assert exports.finish(context, services, finish) is True
    assert exports.finish(context, services, finish) is False  # once
    # Then every member is in the file exactly once, and the count agrees
    body = status(context, "ex-k")
    rows = csv_rows(download(body))
    assert sorted(row["member_id"] for row in rows) == ids
    assert (body["rows"], body["status"]) == (40, "done")


def test_given_a_worker_near_its_time_limit_when_it_stops_then_its_chunk_goes_round_again_and_finishes(
    aws, context, monkeypatch
):
    monkeypatch.setattr(export_store, "MEMBERS_PER_PAGE", 3)
    ids = enrol_spread(context, 30)
    start(context, "ex-t", kind="members", format="jsonl")
    messages = queued(aws)
    services = default_exports()
    # When every delivery may do one step only
    stops = [
        exports.run_chunk(context, services, ExportMessage.model_validate(body), should_stop=lambda: True)
        for body in messages
    ]
    assert any(report.stopped for report in stops)
    # Then through the real handler (which puts a stopped chunk back) the export completes
    for body, report in zip(messages, stops, strict=True):
        if report.stopped:
            aws.sqs.send_message(QueueUrl=aws.queues["ExportQueue"], MessageBody=json.dumps(body))
    drain(aws)
    lines = [json.loads(line) for line in download(status(context, "ex-t")).splitlines()]
    assert sorted(line["member_id"] for line in lines) == ids


def test_given_a_step_another_delivery_committed_first_then_it_is_not_counted_twice(aws, context):
    enrol_spread(context, 3)
    start(context, "ex-d", kind="members", format="csv")
    store = default_exports().store
    step = export_store.ChunkStep(chunk=0, page=0, cursor=None, rows=5, done=True)
    assert store.commit_step("shop", "export", "ex-d", step, context.clock()) == StepOutcome.COMMITTED
    assert store.commit_step("shop", "export", "ex-d", step, context.clock()) == StepOutcome.ALREADY_DONE
    job = store.read_job("shop", "export", "ex-d")
    assert (job.rows, job.chunks_done, job.status) == (5, 1, "running")


def test_given_a_message_that_is_not_an_export_step_then_it_is_dead_lettered_with_its_reason(aws):
    spec = load_template().function("ExportWorkerFunction")
    event = sqs_event([QueueMessage("m-1", "r-1", '{"export_id": "x"}')], QUEUE_ARN)
    assert invoke(spec, load_handler(spec), event) == {"batchItemFailures": []}
    dead = aws.sqs.receive_message(
        QueueUrl=aws.queues["ExportDeadLetterQueue"], MessageAttributeNames=["All"]
    )["Messages"]
    assert dead[0]["MessageAttributes"]["reason"]["StringValue"] == "validation-error"


def test_given_a_chunk_failing_on_its_last_delivery_then_the_job_fails_with_the_reason(aws, context):
    start(context, "ex-f", kind="members")
    queued(aws)
    spec = load_template().function("ExportWorkerFunction")
    body = ExportMessage(tenant_id="shop", export_id="ex-f", step="chunk").model_dump_json()
    event = sqs_event([QueueMessage("m-2", "r-2", body, receive_count=5)], QUEUE_ARN)
    services = default_exports()
    original = services.store.members_page

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the index is unreachable")

    services.store.members_page = broken  # type: ignore[method-assign]
    # (a batch whose every record failed is raised as a whole: powertools #4349; SQS redelivers it)
    try:
        with pytest.raises(BatchProcessingError):
            invoke(spec, load_handler(spec), event)
    finally:
        services.store.members_page = original  # type: ignore[method-assign]
    failed = status(context, "ex-f")
    assert failed["status"] == "failed"
    assert "gave up after 5 attempts" in failed["error"]
    # And a later delivery of any of its steps does nothing
    assert exports.run_chunk(context, services, ExportMessage.model_validate_json(body)).steps == 0


def test_given_exports_started_then_the_list_shows_them_newest_first_with_progress_and_per_tenant(
    aws, api, shop, rival, clock
):
    # Given two exports of the shop, one finished, and one of another tenant
    first = api.call("PUT", "/v1/exports/first", {"kind": "members"}, key=shop.admin_key)
    assert first.status == 202
    drain(aws)
    second = api.call("PUT", "/v1/exports/second", {"kind": "ledger", "format": "jsonl"}, key=shop.admin_key)
    assert second.status == 202
    assert api.call("PUT", "/v1/exports/theirs", {"kind": "members"}, key=rival.admin_key).status == 202

    # When the shop's admin lists its exports a page at a time
    page_one = api.call("GET", "/v1/exports", key=shop.admin_key, query="limit=1")
    assert page_one.status == 200, page_one.body
    cursor = page_one.json()["next_cursor"]
    page_two = api.call("GET", "/v1/exports", key=shop.admin_key, query=f"limit=1&cursor={cursor}").json()

    # Then the newest comes first, each as GET /v1/exports/{id} shows it (the done one downloadable)
    assert [item["export_id"] for item in page_one.json()["items"]] == ["second"]
    assert (page_one.json()["items"][0]["kind"], page_one.json()["items"][0]["status"]) == (
        "ledger",
        "queued",
    )
    assert [item["export_id"] for item in page_two["items"]] == ["first"]
    assert page_two["next_cursor"] is None
    assert page_two["items"][0]["status"] == "done"
    assert page_two["items"][0]["download_url"].startswith("https://")
    # And the other tenant sees only its own; a server key none; a forged cursor is 422
    theirs = api.call("GET", "/v1/exports", key=rival.admin_key).json()["items"]
    assert [item["export_id"] for item in theirs] == ["theirs"]
    assert api.call("GET", "/v1/exports", key=shop.server_key).status == 403
    forged = api.call("GET", "/v1/exports", key=shop.admin_key, query="cursor=eyJiZWxvdyI6IngifQ")
    assert forged.status == 422
