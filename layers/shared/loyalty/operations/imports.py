"""Imports and bulk adjustments: a file of rows applied to the ledger by fanned-out, checkpointed
chunks, and undone as a whole by a revert.

On the bulk-job machinery of exports (`store.export_store`): `start_import` reads the whole file
(refused rows reported by line, the good ones split into chunks), records the job (the import id
is its natural id; the file's sha256 its fingerprint: the same file replays, another is 409), its
rows and one message per chunk on the import queue. `run_chunk` applies its chunk's rows a step at
a time from its checkpoint; each row goes through the write funnel under its own natural id
(`import_rows.row_id`), and the step's counters and refused rows are committed with the chunk's
checkpoint (`page = :page`): a row counts once and a step reports once, whatever is redelivered or
killed. A revert is a second job under the same id (kind `import-revert`) walking the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loyalty.domain.import_rows import parse_file
from loyalty.errors import (
    ImportNotFoundError,
    ImportStateError,
    InvalidRequestError,
    LoyaltyError,
    MemberErasedError,
)
from loyalty.models.imports import (
    DryRunResponse,
    ImportMessage,
    ImportPage,
    ImportResponse,
    ImportRow,
    ImportStartedResponse,
    ImportSummary,
    RevertCounts,
    RowCounts,
    RowError,
)
from loyalty.operations import chunks
from loyalty.operations.audit import audit_entry
from loyalty.operations.chunks import OPEN, ChunkOf, walk_chunk
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.import_rows import RowJob, apply_row, revert_row
from loyalty.operations.paging import DEFAULT_PAGE, MAX_PAGE, decode_after, encode_cursor
from loyalty.store.export_store import BulkJob, ChunkState, ChunkStep
from loyalty.store.import_files import ImportFiles
from loyalty.store.import_store import ImportStore
from loyalty.store.messaging import WorkQueue

KIND = "import"
REVERT = "import-revert"
ROWS_PER_CHUNK = 400  # one chunk's rows are one item (a row is at most ~700 bytes)
ROWS_PER_STEP = 25  # a step is committed with the chunk's checkpoint


@dataclass
class Imports:
    store: ImportStore
    queue: WorkQueue
    files: ImportFiles = field(default_factory=lambda: ImportFiles(""))  # uploads of large files


@dataclass
class ChunkReport(chunks.ChunkReport):
    job_done: bool = False  # this worker closed the job (its last chunk)


@dataclass(frozen=True)
class ImportOptions:
    """How a file is read and applied: its format, the job's kind (an import, or a bulk adjustment
    with its reason), and whether it is only a dry run (counts and refused rows, nothing changed)."""

    file_format: str
    kind: str = "import"
    reason: str | None = None
    dry_run: bool = False


def fingerprint(kind: str, reason: str | None, file_format: str, content: bytes) -> str:
    return hashlib.sha256(f"{kind}\n{reason or ''}\n{file_format}\n".encode() + content).hexdigest()


def start_import(
    context: Context,
    imports: Imports,
    principal: Principal,
    import_id: str,
    content: bytes,
    options: ImportOptions,
) -> Outcome:
    tenant_id = principal.tenant_id
    file_format, kind, reason = options.file_format, options.kind, options.reason
    context.programs.get(tenant_id)  # the tenant exists
    if kind == "adjustment" and not reason:
        raise InvalidRequestError("a bulk adjustment states its reason (?reason=)")
    parsed = parse_file(content, file_format, kind)
    errors = [RowError(line=line, reason=text) for line, text in parsed.errors]
    if options.dry_run:
        counts = RowCounts(total=parsed.total, imported=0, failed=len(errors))
        body = DryRunResponse(import_id=import_id, kind=kind, rows=counts, errors=errors[:1000])
        return Outcome(200, body.model_dump(mode="json"))
    now = context.clock()
    chunks = [
        parsed.rows[start : start + ROWS_PER_CHUNK] for start in range(0, len(parsed.rows), ROWS_PER_CHUNK)
    ]
    request = {
        "kind": kind,
        "reason": reason,
        "format": file_format,
        "total": parsed.total,
        "actor": principal.key_id,  # the admin key, on every entry the job writes
    }
    job = BulkJob(
        tenant_id=tenant_id,
        kind=KIND,
        job_id=import_id,
        request_hash=fingerprint(kind, reason, file_format, content),
        request=request,
        status="queued",
        chunks=len(chunks),
        created_at=now,
        response=ImportStartedResponse(import_id=import_id, status="queued").model_dump(mode="json"),
    )
    action = "import.started" if kind == "import" else "adjustments.started"
    audit = audit_entry(principal, action, now, import_id=import_id, rows=parsed.total, reason=reason)
    stored = imports.store.create_import(job, len(errors), context.audit.put(tenant_id, audit))
    if stored.status == "queued":
        # Also on a replay: had the first call failed after recording the job, its chunks would
        # never run. Rows written twice are the same rows; a chunk queued twice runs once.
        imports.store.put_file_errors(tenant_id, import_id, parsed.errors)
        imports.store.put_rows(tenant_id, import_id, chunks)
        if chunks:
            imports.queue.send([message.model_dump_json() for message in messages(stored, "apply")])
        else:
            imports.store.close_job(tenant_id, KIND, import_id, "done", now)
    return Outcome(202, stored.response, replayed=stored is not job)


def messages(job: BulkJob, step: str) -> list[ImportMessage]:
    return [
        ImportMessage(tenant_id=job.tenant_id, import_id=job.job_id, step=step, chunk=chunk)
        for chunk in range(job.chunks)
    ]


def start_revert(context: Context, imports: Imports, principal: Principal, import_id: str) -> Outcome:
    """Undo every row the import applied, once (the revert is a job under the import's id)."""
    tenant_id = principal.tenant_id
    applied = imports.store.read_job(tenant_id, KIND, import_id)
    if applied is None:
        raise ImportNotFoundError(f"import {import_id!r} not found")
    if applied.status in OPEN:
        raise ImportStateError(f"import {import_id!r} is {applied.status}: revert it once it is done")
    now = context.clock()
    job = BulkJob(
        tenant_id=tenant_id,
        kind=REVERT,
        job_id=import_id,
        request_hash=REVERT,
        request={"actor": principal.key_id},
        status="queued",
        chunks=applied.chunks,
        created_at=now,
        response=ImportStartedResponse(import_id=import_id, status="reverting").model_dump(mode="json"),
    )
    audit = audit_entry(principal, "import.reverted", now, import_id=import_id, rows=applied.rows)
    stored = imports.store.create_import(job, 0, context.audit.put(tenant_id, audit), listed=False)
    if stored.status == "queued":
        if job.chunks:
            imports.queue.send([message.model_dump_json() for message in messages(stored, "revert")])
        else:
            imports.store.close_job(tenant_id, REVERT, import_id, "done", now)
    return Outcome(202, stored.response, replayed=stored is not job)


def read_import(context: Context, imports: Imports, tenant_id: str, import_id: str) -> Outcome:
    return Outcome(200, import_view(imports, tenant_id, import_id, with_errors=True).model_dump(mode="json"))


def import_view(imports: Imports, tenant_id: str, import_id: str, *, with_errors: bool) -> ImportResponse:
    job = imports.store.read_job(tenant_id, KIND, import_id)
    if job is None:
        raise ImportNotFoundError(f"import {import_id!r} not found")
    revert = imports.store.read_job(tenant_id, REVERT, import_id)
    status = job.status
    if revert is not None:
        status = "reverted" if revert.status == "done" else "reverting"
    errors = imports.store.read_errors(tenant_id, import_id) if with_errors else []
    return ImportResponse(
        import_id=import_id,
        kind=job.request.get("kind", "import"),
        status=status,
        rows=RowCounts(total=job.request.get("total", 0), imported=job.rows, failed=job.failed),
        errors=[RowError(line=line, reason=reason) for line, reason in errors],
        reason=job.request.get("reason"),
        created_at=job.created_at,
        finished_at=job.finished_at,
        revert=RevertCounts(status=revert.status, rows=revert.rows) if revert else None,
        error=job.error,
    )


def list_imports(
    context: Context, imports: Imports, tenant_id: str, limit: int | None, cursor: str | None
) -> Outcome:
    size = min(limit or DEFAULT_PAGE, MAX_PAGE)
    ids, after = imports.store.list_imports(tenant_id, size, decode_after(cursor) if cursor else None)
    items = []
    for import_id in ids:
        view = import_view(imports, tenant_id, import_id, with_errors=False)
        items.append(
            ImportSummary(
                import_id=import_id,
                kind=view.kind,
                status=view.status,
                rows=view.rows,
                created_at=view.created_at,
            )
        )
    page = ImportPage(items=items, next_cursor=encode_cursor(after=after) if after else None)
    return Outcome(200, page.model_dump(mode="json"))


def run_chunk(
    context: Context,
    imports: Imports,
    message: ImportMessage,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> ChunkReport:
    """Apply (or take back) one chunk's rows from its checkpoint, a step at a time, until done or
    `should_stop` says so. A row refused is reported with its line; it never stops the others."""
    report = ChunkReport()
    store, tenant_id, import_id = imports.store, message.tenant_id, message.import_id
    job_kind = KIND if message.step == "apply" else REVERT
    job = store.read_job(tenant_id, job_kind, import_id)
    applied = job if message.step == "apply" else store.read_job(tenant_id, KIND, import_id)
    if job is None or applied is None or job.status not in OPEN:
        report.notes.append("job closed or unknown")
        return report
    chunk_rows = store.read_row_chunk(tenant_id, import_id, message.chunk)
    rows = chunk_rows.rows
    job_of_rows = RowJob(
        tenant_id,
        import_id,
        applied.request.get("kind", "import"),
        applied.request.get("reason"),
        str(job.request.get("actor") or f"import:{import_id}"),
    )

    def one(line: int, row: ImportRow) -> bool:
        if message.step == "revert":
            return revert_row(context, job_of_rows, line, row)
        try:
            return apply_row(context, job_of_rows, line, row, erased=line in chunk_rows.erased)
        except MemberErasedError:
            # A row the erasure did not find (it had not applied yet): its profile goes now.
            store.strip_member(tenant_id, import_id, message.chunk, row.member_id)
            raise

    def work(state: ChunkState) -> tuple[ChunkStep, tuple[dict[str, Any], ...]]:
        start = state.page * ROWS_PER_STEP
        done_rows, refused = 0, []
        for line, row in rows[start : start + ROWS_PER_STEP]:
            try:
                if one(line, row):
                    done_rows += 1
            except LoyaltyError as error:
                refused.append((line, f"{error.title}: {error.detail}"))
        finished = start + ROWS_PER_STEP >= len(rows)
        cursor = None if finished else {"row": start + ROWS_PER_STEP}
        step = ChunkStep(message.chunk, state.page, cursor, done_rows, finished, failed=len(refused))
        if job_kind != KIND:
            return step, ()
        return step, store.step_errors(tenant_id, import_id, message.chunk, state.page, refused)

    chunk = ChunkOf(store, tenant_id, job_kind, import_id, message.chunk)
    if walk_chunk(context, chunk, work, report, should_stop):
        report.job_done = store.close_job(tenant_id, job_kind, import_id, "done", context.clock())
    return report


def fail(context: Context, imports: Imports, message: ImportMessage, reason: str) -> bool:
    job_kind = KIND if message.step == "apply" else REVERT
    return imports.store.close_job(
        message.tenant_id, job_kind, message.import_id, "failed", context.clock(), error=reason
    )
