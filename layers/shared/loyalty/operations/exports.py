"""Exports: a tenant's members (balances as the API shows them, tier, profile) or its ledger
entries in a window, as CSV or JSON Lines in S3, fetched with a presigned URL.

The job machinery (`loyalty.store.export_store`) is the one imports and bulk adjustments will use:
`start_export` records the job (the export id is its natural id: the same request replays, another
is 409) and puts one message per chunk on the export queue; a chunk is one shard of the tenant's
members in the keys-only index GSI4 (never a Scan). `run_chunk` walks its shard page by page from
its checkpoint: each page becomes a part object named by chunk and step, then the step is committed
with its rows (the checkpoint's `page = :page` is the exactly-once marker). A worker near its time
limit stops between steps and its chunk goes back on the queue; a killed worker's message comes
back after the visibility timeout and resumes at the first step not committed. The worker that
commits the last chunk asks for `finish`, which combines the parts into one file and closes the job.

Every member of a page is shown as of the job's day: the program-local date of its creation, with
the member view's own arithmetic (`members.member_as_of`), so an export equals the API's balances.
Ledger entries are keyed by member and sequence only (there is no index by time), so a ledger export
pages members through GSI4 and reads each member's entries, keeping those in the window.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from loyalty.domain.calendar import local_date
from loyalty.domain.idempotency import request_fingerprint
from loyalty.errors import ExportNotFoundError, InvalidRequestError
from loyalty.models.api import LedgerEntryResponse
from loyalty.models.exports import (
    LEDGER_COLUMNS,
    MEMBER_COLUMNS,
    ExportMessage,
    ExportRequest,
    ExportResponse,
    ExportsPage,
    ExportStartedResponse,
)
from loyalty.models.jobs import EXPIRY_SHARDS
from loyalty.models.program import Program
from loyalty.operations import chunks
from loyalty.operations.chunks import OPEN, ChunkOf, walk_chunk
from loyalty.operations.context import Context, Outcome
from loyalty.operations.members import member_as_of
from loyalty.operations.paging import MAX_PAGE, _position, encode_cursor
from loyalty.store.export_files import ExportFiles, file_key, part_key, parts_prefix
from loyalty.store.export_store import BulkJob, ChunkState, ChunkStep, ExportStore
from loyalty.store.member_store import MemberRecord
from loyalty.store.messaging import WorkQueue

KIND = "export"
CHUNKS = EXPIRY_SHARDS  # one chunk per shard of the tenant-members index
URL_SECONDS = 3600  # a download URL works for an hour; GET the export again for a fresh one
# What an export's view shows of its job as the job has it (besides its request and its download)
JOB_SHOWN = ("status", "rows", "chunks", "chunks_done", "created_at", "finished_at", "error")
_LIST_POSITION = re.compile(r"^\d{4}-\d\d-\d\dT[0-9:.+\-]{8,32}#[A-Za-z0-9_.\-]{1,64}$")  # created_at#id


@dataclass
class Exports:
    """What the export operations need besides the context: the job store, the bucket, the queue."""

    store: ExportStore
    files: ExportFiles
    queue: WorkQueue


@dataclass
class ChunkReport(chunks.ChunkReport):
    job_complete: bool = False  # every chunk is done: the file can be put together


def start_export(
    context: Context, exports: Exports, tenant_id: str, export_id: str, request: ExportRequest
) -> Outcome:
    context.programs.get(tenant_id)  # the tenant exists
    now = context.clock()
    answer = ExportStartedResponse(export_id=export_id, status="queued").model_dump(mode="json")
    job = BulkJob(
        tenant_id=tenant_id,
        kind=KIND,
        job_id=export_id,
        request_hash=request_fingerprint(KIND, request),
        request=request.model_dump(mode="json"),
        status="queued",
        chunks=CHUNKS,
        created_at=now,
        response=answer,
    )
    stored = exports.store.create_job(job)
    if stored.status == "queued":
        # Also on a replay: had the first call failed after recording the job, its chunks would
        # never run. A chunk queued twice is walked once (its checkpoint decides).
        exports.queue.send([message.model_dump_json() for message in chunk_messages(stored)])
    return Outcome(202, stored.response, replayed=stored is not job)


def chunk_messages(job: BulkJob) -> list[ExportMessage]:
    return [
        ExportMessage(tenant_id=job.tenant_id, export_id=job.job_id, step="chunk", chunk=chunk)
        for chunk in range(job.chunks)
    ]


def read_export(context: Context, exports: Exports, tenant_id: str, export_id: str) -> Outcome:
    job = exports.store.read_job(tenant_id, KIND, export_id)
    if job is None:
        raise ExportNotFoundError(f"export {export_id!r} not found")
    return Outcome(200, export_view(context, exports, job).model_dump(mode="json", by_alias=True))


def list_exports(
    context: Context, exports: Exports, tenant_id: str, limit: int, cursor: str | None
) -> Outcome:
    """The tenant's exports, newest first, each as `read_export` shows it (a done one with a fresh
    download URL)."""
    below = None
    if cursor is not None:
        below = _position(cursor, "below")
        if not isinstance(below, str) or not _LIST_POSITION.match(below):
            raise InvalidRequestError("cursor is not one this API issued")
    jobs, more = exports.store.list_jobs(tenant_id, KIND, min(limit, MAX_PAGE), below)
    page = ExportsPage(
        items=[export_view(context, exports, job) for job in jobs],
        next_cursor=encode_cursor(below=more) if more else None,
    )
    return Outcome(200, page.model_dump(mode="json", by_alias=True))


def export_view(context: Context, exports: Exports, job: BulkJob) -> ExportResponse:
    request = ExportRequest.model_validate(job.request)
    url, expires_at = None, None
    if job.status == "done":
        url = exports.files.download_url(job.result["key"], URL_SECONDS)
        expires_at = context.clock() + timedelta(seconds=URL_SECONDS)
    progress = {name: getattr(job, name) for name in JOB_SHOWN}
    return ExportResponse(
        export_id=job.job_id, **request.model_dump(), **progress, download_url=url, expires_at=expires_at
    )


def run_chunk(
    context: Context,
    exports: Exports,
    message: ExportMessage,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> ChunkReport:
    """Walk one chunk from its checkpoint until it is done or `should_stop` says so."""
    report = ChunkReport()
    store, tenant_id, export_id = exports.store, message.tenant_id, message.export_id
    job = store.read_job(tenant_id, KIND, export_id)
    if job is None or job.status not in OPEN:
        report.notes.append("job closed or unknown")
        return report
    request = ExportRequest.model_validate(job.request)
    program = context.programs.get(tenant_id)
    today = local_date(job.created_at, program.timezone)

    def work(state: ChunkState) -> tuple[ChunkStep, tuple[dict[str, Any], ...]]:
        members, cursor = store.members_page(tenant_id, message.chunk, state.cursor)
        rows = _rows(exports.store, request, members, program, today)
        if rows:
            key = part_key(tenant_id, export_id, message.chunk, state.page, request.format)
            exports.files.put_part(key, encode(rows, request.format, columns(request)))
        return ChunkStep(message.chunk, state.page, cursor, len(rows), done=cursor is None), ()

    chunk = ChunkOf(store, tenant_id, KIND, export_id, message.chunk)
    report.job_complete = walk_chunk(context, chunk, work, report, should_stop)
    return report


def finish(context: Context, exports: Exports, message: ExportMessage) -> bool:
    """Put the parts together as one file and close the job; False when there is nothing to do
    (already done, or chunks still running). Doing it twice writes the same file twice."""
    store, tenant_id, export_id = exports.store, message.tenant_id, message.export_id
    job = store.read_job(tenant_id, KIND, export_id)
    if job is None or job.status not in OPEN or job.chunks_done < job.chunks:
        return False
    request = ExportRequest.model_validate(job.request)
    parts = exports.files.part_keys(parts_prefix(tenant_id, export_id))
    target = file_key(tenant_id, export_id, request.format)
    size = exports.files.combine(parts, header(request), target)
    closed = store.close_job(
        tenant_id, KIND, export_id, "done", context.clock(), result={"key": target, "bytes": size}
    )
    if closed:
        exports.files.delete(parts)
    return closed


def fail(context: Context, exports: Exports, message: ExportMessage, reason: str) -> bool:
    return exports.store.close_job(
        message.tenant_id, KIND, message.export_id, "failed", context.clock(), error=reason
    )


# --- rows ------------------------------------------------------------------------------------------
def _rows(
    store: ExportStore, request: ExportRequest, members: list[MemberRecord], program: Program, today: date
) -> list[dict[str, Any]]:
    if request.kind == "members":
        return [member_row(member_as_of(member, program, today)) for member in members]
    return [
        row
        for member in members
        for row in ledger_rows(
            member.member_id,
            store.member_entries(member.tenant_id, member.member_id),
            program.timezone,
            request.from_,
            request.to,
        )
    ]


def member_row(view: dict[str, Any]) -> dict[str, Any]:
    """A row of a members export from the member view (GET /v1/members/{id}'s body)."""
    balance = view["balance"]
    return {
        "member_id": view["member_id"],
        "available": balance["available"],
        "pending": balance["pending"],
        "held": balance["held"],
        "debt": view["debt"],
        "tier_id": view["tier"]["id"],
        "enrolled_at": view["enrolled_at"],
        **{name: view.get(name) for name in ("name", "email", "phone", "birthday", "channel", "locale")},
    }


def ledger_rows(
    member_id: str, entries: Iterable[dict[str, Any]], timezone: str, first: date | None, last: date | None
) -> list[dict[str, Any]]:
    """The member's entries whose program-local day is in [first, last], as the API shows them."""
    rows = []
    for entry in entries:
        shown = LedgerEntryResponse.model_validate(entry)
        day = local_date(shown.created_at, timezone)
        if (first and day < first) or (last and day > last):
            continue
        rows.append({"member_id": member_id, **shown.model_dump(mode="json", exclude_none=True)})
    return rows


def columns(request: ExportRequest) -> tuple[str, ...]:
    return MEMBER_COLUMNS if request.kind == "members" else LEDGER_COLUMNS


def header(request: ExportRequest) -> bytes:
    if request.format != "csv":
        return b""
    return encode([{name: name for name in columns(request)}], "csv", columns(request))


def encode(rows: list[dict[str, Any]], file_format: str, fields: tuple[str, ...]) -> bytes:
    if file_format == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writerows({name: _cell(row.get(name)) for name in fields} for row in rows)
    return out.getvalue().encode()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "@"):
        return "'" + value  # a spreadsheet would run it as a formula (names only: "+86..." stays a phone)
    return value
