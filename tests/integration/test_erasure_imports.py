"""Erasure and import jobs: an import keeps its file's rows (a revert reads them back); erasing a
member removes its profile columns (name, email, phone, birthday) from its rows and keeps what a
revert reads, the other members' rows stay as they were, a replayed start of the same import does
not write the profile back, a row applied before the erasure replays (never a refused row), and
two erasures in one chunk both win."""

from __future__ import annotations

import json
import threading

import pytest

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from loyalty.consumers.imports import default_imports
from loyalty.models.api import EnrollRequest
from loyalty.operations import erasure, import_rows, imports, members
from loyalty.operations.context import Principal
from loyalty.store import keys
from loyalty.store.import_store import ImportStore
from tests.support.ledger import assert_adds_up, items_under, member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="key_test")
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ImportQueue"
PROFILE = ("name", "email", "phone", "birthday")

FILE = (
    "member_id,points,expires_on,name,email,phone,birthday\n"
    "amy,100,2027-06-30,Amy,amy@example.com,+8613800000001,1990-01-02\n"  # line 2
    "zed,300,2027-12-31,Zed,zed@example.com,+8613800000002,1991-03-04\n"  # line 3
    "bob,50,,Bob,bob@example.com,+8613800000003,\n"  # line 4
    "zed,200,,,zed@example.com,,\n"  # line 5: zed again
    "cat,70,,Cat,cat@example.com,+8613800000004,\n"  # line 6
)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(imports, "ROWS_PER_CHUNK", 20)
    monkeypatch.setattr(imports, "ROWS_PER_STEP", 2)


def drain(aws) -> None:
    spec = load_template().function("ImportWorkerFunction")
    handler = load_handler(spec)
    for _ in range(100):
        received = aws.sqs.receive_message(QueueUrl=aws.queues["ImportQueue"], MaxNumberOfMessages=1)
        if not received.get("Messages"):
            return
        message = received["Messages"][0]
        event = sqs_event([QueueMessage("m-1", "r-1", message["Body"])], QUEUE_ARN)
        assert invoke(spec, handler, event) == {"batchItemFailures": []}
        aws.sqs.delete_message(QueueUrl=aws.queues["ImportQueue"], ReceiptHandle=message["ReceiptHandle"])
    raise AssertionError("the import queue never emptied")


def start(context, import_id: str, content: str = FILE):
    options = imports.ImportOptions(file_format="csv")
    return imports.start_import(context, default_imports(), ADMIN, import_id, content.encode(), options)


def status(context, import_id: str) -> dict:
    return imports.read_import(context, default_imports(), "shop", import_id).body


def stored_rows(aws, import_id: str) -> dict[int, dict]:
    """The job's rows as stored (the raw ROWS# items), by line."""
    rows: dict[int, dict] = {}
    for item in items_under(aws, keys.bulk_job_pk("shop", "import", import_id), keys.ROWS_PREFIX):
        rows.update({line: row for line, row in json.loads(item["rows"])})
    return rows


def raw_text(aws, import_id: str) -> str:
    return json.dumps(stored_rows(aws, import_id))


def test_given_an_imported_member_when_erased_then_its_rows_lose_the_profile_and_the_others_keep_theirs(
    aws, context
):
    # Given an import that enrolled four members with their profiles
    start(context, "people")
    drain(aws)
    before = stored_rows(aws, "people")
    assert before[3]["email"] == "zed@example.com"

    # When zed is erased (and the erasure is retried)
    answer = erasure.erase_member(context, ADMIN, "zed")
    again = erasure.erase_member(context, ADMIN, "zed")

    # Then zed's rows keep only what a revert reads, and the others are as they were
    assert (answer.status, again.body) == (200, answer.body)
    after = stored_rows(aws, "people")
    assert after[3] == {"member_id": "zed", "points": 300, "expires_on": "2027-12-31"}
    assert after[5] == {"member_id": "zed", "points": 200}
    for line in (2, 4, 6):
        assert after[line] == before[line]
    text = raw_text(aws, "people")
    for value in ("zed@example.com", "+8613800000002", "Zed", "1991-03-04"):
        assert value not in text
    assert "amy@example.com" in text
    assert "+8613800000003" in text

    # And a revert takes the others' points back; zed's rows are refused (the member is erased)
    imports.start_revert(context, default_imports(), ADMIN, "people")
    drain(aws)
    job = status(context, "people")
    assert (job["status"], job["revert"]) == ("reverted", {"status": "done", "rows": 3})
    for member_id in ("amy", "bob", "cat"):
        view = members.read_member(context, "shop", member_id).body
        assert view["balance"]["available"] == 0, member_id
        assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", member_id))
    zed = member_state(aws.dynamodb, aws.table_name, "shop", "zed")
    assert_adds_up(zed)
    assert [entry["type"] for entry in zed.entries] == ["adjust", "adjust", "erase"]


