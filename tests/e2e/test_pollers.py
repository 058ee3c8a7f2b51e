"""The local event source mappings against moto, with a scripted function: what gets deleted, retried,
dead-lettered and filtered. (Failures cannot be provoked through a running stack, so these drive the
pollers directly, with a 1 s visibility timeout instead of the template's 180 s.)"""

from __future__ import annotations

import gc
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import moto.dynamodb.models as moto_models
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.table import Table as MotoTable
from moto.dynamodbstreams.models import dynamodbstreams_backends

from infra.dynamodb_local import free_port
from infra.events import ACCOUNT
from infra.local import moto_fixes
from infra.local.aws import MotoEndpoint, Queue, Table, make_queue
from infra.local.pollers import SqsPoller
from infra.local.runtime import Invoker
from infra.local.streams import StreamCheckpoints, StreamPoller
from infra.template_model import FunctionSpec, SqsSource, StreamSource, load_template

SPEC = FunctionSpec("EarnFunction", "functions/earn", "app.lambda_handler", 30, {})


class ScriptedInvoker(Invoker):
    """Answers each invocation with ``script(event)`` and keeps the events it got."""

    def __init__(self, script: Callable[[dict[str, Any]], Any]) -> None:
        super().__init__()
        self.script = script
        self.events: list[dict[str, Any]] = []

    def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Any:
        self.events.append(event)
        return self.script(event)


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def queues(sqs: Any) -> tuple[Queue, Queue]:
    dlq = make_queue(sqs, "Dlq", "dlq", {})
    redrive = json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 2})
    queue = make_queue(sqs, "Queue", "queue", {"VisibilityTimeout": "1", "RedrivePolicy": redrive})
    return queue, dlq


def bodies(event: dict[str, Any]) -> list[str]:
    return [record["body"] for record in event["Records"]]


def fail_bodies(*failing: str) -> Callable[[dict[str, Any]], Any]:
    def script(event: dict[str, Any]) -> Any:
        failed = [record["messageId"] for record in event["Records"] if record["body"] in failing]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    return script


def depth(sqs: Any, queue: Queue) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def poller(invoker: Invoker, queue: Queue, sqs: Any, report: bool = True) -> SqsPoller:
    return SqsPoller(
        invoker, SPEC, SqsSource("Queue", batch_size=10, report_batch_item_failures=report), queue, sqs
    )


def test_only_reported_failures_come_back_and_go_to_the_dead_letter_queue_after_max_receives(sqs, queues):
    # Given three messages, one of which the function always reports as failed
    queue, dlq = queues
    for body in ("ok-1", "bad", "ok-2"):
        sqs.send_message(QueueUrl=queue.url, MessageBody=body)
    invoker = ScriptedInvoker(fail_bodies("bad"))
    sqs_poller = poller(invoker, queue, sqs)

    # When the poller delivers them as one batch
    sqs_poller.run_once()

    # Then the successes are deleted and the failure stays in flight
    assert sorted(bodies(invoker.events[0])) == ["bad", "ok-1", "ok-2"]
    assert depth(sqs, queue) == (0, 1)

    # And after the visibility timeout it is delivered again, with its receive count
    time.sleep(1.1)
    sqs_poller.run_once()
    assert bodies(invoker.events[1]) == ["bad"]
    assert invoker.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"

    # And once received maxReceiveCount times, SQS moves it to the dead-letter queue
    time.sleep(1.1)
    sqs_poller.run_once()
    assert len(invoker.events) == 2
    assert depth(sqs, queue) == (0, 0)
    dead = sqs.receive_message(QueueUrl=dlq.url)["Messages"]
    assert [message["Body"] for message in dead] == ["bad"]


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda event: 1 / 0, id="the function raises"),
        pytest.param(lambda event: {"batchItemFailures": [{"itemIdentifier": "nope"}]}, id="an unknown id"),
        pytest.param(lambda event: {"batchItemFailures": [{"itemIdentifier": ""}]}, id="an empty id"),
        pytest.param(lambda event: "not a batch response", id="an invalid response"),
    ],
)
def test_a_batch_that_fails_as_a_whole_keeps_every_message(sqs, queues, script):
    # Given two messages
    queue, _ = queues
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=queue.url, MessageBody=body)

    # When the function fails the whole batch
    poller(ScriptedInvoker(script), queue, sqs).run_once()

    # Then nothing is deleted: both come back after the visibility timeout
    assert depth(sqs, queue) == (0, 2)


