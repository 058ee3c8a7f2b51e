"""DynamoDB Streams event source mappings, locally: table stream records delivered to their functions.

:class:`StreamPoller` reads every shard of a table stream (``dynamodbstreams``), drops the records
the source's ``FilterCriteria`` exclude, invokes the function with batches in shard order, and on
a failure retries from the lowest failed sequence number (or the whole batch if the function
raised), with backoff, up to the template's ``MaximumRetryAttempts``; then the batch's description
goes to the ``OnFailure`` destination queue, if any. ``BisectBatchOnFunctionError`` is not emulated.

Where it starts: a table the stack created is read from the source's ``StartingPosition``; a reused
table's stream still holds records an earlier run delivered, so it is read from where that run
stopped, as a Lambda event source mapping resumes, when :class:`StreamCheckpoints` kept the
positions (``--persist``), and otherwise from its end (``LATEST``): never twice, and with
checkpoints nothing written before a stop is lost either.

A source with ``TumblingWindowInSeconds`` gets the window fields Lambda adds (``shardId``,
``window``, ``state``, ``isFinalInvokeForWindow``...); the state the function returns is carried
within the window, and the window's final invoke without records is not emulated.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from infra.events import ACCOUNT, dynamodb_stream_event, lambda_stream_record
from infra.local.aws import Queue, Table
from infra.local.filters import record_passes
from infra.local.runtime import Invoker, Worker
from infra.template_model import FunctionSpec, StreamSource, TemplateModel, load_yaml

log = logging.getLogger("infra.local")


class StreamCheckpoints:
    """Each poller's position in each shard of its stream (None: nothing read from it yet), in a JSON file.

    Shared by the stack's pollers; written after every delivered batch and every new shard."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        try:
            self._positions: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            self._positions = {}

    def load(self, poller: str, stream_arn: str) -> dict[str, str | None] | None:
        """The shards ``poller`` knew of this stream, with its position in each; None for a new stream."""
        with self._lock:
            saved = self._positions.get(poller)
        if not isinstance(saved, dict) or saved.get("stream_arn") != stream_arn:
            return None
        return dict(saved.get("shards") or {})

    def save(self, poller: str, stream_arn: str, shards: dict[str, str | None]) -> None:
        with self._lock:
            kept = {"stream_arn": stream_arn, "shards": dict(shards)}
            if self._positions.get(poller) == kept:
                return
            self._positions[poller] = kept
            temporary = self._path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self._positions, indent=1, sort_keys=True))
            os.replace(temporary, self._path)


