"""Where moto, the local stack's embedded AWS, differs from AWS in ways the product can see: fixed here.

Applied once, in process, before the stack's moto server serves anything (:func:`apply`). Written
against moto 5.2.1 (pinned in ``requirements-dev.txt``); the tests of the local stack
(``tests/e2e/test_pollers.py``, ``test_default_stack.py``, ``test_purchase_queue.py``) fail if a
moto upgrade changes what these rely on.

**The table stream across a failed transaction.** moto's ``TransactWriteItems`` deep-copies every
table it touches, applies the items one by one (each applied item appends its stream record), and
when anything fails it puts the *copies* back into the backend. That happens on every failed path:
a condition that fails (``ConditionalCheckFailed``), an item that raises (a validation or size
error, a missing table: a cancellation with that reason), and two actions on one item or an
invalid expression (rolled back and re-raised; an item naming two actions is refused before
any item applies, as DynamoDB does, since moto found it only after applying the items before it
and left them applied). The copy carries its own copy of the stream, so
the stream object every open shard iterator reads is no longer the table's: readers saw the
records of the refused transaction (a phantom ``points.redeemed`` for a redemption that does not
exist) and then nothing at all, since later writes went to the copy. DynamoDB never shows a
record of a failed transaction. :func:`_keep_the_stream` makes every table keep its one stream
(and its one table object: see below): after a failed transaction the stream gets back exactly the
records it had before it. A lock makes each transaction atomic with respect to
every other write, every read and every stream read, so no reader sees an item or a record of a
transaction still in progress (or one rolled back) and a rollback takes no concurrent write with it.
(moto raises no ``TransactionConflictException``: a conflict is not a path it has.)

**Memory and time per transaction.** moto keeps every model object it creates in a class-level
list (for its reset), the transaction's backup copy of the whole table included: the stack grew by
a table per transaction. Objects made during a transaction are left out of that list. And the
backup itself is no longer made: copying the whole table cost each transaction time in proportion
to the table (half a second at 8,000 items), with every other read and write waiting on the lock.
Instead the items the transaction names are copied before it runs, and a failed transaction puts
exactly those back (moto's own rollback then puts back the table it already is).

**Shard iterators** were kept forever (each read makes the next one, a few a second per poller):
they now expire after 15 minutes as on AWS, and reading an expired or unknown one answers
``ExpiredIteratorException`` (moto answered a 500).

**Queue redrive.** moto has no ``StartMessageMoveTask``, ``ListMessageMoveTasks`` or
``CancelMessageMoveTask`` (``aws sqs start-message-move-task`` was a 500 with a stack trace):
:mod:`infra.local.redrive` implements them; :func:`apply` adds them to moto's SQS endpoint.

**Actions moto lacks** answered a 500 and logged a stack trace. They now answer a clear
``UnsupportedOperation`` error (HTTP 400) naming the action, and the log gets one line.
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
import time
import warnings
from collections import deque
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.dynamodb.exceptions import TransactWriteSingleOpException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend

# One lock for every write and every stream read of this process's moto.
STREAM_LOCK = threading.RLock()
_in_transaction = threading.local()

_applied = False

ITERATOR_LIFETIME = 15 * 60.0  # seconds, as on AWS
_issued: deque[tuple[float, str]] = deque()  # (when, iterator) for every iterator moto keeps

log = logging.getLogger("infra.local")


def apply() -> None:
    """Apply every fix (idempotent)."""
    global _applied
    if _applied:
        return
    _keep_the_stream()
    _answer_unsupported_actions()
    warnings.filterwarnings("ignore", message=r".*code UnsupportedOperation does not match an error shape")
    from infra.local.redrive import add_move_tasks_to_moto

    add_move_tasks_to_moto()
    _applied = True


def _keep_the_stream() -> None:
    transact = DynamoDBBackend.transact_write_items

    @functools.wraps(transact)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
        with STREAM_LOCK:
            # moto checks "one action per item" only as it reaches the item, after applying the
            # ones before it, and re-raises without rolling them back: DynamoDB refuses such a
            # request before anything applies, and so does this.
            if any(len(item) > 1 for item in transact_items):
                raise TransactWriteSingleOpException()
            before = {
                name: (table.stream_shard, len(table.stream_shard.items))
                for name, table in self.tables.items()
                if table.stream_shard is not None
            }
            _in_transaction.active = True
            kept: _Kept = []
            try:
                kept = _items_before(self, transact_items)
                return transact(self, transact_items)
            except BaseException:
                _put_back(kept)
                for name, (shard, length) in before.items():
                    table = self.tables.get(name)
                    if table is None:
                        continue
                    del shard.items[length:]  # the failed transaction's records, never readable
                    shard.table = table
                    table.stream_shard = shard  # the rolled-back copy writes to the one stream
                raise
            finally:
                _in_transaction.active = False

    setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010
    # Every other write waits for a transaction in progress (as DynamoDB serializes them), so a
    # rollback never takes a concurrent write's item or record with it.
    for name in ("put_item", "update_item", "delete_item"):  # batch writes call these
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
    # And every read too: a transaction applies its items one by one before it can fail and roll
    # back, so a read between two of them saw writes that never happened (a hold's capture record
    # replayed as if committed, a balance that was never there). DynamoDB never shows a read a
    # transaction in progress; TransactGetItems reads all its items at one point.
    for name in ("get_item", "query", "scan"):  # batch and transactional reads call get_item
        setattr(DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
    setattr(DynamoHandler, "transact_get_items", _locked(DynamoHandler.transact_get_items))  # noqa: B010
    # The transaction's backup copy of a table shares its stream instead of copying every record
    # (which made each transaction slower than the last): the rollback above restores it anyway.
    setattr(StreamShard, "__deepcopy__", _copy_shard)  # noqa: B010
    # Nor is the table itself copied: the rollback puts back the items the transaction names
    # (kept before it ran), so a transaction costs the same however large the table is.
    setattr(Table, "__deepcopy__", _copy_table)  # noqa: B010
    # moto keeps every model object it ever created in a class-level list (for its reset), the
    # backup copy of the whole table too: the stack's memory grew by a table per transaction.
    # Objects made during a transaction are not kept there.
    track = BaseModel.__new__

    def new_model(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
        if getattr(_in_transaction, "active", False):
            return object.__new__(cls)
        return track(cls, *args, **kwargs)

    setattr(BaseModel, "__new__", staticmethod(new_model))  # noqa: B010

    _keep_stream_reads_atomic_and_bounded()


def _keep_stream_reads_atomic_and_bounded() -> None:
    describe_stream = DynamoDBStreamsBackend.describe_stream
    get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator
    get_records = DynamoDBStreamsBackend.get_records

    @functools.wraps(get_shard_iterator)
    def issue_iterator(self: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> Any:
        with STREAM_LOCK:
            iterator = get_shard_iterator(self, *args, **kwargs)
            _keep_iterators_for_their_lifetime(self, iterator.arn)
            return iterator

    @functools.wraps(get_records)
    def read_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> Any:
        with STREAM_LOCK:
            if iterator_arn not in self.shard_iterators:
                raise ExpiredIteratorError("The iterator expired or is unknown: get a new one.")
            result = get_records(self, iterator_arn, limit)
            _keep_iterators_for_their_lifetime(self, result["NextShardIterator"])
            return result

    setattr(DynamoDBStreamsBackend, "describe_stream", _locked(describe_stream))  # noqa: B010
    setattr(DynamoDBStreamsBackend, "get_shard_iterator", issue_iterator)  # noqa: B010
    setattr(DynamoDBStreamsBackend, "get_records", read_records)  # noqa: B010


class ExpiredIteratorError(ServiceException):
    code = "ExpiredIteratorException"


def _keep_iterators_for_their_lifetime(backend: DynamoDBStreamsBackend, issued: str) -> None:
    now = time.monotonic()
    _issued.append((now, issued))
    while _issued and now - _issued[0][0] > ITERATOR_LIFETIME:
        backend.shard_iterators.pop(_issued.popleft()[1], None)


class UnsupportedOperationError(ServiceException):
    code = "UnsupportedOperation"


def _answer_unsupported_actions() -> None:
    call_action = BaseResponse.call_action

    @functools.wraps(call_action)
    def answering_call_action(self: BaseResponse) -> Any:
        try:
            return call_action(self)
        except NotImplementedError as missing:
            action = self._get_action()
            log.warning(
                "the local AWS endpoint does not support %s %s: %s", self.service_name, action, missing
            )
            error = UnsupportedOperationError(
                f"The local AWS endpoint (moto) does not support {self.service_name} {action}: {missing}"
            )
            status, headers, body = self.serialized(ActionResult(error))
            headers["status"] = status
            return status, headers, body

    setattr(BaseResponse, "call_action", answering_call_action)  # noqa: B010


# (table, hash key, range key, the item as it was before the transaction or None)
_Kept = list[tuple[Table, DynamoType, DynamoType | None, Item | None]]


def _items_before(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> _Kept:
    """A copy of every item the transaction names, as it is before the transaction runs."""
    kept: _Kept = []
    for transact_item in transact_items:
        for action in transact_item.values():
            table = backend.tables.get(str(action.get("TableName")))
            if table is None:
                continue
            key = action.get("Item") or action.get("Key") or {}
            try:
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                current = table.get_item(hash_value, range_value)
            except (KeyError, TypeError, ServiceException):
                continue  # an item without its key: moto refuses it before it writes anything
            kept.append((table, hash_value, range_value, copy.deepcopy(current)))
    return kept


def _put_back(kept: _Kept) -> None:
    """Every item a failed transaction named as it was before (in reverse: the first copy of an
    item named twice wins); no stream record, as nothing of the transaction ever happened."""
    for table, hash_value, range_value, before in reversed(kept):
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before  # type: ignore[assignment]  # as moto does
        elif before is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = before


def _copy_table(self: Table, memo: dict[int, Any]) -> Table:
    if getattr(_in_transaction, "active", False):
        return self  # moto's backup for its rollback: the rollback above does without it
    clone = copy.copy(self)
    memo[id(self)] = clone
    clone.__dict__ = copy.deepcopy(self.__dict__, memo)
    return clone


def _copy_shard(self: StreamShard, memo: dict[int, Any]) -> StreamShard:
    if getattr(_in_transaction, "active", False):
        return self
    clone = copy.copy(self)
    memo[id(self)] = clone
    clone.__dict__ = copy.deepcopy(self.__dict__, memo)
    return clone


def _locked(method: Any) -> Any:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with STREAM_LOCK:
            return method(*args, **kwargs)

    return locked