def test_a_successful_batch_without_partial_responses_is_deleted(sqs, queues):
    queue, _ = queues
    sqs.send_message(
        QueueUrl=queue.url,
        MessageBody="a",
        MessageAttributes={"reason": {"DataType": "String", "StringValue": "x"}},
    )
    invoker = ScriptedInvoker(lambda event: None)

    poller(invoker, queue, sqs, report=False).run_once()

    assert depth(sqs, queue) == (0, 0)
    record = invoker.events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["messageAttributes"]["reason"]["stringValue"] == "x"


# ------------------------------------------------------------------------------------------ streams


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    # moto's in-process mock does not route DynamoDB Streams calls; its server (the stack's) does.
    endpoint = MotoEndpoint(free_port())
    endpoint.start()
    yield endpoint.url
    endpoint.stop()


@pytest.fixture
def table(moto_server: str) -> tuple[Any, Any, Table]:
    def client(service: str) -> Any:
        return boto3.client(service, region_name="us-east-1", endpoint_url=moto_server)

    dynamodb, streams = client("dynamodb"), client("dynamodbstreams")
    name = f"loyalty-{uuid.uuid4().hex[:8]}"
    spec = load_template().tables[0]
    dynamodb.create_table(TableName=name, **spec.create_table_kwargs)
    arn = dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    return dynamodb, streams, Table(spec.logical_id, name, arn, created=True)


def put(dynamodb: Any, table: Table, key: str, value: str = "1") -> None:
    dynamodb.put_item(TableName=table.name, Item={"PK": {"S": key}, "SK": {"S": "X"}, "v": {"S": value}})


def keys(event: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["Keys"]["PK"]["S"] for record in event["Records"]]


INSERTS_ONLY = StreamSource("LoyaltyTable", 100, True, "TRIM_HORIZON", ('{"eventName": ["INSERT"]}',))


