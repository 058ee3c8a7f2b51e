"""Bulk jobs (exports today; imports and bulk adjustments reuse them) and the reads an export makes.

A job is one partition (`keys.bulk_job_pk`): the job item (request fingerprint, status, progress,
the first answer given) and one item per chunk. A chunk item is the chunk's checkpoint and its
exactly-once marker at once: `page` is the next step to do, and a step's progress is committed
with `page = :page` in the same transaction as the job's counters, so a step done twice (a
redelivered message, a worker killed after its side effect, two workers on one chunk) counts once,
and a killed worker resumes at the first step not committed: no double, no gap. A step's side
effect must be idempotent by itself (an export writes its part under a key named by chunk and
step, so a repeat overwrites it); an import's step will put its ledger writes in that transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty.errors import IdempotencyConflictError, TransientError
from loyalty.store import keys
from loyalty.store.codec import JsonText, decode
from loyalty.store.member_store import MemberRecord, member_record
from loyalty.store.table import TableStore, from_item, names, put, to_item, update, values

MEMBERS_PER_PAGE = 100  # one GSI4 page = one BatchGetItem


@dataclass(frozen=True)
class BulkJob:
    tenant_id: str
    kind: str  # "export" (later "import", "adjustments")
    job_id: str
    request_hash: str
    request: JsonText[dict[str, Any]]
    status: str  # queued | running | done | failed
    chunks: int
    created_at: datetime
    response: JsonText[dict[str, Any]]  # the first answer, replayed for the same request
    rows: int = 0
    chunks_done: int = 0
    finished_at: datetime | None = None
    result: JsonText[dict[str, Any]] = field(
        default_factory=dict
    )  # what the job produced (an export: its file)
    error: str | None = None
    failed: int = 0  # an import's refused rows


@dataclass(frozen=True)
class ChunkState:
    """Where a chunk stands: the next step (`page`), the cursor to resume from, rows so far."""

    chunk: int
    page: int = 0
    cursor: JsonText[dict[str, Any]] | None = None
    rows: int = 0
    done: bool = False


@dataclass(frozen=True)
class ChunkStep:
    """One committed step of a chunk: what moved the checkpoint, and the job's counters with it."""

    chunk: int
    page: int  # the step done (the checkpoint read)
    cursor: dict[str, Any] | None  # where the next step starts; None with done
    rows: int
    done: bool
    failed: int = 0  # an import step's refused rows (their reasons are written with the step)


class StepOutcome:
    COMMITTED = "committed"
    ALREADY_DONE = "already-done"  # another delivery committed this step first
    JOB_CLOSED = "job-closed"  # the job is done or failed: stop