class StreamPoller(Worker):
    idle_pause = 0.5  # between empty reads (the template's batching window is 1 s)
    describe_every = 5.0

    def __init__(
        self,
        invoker: Invoker,
        spec: FunctionSpec,
        source: StreamSource,
        table: Table,
        streams: Any,
        failure: tuple[int | None, Queue | None],
        sqs: Any,
        checkpoints: StreamCheckpoints | None = None,
    ):
        super().__init__()
        assert table.stream_arn is not None
        self.name = f"stream:{table.logical_id}->{spec.logical_id}"
        self._invoker, self._spec, self._source, self._streams, self._sqs = (
            invoker,
            spec,
            source,
            streams,
            sqs,
        )
        self._stream_arn = table.stream_arn
        self._max_retries, self._on_failure = failure
        self._iterators: dict[str, str | None] = {}  # shard id -> iterator (None: shard finished)
        self._last_sequence: dict[str, str] = {}
        self._started_at: dict[str, str] = {}  # shard id -> where reading it began, before any record
        self._checkpoints = checkpoints
        # Where an earlier run stopped in each shard it knew, if it kept its positions: a sequence
        # number, or the position it began at when it read nothing from that shard.
        self._resumed = None if checkpoints is None else checkpoints.load(self.name, self._stream_arn)
        for shard_id, position in (self._resumed or {}).items():
            if position and position.isdigit():
                self._last_sequence[shard_id] = position
            elif position in ("TRIM_HORIZON", "LATEST"):
                self._started_at[shard_id] = position
        # A reused table's stream already holds records an earlier run delivered: without the
        # positions that run kept, start at its end.
        self._first_position = (
            source.starting_position if table.created or self._resumed is not None else "LATEST"
        )
        self._window_state: dict[str, dict[str, Any]] = {}
        self._described_at = -self.describe_every

    def run_once(self) -> None:
        if time.monotonic() - self._described_at >= self.describe_every:
            self._discover()
        delivered = False
        for shard_id in list(self._iterators):
            if self.stopping:
                return
            delivered = self._poll_shard(shard_id) or delivered
        if not delivered:
            self.wait(self.idle_pause)

    def _discover(self) -> None:
        first = not self._iterators
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            parent = shard.get("ParentShardId")
            if shard_id in self._iterators or self._iterators.get(parent):
                continue  # known, or its parent still has records to deliver first
            position = self._started_at.setdefault(
                shard_id, self._first_position if first else "TRIM_HORIZON"
            )
            if position == "LATEST" and shard.get("SequenceNumberRange", {}).get("EndingSequenceNumber"):
                self._iterators[shard_id] = None  # a closed shard has nothing after its end
                continue
            self._iterators[shard_id] = self._iterator(shard_id, position)
        self._described_at = time.monotonic()
        self._save()

    def _save(self) -> None:
        if self._checkpoints is not None:
            shards = {
                shard_id: self._last_sequence.get(shard_id) or self._started_at.get(shard_id)
                for shard_id in self._iterators
            }
            self._checkpoints.save(self.name, self._stream_arn, shards)

    def _iterator(self, shard_id: str, position: str) -> str:
        arguments: dict[str, str] = {"StreamArn": self._stream_arn, "ShardId": shard_id}
        if shard_id in self._last_sequence:
            arguments.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self._last_sequence[shard_id]
            )
        else:
            arguments["ShardIteratorType"] = position
        try:
            return str(self._streams.get_shard_iterator(**arguments)["ShardIterator"])
        except ClientError as error:
            if "SequenceNumber" not in arguments or error.response.get("Error", {}).get("Code") != (
                "TrimmedDataAccessException"
            ):
                raise
        # The last record read is gone from the stream (kept 24 hours: a stack started again a
        # day later): what followed it went with it, so go on from the oldest record still there,
        # as an event source mapping does, rather than fail on every read.
        log.warning(
            "%s: the stream no longer has the records after %s in %s; reading from its oldest record",
            self.name,
            self._last_sequence.pop(shard_id),
            shard_id,
        )
        self._started_at[shard_id] = "TRIM_HORIZON"
        return self._iterator(shard_id, "TRIM_HORIZON")

    def _poll_shard(self, shard_id: str) -> bool:
        iterator = self._iterators[shard_id]
        if iterator is None:
            return False
        try:
            response = self._streams.get_records(
                ShardIterator=iterator, Limit=min(self._source.batch_size, 1000)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in (
                "ExpiredIteratorException",
                "TrimmedDataAccessException",
            ):
                raise
            # A new iterator after the last record read, or where reading this shard began.
            self._iterators[shard_id] = self._iterator(
                shard_id, self._started_at.get(shard_id, "TRIM_HORIZON")
            )
            return False
        records = [lambda_stream_record(record) for record in response.get("Records", [])]
        self._iterators[shard_id] = response.get("NextShardIterator")
        if not records:
            return False
        wanted = [record for record in records if record_passes(self._source.filter_patterns, record)]
        if wanted and not self._deliver(shard_id, wanted):
            return False  # stopped before the batch was done: read again from here next time
        self._last_sequence[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        self._save()
        return True

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> bool:
        """True once the records are delivered or given up on; False when stopped before."""
        pending, attempts = records, 0
        while pending and not self.stopping:
            try:
                result = self._invoker.invoke(self._spec, self._event(shard_id, pending))
                first_failed = self._first_failure(result, pending)
                self._remember_state(shard_id, result)
            except Exception:
                log.exception("%s: the function failed on a batch of %d records", self.name, len(pending))
                first_failed = _sequence(pending[0])
            if first_failed is None:
                return True
            pending = [record for record in pending if _sequence(record) >= first_failed]
            attempts += 1
            if self._max_retries is not None and attempts > self._max_retries:
                self._discard(shard_id, pending, attempts)
                return True
            log.warning("%s: retrying %d records (attempt %d)", self.name, len(pending), attempts + 1)
            self.wait(min(0.5 * 2 ** (attempts - 1), 10.0))
        return not pending

    def _event(self, shard_id: str, records: list[dict[str, Any]]) -> dict[str, Any]:
        event = dynamodb_stream_event(records, self._stream_arn)
        seconds = self._source.tumbling_window_seconds
        if seconds > 0:
            now = time.time()
            start = now - now % seconds
            event.update(
                eventSourceARN=self._stream_arn,
                shardId=shard_id,
                window={"start": _iso(start), "end": _iso(start + seconds)},
                state=self._window_state.get(shard_id, {}),
                isFinalInvokeForWindow=False,
                isWindowTerminatedEarly=False,
            )
        return event

    def _remember_state(self, shard_id: str, result: Any) -> None:
        if self._source.tumbling_window_seconds > 0 and isinstance(result, dict):
            self._window_state[shard_id] = dict(result.get("state") or {})

    def _first_failure(self, result: Any, batch: list[dict[str, Any]]) -> int | None:
        if not self._source.report_batch_item_failures or result is None:
            return None
        if not isinstance(result, dict):
            return _sequence(batch[0])  # an invalid response fails the whole batch
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        known = {_sequence(record) for record in batch}
        identifiers = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures]
        if any(
            not str(identifier or "").isdigit() or int(str(identifier)) not in known
            for identifier in identifiers
        ):
            return _sequence(batch[0])  # an invalid identifier fails the whole batch
        return min(int(str(identifier)) for identifier in identifiers)

    def _discard(self, shard_id: str, records: list[dict[str, Any]], attempts: int) -> None:
        log.error("%s: giving up on %d records after %d attempts", self.name, len(records), attempts)
        if self._on_failure is None:
            return
        arrivals = [record["dynamodb"].get("ApproximateCreationDateTime", 0) for record in records]
        region = self._stream_arn.split(":")[3]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{self._spec.logical_id}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(min(arrivals)),
                "approximateArrivalOfLastRecord": _iso(max(arrivals)),
                "batchSize": len(records),
                "streamArn": self._stream_arn,
            },
        }
        self._sqs.send_message(QueueUrl=self._on_failure.url, MessageBody=json.dumps(message))


def _sequence(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stream_failure_policy(
    template: TemplateModel, function_id: str, table_id: str
) -> tuple[int | None, str | None]:
    """(MaximumRetryAttempts, logical id of the OnFailure queue) of a function's stream source.

    Read from the raw template because the model does not carry them; -1 or absent means retry
    until the record leaves the stream, as on Lambda."""
    resource = load_yaml(template.path).get("Resources", {}).get(function_id, {})
    for event in (resource.get("Properties", {}).get("Events") or {}).values():
        properties = event.get("Properties", {}) if event.get("Type") == "DynamoDB" else {}
        stream = properties.get("Stream")
        if not (isinstance(stream, dict) and table_id in json.dumps(stream)):
            continue
        retries = int(properties.get("MaximumRetryAttempts", -1))
        destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        target = destination.get("Fn::GetAtt", [None])[0] if isinstance(destination, dict) else None
        return (None if retries < 0 else retries), (str(target) if target else None)
    return None, None