def test_stream_records_are_filtered_and_retried_from_the_first_reported_failure(table):
    # Given inserts of a, b and c, and an update of a (which the INSERT filter drops)
    dynamodb, streams, loyalty_table = table
    put(dynamodb, loyalty_table, "a")
    put(dynamodb, loyalty_table, "a", "2")
    put(dynamodb, loyalty_table, "b")
    put(dynamodb, loyalty_table, "c")
    calls: list[list[str]] = []

    def fail_b_once(event: dict[str, Any]) -> Any:
        calls.append(keys(event))
        if len(calls) == 1:
            failed = next(r for r in event["Records"] if r["dynamodb"]["Keys"]["PK"]["S"] == "b")
            return {"batchItemFailures": [{"itemIdentifier": failed["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    invoker = ScriptedInvoker(fail_b_once)
    stream_poller = StreamPoller(invoker, SPEC, INSERTS_ONLY, loyalty_table, streams, (None, None), None)

    # When the poller reads the stream
    stream_poller.run_once()

    # Then the function saw the inserts only, and got b and c again after reporting b as failed
    assert calls == [["a", "b", "c"], ["b", "c"]]
    record = invoker.events[0]["Records"][0]
    assert record["eventName"] == "INSERT"
    assert record["eventSourceARN"] == loyalty_table.stream_arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)


def test_stream_records_that_exhaust_their_retries_go_to_the_on_failure_queue(table, moto_server):
    # Given an insert the function always fails, one retry allowed and an on-failure queue
    dynamodb, streams, loyalty_table = table
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_server)
    destination = make_queue(sqs, "OnFailure", f"on-failure-{uuid.uuid4().hex[:8]}", {})
    put(dynamodb, loyalty_table, "a")
    invoker = ScriptedInvoker(lambda event: 1 / 0)
    stream_poller = StreamPoller(invoker, SPEC, INSERTS_ONLY, loyalty_table, streams, (1, destination), sqs)

    # When the poller reads the stream
    stream_poller.run_once()

    # Then it tried twice and then described the batch on the on-failure queue
    assert len(invoker.events) == 2
    (message,) = sqs.receive_message(QueueUrl=destination.url)["Messages"]
    info = json.loads(message["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["DDBStreamBatchInfo"]["batchSize"] == 1
    assert info["DDBStreamBatchInfo"]["streamArn"] == loyalty_table.stream_arn


def _condition_fails(table: Table) -> list[dict[str, Any]]:
    return [
        {"Put": {"TableName": table.name, "Item": {"PK": {"S": "phantom"}, "SK": {"S": "X"}}}},
        {
            "Put": {
                "TableName": table.name,
                "Item": {"PK": {"S": "a"}, "SK": {"S": "X"}},
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
    ]


def _two_actions_on_one_item(table: Table) -> list[dict[str, Any]]:
    key = {"PK": {"S": "phantom"}, "SK": {"S": "X"}}
    return [
        {"Put": {"TableName": table.name, "Item": key}},
        {
            "ConditionCheck": {
                "TableName": table.name,
                "Key": key,
                "ConditionExpression": "attribute_exists(PK)",
            }
        },
    ]


def _update_fails_on_the_data(table: Table) -> list[dict[str, Any]]:
    return [
        {"Put": {"TableName": table.name, "Item": {"PK": {"S": "phantom"}, "SK": {"S": "X"}}}},
        {
            "Update": {
                "TableName": table.name,
                "Key": {"PK": {"S": "a"}, "SK": {"S": "X"}},
                "UpdateExpression": "SET v = v + :one",  # v is a string
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ]


def _a_later_item_with_two_actions(table: Table) -> list[dict[str, Any]]:
    second = {"PK": {"S": "second"}, "SK": {"S": "X"}}
    return [
        {"Put": {"TableName": table.name, "Item": {"PK": {"S": "phantom"}, "SK": {"S": "X"}}}},
        {
            "Put": {"TableName": table.name, "Item": second},
            "ConditionCheck": {
                "TableName": table.name,
                "Key": second,
                "ConditionExpression": "attribute_exists(PK)",
            },
        },
    ]


@pytest.mark.parametrize(
    "failing",
    [
        pytest.param(_condition_fails, id="a condition fails (cancelled)"),
        pytest.param(
            _a_later_item_with_two_actions, id="a later item names two actions (refused before any applies)"
        ),
        pytest.param(_two_actions_on_one_item, id="two actions on one item (rolled back, re-raised)"),
        pytest.param(_update_fails_on_the_data, id="an update fails on the data (rolled back, re-raised)"),
    ],
)
def test_a_failed_transaction_leaves_no_record_and_the_stream_goes_on(table, failing):
    # Given a poller that has delivered an insert, and is reading the stream
    dynamodb, streams, loyalty_table = table
    put(dynamodb, loyalty_table, "a")
    invoker = ScriptedInvoker(lambda event: None)
    stream_poller = StreamPoller(invoker, SPEC, INSERTS_ONLY, loyalty_table, streams, (None, None), None)
    stream_poller.run_once()

    # When a transaction whose first item applies fails on its second, and then b is written
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=failing(loyalty_table))
    put(dynamodb, loyalty_table, "b")
    stream_poller.run_once()

    # Then the function got a, then b: never the failed transaction's record
    assert [keys(event) for event in invoker.events] == [["a"], ["b"]]
    phantom = {"PK": {"S": "phantom"}, "SK": {"S": "X"}}
    assert "Item" not in dynamodb.get_item(TableName=loyalty_table.name, Key=phantom)


def test_a_poller_that_kept_its_positions_resumes_a_reused_stream_where_it_stopped(table, tmp_path):
    # Given a poller keeping its positions, which delivered a and b, and c written after it stopped
    dynamodb, streams, loyalty_table = table
    positions = tmp_path / "stream-positions.json"
    put(dynamodb, loyalty_table, "a")
    put(dynamodb, loyalty_table, "b")
    first_run = ScriptedInvoker(lambda event: None)
    StreamPoller(
        first_run,
        SPEC,
        INSERTS_ONLY,
        loyalty_table,
        streams,
        (None, None),
        None,
        StreamCheckpoints(positions),
    ).run_once()
    put(dynamodb, loyalty_table, "c")

    # When the next run's poller reads the same (now reused) table's stream
    reused = Table(loyalty_table.logical_id, loyalty_table.name, loyalty_table.stream_arn, created=False)
    next_run = ScriptedInvoker(lambda event: None)
    StreamPoller(
        next_run, SPEC, INSERTS_ONLY, reused, streams, (None, None), None, StreamCheckpoints(positions)
    ).run_once()

    # Then the first run got a and b, the next one c only: nothing twice, nothing lost
    assert [keys(event) for event in first_run.events] == [["a", "b"]]
    assert [keys(event) for event in next_run.events] == [["c"]]


def test_a_poller_without_positions_starts_a_reused_stream_at_its_end(table):
    # Given a reused table whose stream holds a record an earlier run delivered
    dynamodb, streams, loyalty_table = table
    put(dynamodb, loyalty_table, "old")
    reused = Table(loyalty_table.logical_id, loyalty_table.name, loyalty_table.stream_arn, created=False)
    invoker = ScriptedInvoker(lambda event: None)
    stream_poller = StreamPoller(invoker, SPEC, INSERTS_ONLY, reused, streams, (None, None), None)

    # When the poller starts, and then a new record is written
    stream_poller.run_once()
    put(dynamodb, loyalty_table, "new")
    stream_poller.run_once()

    # Then only the new record is delivered
    assert [keys(event) for event in invoker.events] == [["new"]]


def test_transactions_leave_no_copy_of_the_table_behind(table):
    # Given a table with some items, after a transaction that succeeded and one that failed
    dynamodb, _, loyalty_table = table
    for key in ("a", "b", "c"):
        put(dynamodb, loyalty_table, key)

    def transactions(rounds: int) -> int:
        for index in range(rounds):
            item = {"PK": {"S": f"t{index}-{uuid.uuid4().hex}"}, "SK": {"S": "X"}}
            dynamodb.transact_write_items(
                TransactItems=[{"Put": {"TableName": loyalty_table.name, "Item": item}}]
            )
            with pytest.raises(ClientError):
                dynamodb.transact_write_items(TransactItems=_condition_fails(loyalty_table))
        gc.collect()
        return len(
            [obj for obj in gc.get_objects() if isinstance(obj, MotoTable) and obj.name == loyalty_table.name]
        )

    before = transactions(1)

    # When more transactions succeed and fail on it
    after = transactions(5)

    # Then no more table objects are kept in memory (moto kept every transaction's backup copy)
    assert after == before


def test_shard_iterators_expire_and_a_poller_holding_an_expired_one_goes_on(table, monkeypatch):
    # Given a poller that delivered a, and iterators that live no time at all
    dynamodb, streams, loyalty_table = table
    put(dynamodb, loyalty_table, "a")
    invoker = ScriptedInvoker(lambda event: None)
    stream_poller = StreamPoller(invoker, SPEC, INSERTS_ONLY, loyalty_table, streams, (None, None), None)
    stream_poller.run_once()
    monkeypatch.setattr(moto_fixes, "ITERATOR_LIFETIME", 0.0)

    # When other readers' iterators make the poller's expire, and b is written
    for _ in range(20):
        shard = streams.describe_stream(StreamArn=loyalty_table.stream_arn)["StreamDescription"]["Shards"][0]
        streams.get_shard_iterator(
            StreamArn=loyalty_table.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )
    put(dynamodb, loyalty_table, "b")
    stream_poller.run_once()  # its iterator expired: it gets a new one after a
    stream_poller.run_once()

    # Then it delivered b next, and the endpoint keeps only the iterators still alive
    assert [keys(event) for event in invoker.events] == [["a"], ["b"]]
    assert len(dynamodbstreams_backends[ACCOUNT]["us-east-1"].shard_iterators) <= 2


def test_a_write_during_a_failing_transaction_is_not_rolled_back_with_it(table, moto_server, monkeypatch):
    # Given a transaction that pauses on its condition (which then fails) while another client writes
    dynamodb, streams, loyalty_table = table
    other_client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_server)
    put(dynamodb, loyalty_table, "a")
    invoker = ScriptedInvoker(lambda event: None)
    stream_poller = StreamPoller(invoker, SPEC, INSERTS_ONLY, loyalty_table, streams, (None, None), None)
    stream_poller.run_once()
    evaluating = threading.Event()
    evaluate = moto_models.get_filter_expression

    def slow_condition(*args: Any, **kwargs: Any) -> Any:
        if not evaluating.is_set():
            evaluating.set()
            time.sleep(0.5)  # the other client's write arrives meanwhile
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(moto_models, "get_filter_expression", slow_condition)
    writer = threading.Thread(
        target=lambda: evaluating.wait(5) and put(other_client, loyalty_table, "concurrent")
    )
    writer.start()

    # When the transaction fails, and the other write is done
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=_condition_fails(loyalty_table))
    writer.join(10)
    stream_poller.run_once()

    # Then the other write stands, in the table and on the stream (it waited for the transaction)
    concurrent = {"PK": {"S": "concurrent"}, "SK": {"S": "X"}}
    assert "Item" in dynamodb.get_item(TableName=loyalty_table.name, Key=concurrent)
    assert [keys(event) for event in invoker.events] == [["a"], ["concurrent"]]


def test_a_read_during_a_failing_transaction_never_sees_its_writes(table, moto_server, monkeypatch):
    # Given a transaction whose first item (phantom) is applied, and which then pauses on the
    # condition of its second (which fails) while another client reads phantom
    dynamodb, _, loyalty_table = table
    other_client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=moto_server)
    put(dynamodb, loyalty_table, "a")
    evaluating = threading.Event()
    evaluate = moto_models.get_filter_expression

    def slow_condition(*args: Any, **kwargs: Any) -> Any:
        if not evaluating.is_set():
            evaluating.set()
            time.sleep(0.5)  # the other client's read arrives meanwhile
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(moto_models, "get_filter_expression", slow_condition)
    phantom = {"PK": {"S": "phantom"}, "SK": {"S": "X"}}
    seen: dict[str, Any] = {}

    def read() -> None:
        if evaluating.wait(5):
            seen["get"] = other_client.get_item(TableName=loyalty_table.name, Key=phantom).get("Item")
            seen["query"] = other_client.query(
                TableName=loyalty_table.name,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": phantom["PK"]},
            )["Items"]

    reader = threading.Thread(target=read)
    reader.start()

    # When the transaction fails, and the other read is done
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=_condition_fails(loyalty_table))
    reader.join(10)

    # Then the reader never saw the failed transaction's item (it waited for the transaction)
    assert seen == {"get": None, "query": []}


class TrimmedAfterSequence:
    """The streams client of a stack started again a day later: the record a kept position names
    is gone from the stream (older than its 24 hours)."""

    def __init__(self, streams: Any) -> None:
        self._streams = streams

    def __getattr__(self, name: str) -> Any:
        return getattr(self._streams, name)

    def get_shard_iterator(self, **arguments: Any) -> Any:
        if arguments.get("ShardIteratorType") == "AFTER_SEQUENCE_NUMBER":
            error = {"Error": {"Code": "TrimmedDataAccessException", "Message": "trimmed"}}
            raise ClientError(error, "GetShardIterator")
        return self._streams.get_shard_iterator(**arguments)


def test_a_poller_whose_kept_position_was_trimmed_goes_on_from_the_oldest_record_left(table, tmp_path):
    # Given a poller that kept its position after delivering a, and b written after it stopped
    dynamodb, streams, loyalty_table = table
    positions = tmp_path / "stream-positions.json"
    put(dynamodb, loyalty_table, "a")
    first_run = ScriptedInvoker(lambda event: None)
    StreamPoller(
        first_run,
        SPEC,
        INSERTS_ONLY,
        loyalty_table,
        streams,
        (None, None),
        None,
        StreamCheckpoints(positions),
    ).run_once()
    put(dynamodb, loyalty_table, "b")

    # When the next run finds the record its position names trimmed from the stream
    reused = Table(loyalty_table.logical_id, loyalty_table.name, loyalty_table.stream_arn, created=False)
    next_run = ScriptedInvoker(lambda event: None)
    poller = StreamPoller(
        next_run,
        SPEC,
        INSERTS_ONLY,
        reused,
        TrimmedAfterSequence(streams),
        (None, None),
        None,
        StreamCheckpoints(positions),
    )
    poller.run_once()
    put(dynamodb, loyalty_table, "c")
    poller.run_once()

    # Then it reads on from the oldest record still there (here all of them), and keeps going
    assert [keys(event) for event in first_run.events] == [["a"]]
    assert [keys(event) for event in next_run.events] == [["a", "b"], ["c"]]


def test_a_transaction_makes_no_copy_of_the_table_so_its_cost_does_not_grow_with_it(table, monkeypatch):
    # Given a table with items, and every deep copy of a table recorded
    dynamodb, _, loyalty_table = table
    for key in ("a", "b", *(f"item-{index}" for index in range(50))):
        put(dynamodb, loyalty_table, key)
    deepcopy = moto_models.copy.deepcopy
    copies: list[Any] = []

    def recording(value: Any, *args: Any, **kwargs: Any) -> Any:
        result = deepcopy(value, *args, **kwargs)
        if isinstance(value, MotoTable) and result is not value:
            copies.append(result)
        return result

    monkeypatch.setattr(moto_models.copy, "deepcopy", recording)

    # When a transaction succeeds, and another changes a, deletes b and puts c, then fails
    name = loyalty_table.name

    def key(pk: str) -> dict[str, Any]:
        return {"PK": {"S": pk}, "SK": {"S": "X"}}

    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": key("t-ok")}}])
    failing = [
        {
            "Update": {
                "TableName": name,
                "Key": key("a"),
                "UpdateExpression": "SET v = :two",
                "ExpressionAttributeValues": {":two": {"S": "2"}},
            }
        },
        {"Delete": {"TableName": name, "Key": key("b")}},
        {"Put": {"TableName": name, "Item": key("c")}},
        {
            "ConditionCheck": {
                "TableName": name,
                "Key": key("nope"),
                "ConditionExpression": "attribute_exists(PK)",
            }
        },
    ]
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=failing)

    # Then no copy of the table was made (moto copied the whole table for each), the failed one
    # left every item as it was, and the successful one stands
    assert copies == []

    def item(pk: str) -> dict[str, Any] | None:
        return dynamodb.get_item(TableName=name, Key=key(pk), ConsistentRead=True).get("Item")

    assert (item("a") or {}).get("v") == {"S": "1"}
    assert (item("b") or {}).get("v") == {"S": "1"}
    assert (item("c"), item("t-ok") is not None) == (None, True)