class ExportStore(TableStore):
    # --- the job --------------------------------------------------------------------------------
    def create_job(self, job: BulkJob) -> BulkJob:
        """Create the job, or return the one already under its id (the same request replays, another
        is a conflict)."""
        item = job_item(job)
        # The job and its place in the tenant's list of jobs of its kind, together or not at all.
        listed = {
            "PK": keys.bulk_jobs_pk(job.tenant_id, job.kind),
            "SK": keys.bulk_job_ref_sk(job.created_at.isoformat(), job.job_id),
            "job_id": job.job_id,
        }
        cancelled = self.transact(
            [put(self.table_name, item, "attribute_not_exists(PK)"), put(self.table_name, listed)]
        )
        if cancelled is not None:
            if not cancelled.failed_condition(0):
                raise TransientError(f"job not recorded: {cancelled.codes}")
            existing = self.read_job(job.tenant_id, job.kind, job.job_id)
            if existing is None:  # pragma: no cover - a job is never deleted
                raise
            if existing.request_hash != job.request_hash:
                raise IdempotencyConflictError(
                    f"{job.kind} id {job.job_id!r} was already used with a different request"
                ) from None
            return existing
        return job

    def read_job(self, tenant_id: str, kind: str, job_id: str) -> BulkJob | None:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.bulk_job_pk(tenant_id, kind, job_id), "SK": keys.BULK_JOB_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return bulk_job(from_item(item)) if item else None

    def list_jobs(
        self, tenant_id: str, kind: str, limit: int, below: str | None
    ) -> tuple[list[BulkJob], str | None]:
        """The tenant's jobs of one kind, newest first, a page at a time below the position
        `below` (a job's place in the list); and the position to continue below when more follow."""
        request: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk" + (" AND SK < :below" if below is not None else ""),
            "ExpressionAttributeValues": values(
                pk=keys.bulk_jobs_pk(tenant_id, kind), **({"below": below} if below is not None else {})
            ),
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": limit + 1,
        }
        refs: list[dict[str, Any]] = []
        for raw in self.query_pages(request):
            refs.extend(from_item(item) for item in raw)
            if len(refs) > limit:
                break
        shown = refs[:limit]
        job_keys = [
            to_item({"PK": keys.bulk_job_pk(tenant_id, kind, ref["job_id"]), "SK": keys.BULK_JOB_SK})
            for ref in shown
        ]
        jobs = {job.job_id: job for job in (bulk_job(from_item(item)) for item in self.read_items(job_keys))}
        listed = [jobs[ref["job_id"]] for ref in shown if ref["job_id"] in jobs]
        return listed, (str(shown[-1]["SK"]) if len(refs) > limit else None)

    def read_chunk(self, tenant_id: str, kind: str, job_id: str, chunk: int) -> ChunkState:
        response = self.client.get_item(
            TableName=self.table_name,
            Key=to_item({"PK": keys.bulk_job_pk(tenant_id, kind, job_id), "SK": keys.bulk_chunk_sk(chunk)}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return decode(ChunkState, from_item(item), chunk=chunk) if item else ChunkState(chunk)

    def commit_step(
        self,
        tenant_id: str,
        kind: str,
        job_id: str,
        step: ChunkStep,
        now: datetime,
        extra: tuple[dict[str, Any], ...] = (),
    ) -> str:
        """Move a chunk's checkpoint past one step and add its rows to the job, one transaction:
        the chunk's `page = :page` is the step's exactly-once marker (`extra`: items written with
        the step, an import's refused rows)."""
        pk = keys.bulk_job_pk(tenant_id, kind, job_id)
        checkpoint = "SET #page = :next, #rows = if_not_exists(#rows, :zero) + :rows, #done = :done"
        checkpoint += ", #cursor = :cursor" if step.cursor is not None else " REMOVE #cursor"
        chunk_values: dict[str, Any] = {
            "next": step.page + 1,
            "rows": step.rows,
            "zero": 0,
            "done": step.done,
            "page": step.page,
        }
        if step.cursor is not None:
            chunk_values["cursor"] = json.dumps(step.cursor)
        cancelled = self.transact(
            [
                update(
                    self.table_name,
                    {"PK": pk, "SK": keys.bulk_chunk_sk(step.chunk)},
                    checkpoint,
                    "attribute_not_exists(#page) AND :page = :zero" if step.page == 0 else "#page = :page",
                    names("page", "rows", "done", "cursor"),
                    values(**chunk_values),
                ),
                update(
                    self.table_name,
                    {"PK": pk, "SK": keys.BULK_JOB_SK},
                    "SET #status = :running, updated_at = :now "
                    "ADD #rows :rows, chunks_done :finished, failed :failed",
                    "#status IN (:queued, :running)",
                    names("status", "rows"),
                    values(
                        running="running",
                        queued="queued",
                        now=now.isoformat(),
                        rows=step.rows,
                        finished=1 if step.done else 0,
                        failed=step.failed,
                    ),
                ),
                *extra,
            ]
        )
        if cancelled is None:
            return StepOutcome.COMMITTED
        if cancelled.failed_condition(1):
            return StepOutcome.JOB_CLOSED
        if cancelled.failed_condition(0):
            return StepOutcome.ALREADY_DONE
        raise TransientError(f"chunk step lost a race: {cancelled.codes}")

    def close_job(
        self,
        tenant_id: str,
        kind: str,
        job_id: str,
        status: str,
        now: datetime,
        *,
        rows: int | None = None,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """Mark a job done or failed, once: False when it already was closed."""
        assignments: dict[str, Any] = {"status": status, "finished_at": now.isoformat()}
        if rows is not None:
            assignments["rows"] = rows
        if result is not None:
            assignments["result"] = json.dumps(result)
        if error is not None:
            assignments["error"] = error[:1000]
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=to_item({"PK": keys.bulk_job_pk(tenant_id, kind, job_id), "SK": keys.BULK_JOB_SK}),
                UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in assignments),
                ConditionExpression="#status IN (:queued, :running)",
                ExpressionAttributeNames=names(*assignments),
                ExpressionAttributeValues=values(**assignments, queued="queued", running="running"),
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- what an export reads -------------------------------------------------------------------
    def members_page(
        self, tenant_id: str, shard: int, cursor: dict[str, Any] | None
    ) -> tuple[list[MemberRecord], dict[str, Any] | None]:
        """One page of a tenant's members in one shard of the keys-only tenant index (GSI4), read
        back from the table consistently in one batch, ordered by member id; and the cursor of the
        next page (None after the last). Never a Scan."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": "GSI4",
            "KeyConditionExpression": "GSI4PK = :partition",
            "ExpressionAttributeValues": values(partition=keys.tenant_members_pk_for_shard(tenant_id, shard)),
            "Limit": MEMBERS_PER_PAGE,
        }
        if cursor is not None:
            request["ExclusiveStartKey"] = cursor
        response = self.client.query(**request)
        found = self.read_items([{"PK": item["PK"], "SK": item["SK"]} for item in response.get("Items", [])])
        members = sorted((member_record(from_item(item)) for item in found), key=lambda m: m.member_id)
        next_cursor = response.get("LastEvaluatedKey")
        return members, (dict(next_cursor) if next_cursor else None)

    def member_entries(self, tenant_id: str, member_id: str) -> Iterator[dict[str, Any]]:
        """A member's ledger entries, oldest first, every page. Entries are keyed by the member's
        sequence number only (no index by time), so a window is filtered by the caller."""
        request = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": values(
                pk=keys.member_pk(tenant_id, member_id), prefix=keys.ENTRY_PREFIX
            ),
        }
        for page in self.query_pages(request):
            yield from (from_item(item) for item in page)


def job_item(job: BulkJob, failed: int = 0) -> dict[str, Any]:
    """A new job's item: its request, its chunks, no progress yet (`failed`: an import's rows its
    file's reading refused)."""
    return {
        "PK": keys.bulk_job_pk(job.tenant_id, job.kind, job.job_id),
        "SK": keys.BULK_JOB_SK,
        "tenant_id": job.tenant_id,
        "kind": job.kind,
        "job_id": job.job_id,
        "request_hash": job.request_hash,
        "request": json.dumps(job.request),
        "status": job.status,
        "chunks": job.chunks,
        "chunks_done": 0,
        "rows": 0,
        "failed": failed,
        "created_at": job.created_at.isoformat(),
        "response": json.dumps(job.response),
    }


def bulk_job(item: dict[str, Any]) -> BulkJob:
    return decode(BulkJob, item)