def test_given_an_import_still_queued_when_a_member_is_erased_then_a_replayed_start_does_not_bring_it_back(
    aws, context
):
    # Given a queued import: a worker applied zed's first row and was killed before its step's
    # checkpoint; amy, enrolled before, has a row it has not reached yet
    members.enroll(context, "shop", EnrollRequest(member_id="amy"))
    start(context, "queued")
    rows = default_imports().store.read_rows("shop", "queued", 0)
    job = import_rows.RowJob("shop", "queued", "import", None, "key_test")
    (zed_row,) = [row for line, row in rows if line == 3]
    assert import_rows.apply_row(context, job, 3, zed_row)

    # When zed and amy are erased, then the same file is started again (the job is still queued)
    erasure.erase_member(context, ADMIN, "zed")
    erasure.erase_member(context, ADMIN, "amy")
    assert status(context, "queued")["status"] == "queued"
    replayed = start(context, "queued")

    # Then the replay wrote no profile back
    assert (replayed.status, replayed.replayed) == (202, True)
    assert stored_rows(aws, "queued")[3] == {"member_id": "zed", "points": 300, "expires_on": "2027-12-31"}
    assert "zed@example.com" not in raw_text(aws, "queued")

    # And when the steps run: zed's applied row replays (imported, not refused), its second row and
    # amy's row (which no entry pointed to) are refused as erased, and amy's profile goes then
    drain(aws)
    job_view = status(context, "queued")
    assert job_view["rows"] == {"total": 5, "imported": 3, "failed": 2}
    reasons = {error["line"]: error["reason"] for error in job_view["errors"]}
    assert sorted(reasons) == [2, 5]
    assert all(reason.startswith("The member was erased") for reason in reasons.values())
    text = raw_text(aws, "queued")
    for value in ("amy@example.com", "+8613800000001", "zed@example.com"):
        assert value not in text
    assert "bob@example.com" in text
    assert member_state(aws.dynamodb, aws.table_name, "shop", "zed").available == 0
    assert_adds_up(member_state(aws.dynamodb, aws.table_name, "shop", "amy"))


# Threads writing at once: DynamoDB Local only (moto's in-process table is not thread-safe).
@pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True)
def test_given_two_members_of_one_chunk_when_erased_at_once_then_both_rows_end_stripped(
    aws, context, monkeypatch
):
    # Given an import applied, and both erasures made to read the chunk before either writes it
    start(context, "pair")
    drain(aws)
    barrier = threading.Barrier(2, timeout=30)
    waited = threading.local()
    original = ImportStore.transact

    def transact_together(self, actions):
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return original(self, actions)

    monkeypatch.setattr(ImportStore, "transact", transact_together)

    # When amy and bob are erased at once
    answers: dict[str, int] = {}

    def erase(member_id: str) -> None:
        answers[member_id] = erasure.erase_member(context, ADMIN, member_id).status

    threads = [threading.Thread(target=erase, args=(member_id,)) for member_id in ("amy", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then both erasures won: neither profile is left, the others' rows are intact
    assert answers == {"amy": 200, "bob": 200}
    rows = stored_rows(aws, "pair")
    assert rows[2] == {"member_id": "amy", "points": 100, "expires_on": "2027-06-30"}
    assert rows[4] == {"member_id": "bob", "points": 50}
    assert rows[6]["email"] == "cat@example.com"
    assert rows[3]["email"] == "zed@example.com"
    assert not any(name in rows[line] for line in (2, 4) for name in PROFILE)
