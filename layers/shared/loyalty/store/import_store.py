"""Imports and bulk adjustments on the bulk-job machinery (`export_store`): the job item and its
chunk checkpoints are the export's; an import's partition also holds its rows (one item per chunk,
written when the job is created, read by the chunk's worker) and its refused rows (one item per
step that refused any, written in the step's own transaction, so a step done twice reports once).
The tenant's list of imports is one more partition (`keys.imports_pk`).

A chunk's rows are written once (only where absent) and then changed only by an erasure, which
removes an erased member's profile columns from its rows (`strip_member`) and lists their lines
(`erased`), under the item's `version` (an optimistic condition: two erasures in one chunk both
win, the second re-reading what the first wrote)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from loyalty.errors import IdempotencyConflictError, TransientError
from loyalty.models.imports import ImportRow
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.export_store import BulkJob, ExportStore, job_item
from loyalty.store.table import Guarded, names, put, to_item, update, values

ERRORS_SHOWN = 1000  # a job's view lists the first refused rows; the counters count them all
PROFILE_COLUMNS = ("name", "email", "phone", "birthday")  # what an erasure removes from a row
STRIP_ATTEMPTS = 10  # an erasure re-reads a chunk another erasure changed meanwhile


@dataclass(frozen=True)
class RowChunk:
    """One chunk's rows, and the lines whose member was erased (their profile columns removed)."""

    rows: list[tuple[int, ImportRow]]
    erased: frozenset[int] = frozenset()


class ImportStore(ExportStore):
    def create_import(self, job: BulkJob, failed: int, audit: Guarded, *, listed: bool = True) -> BulkJob:
        """The job, its entry in the tenant's list and its audit entry, one transaction; or the job
        already under its id (the same file replays, another is a conflict)."""
        item = job_item(job, failed)
        entry = {
            "PK": keys.imports_pk(job.tenant_id),
            "SK": keys.IMPORT_PREFIX + job.job_id,
            "import_id": job.job_id,
            "kind": job.request.get("kind", "import"),
            "created_at": job.created_at.isoformat(),
        }
        actions = [put(self.table_name, item, "attribute_not_exists(PK)"), audit.action]
        if listed:
            actions.append(put(self.table_name, entry, "attribute_not_exists(PK)"))
        cancelled = self.transact(actions)
        if cancelled is None:
            return job
        existing = self.read_job(job.tenant_id, job.kind, job.job_id)
        if existing is None:
            raise TransientError(f"import job not created: {cancelled.codes}")
        if existing.request_hash != job.request_hash:
            raise IdempotencyConflictError(
                f"import id {job.job_id!r} was already used with a different file"
            ) from None
        return existing

    def put_rows(self, tenant_id: str, import_id: str, chunks: list[list[tuple[int, ImportRow]]]) -> None:
        """Each chunk's rows, where the chunk is not written yet. A replayed start writes the same
        rows, but an erasure may have removed a member's profile from a chunk meanwhile (a worker
        ran it): overwriting would bring the profile back, so a chunk already there is left as it
        is (one conditional put per chunk, rather than a batch, which cannot be conditional)."""
        pk = keys.bulk_job_pk(tenant_id, "import", import_id)
        for number, rows in enumerate(chunks):
            self.put_once({"PK": pk, "SK": keys.import_rows_sk(number), "rows": _rows_json(rows)})

    def put_file_errors(self, tenant_id: str, import_id: str, errors: list[tuple[int, str]]) -> None:
        pk = keys.bulk_job_pk(tenant_id, "import", import_id)
        shown = errors[:ERRORS_SHOWN]
        items = [
            {"PK": pk, "SK": keys.row_errors_sk(None, page), "errors": json.dumps(shown[start : start + 200])}
            for page, start in enumerate(range(0, len(shown), 200))
        ]
        self._put_all(items)

    def step_errors(
        self, tenant_id: str, import_id: str, chunk: int, page: int, errors: list[tuple[int, str]]
    ) -> tuple[dict[str, Any], ...]:
        """A step's refused rows as a transaction item of its commit (none when it refused none)."""
        if not errors:
            return ()
        item = {
            "PK": keys.bulk_job_pk(tenant_id, "import", import_id),
            "SK": keys.row_errors_sk(chunk, page),
            "errors": json.dumps(errors),
        }
        return (put(self.table_name, item),)

    def read_rows(self, tenant_id: str, import_id: str, chunk: int) -> list[tuple[int, ImportRow]]:
        return self.read_row_chunk(tenant_id, import_id, chunk).rows

    def read_row_chunk(self, tenant_id: str, import_id: str, chunk: int) -> RowChunk:
        item = self.read_item(keys.bulk_job_pk(tenant_id, "import", import_id), keys.import_rows_sk(chunk))
        if item is None:
            raise TransientError(f"rows of chunk {chunk} not written yet")
        return _chunk(item)

    def chunk_of_line(self, tenant_id: str, import_id: str, chunks: int, line: int) -> int | None:
        """The chunk holding the row of `line` (None: none does). Chunks hold the file's good rows
        in line order, 1 row a line at most: a binary search over the chunks' first lines."""
        low, high = 0, chunks - 1
        while low <= high:
            middle = (low + high) // 2
            lines = [number for number, _ in self.read_row_chunk(tenant_id, import_id, middle).rows]
            if lines and line < lines[0]:
                high = middle - 1
            elif lines and line > lines[-1]:
                low = middle + 1
            else:
                return middle if line in lines else None
        return None

    def strip_member(self, tenant_id: str, import_id: str, chunk: int, member_id: str) -> int:
        """Remove an erased member's profile columns from its rows in one chunk, keeping what a
        revert reads (member id, points, dates, tier); the rows stripped now (0: none left)."""
        key = {"PK": keys.bulk_job_pk(tenant_id, "import", import_id), "SK": keys.import_rows_sk(chunk)}
        for _ in range(STRIP_ATTEMPTS):
            item = self.read_item(key["PK"], key["SK"])
            if item is None:
                return 0
            rows, erased, stripped = json.loads(item["rows"]), set(item.get("erased") or ()), 0
            for line, row in rows:
                if row["member_id"] == member_id and line not in erased:
                    stripped += 1
                    erased.add(line)
                    for column in PROFILE_COLUMNS:
                        row.pop(column, None)
            if not stripped:
                return 0
            version = item.get("version")
            condition = "attribute_not_exists(#version)" if version is None else "#version = :read"
            change = update(
                self.table_name,
                key,
                "SET #rows = :rows, #erased = :erased, #version = :version",
                condition,
                names("rows", "erased", "version"),
                values(rows=json.dumps(rows), erased=sorted(erased), version=(version or 0) + 1)
                | (values(read=version) if version is not None else {}),
            )
            cancelled = self.transact([change])
            if cancelled is None:
                return stripped
        raise TransientError(f"rows of chunk {chunk} kept changing")

    def read_errors(self, tenant_id: str, import_id: str) -> list[tuple[int, str]]:
        """The first refused rows, by line."""
        request = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": values(
                pk=keys.bulk_job_pk(tenant_id, "import", import_id), prefix=keys.ROW_ERRORS_PREFIX
            ),
            "ConsistentRead": True,
        }
        errors: list[tuple[int, str]] = []
        for item in self.query_all(request):
            errors.extend((line, reason) for line, reason in json.loads(item["errors"]))
        return sorted(errors)[:ERRORS_SHOWN]

    def list_imports(self, tenant_id: str, limit: int, after: str | None) -> tuple[list[str], str | None]:
        items, next_after = self.query_page(keys.imports_pk(tenant_id), keys.IMPORT_PREFIX, limit, after)
        return [item["import_id"] for item in items], next_after

    def _put_all(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            request: dict[str, Any] = {
                self.table_name: [
                    {"PutRequest": {"Item": to_item(item)}} for item in items[start : start + 25]
                ]
            }
            for _ in range(10):
                response = self.client.batch_write_item(RequestItems=request)
                request = dict(response.get("UnprocessedItems") or {})
                if not request:
                    break
            else:
                raise TransientError("batch write left items unprocessed")


def _chunk(item: dict[str, Any]) -> RowChunk:
    rows = [(line, ImportRow.model_validate(row)) for line, row in json.loads(item["rows"])]
    return decode(RowChunk, item, rows=rows)


def _rows_json(rows: list[tuple[int, ImportRow]]) -> str:
    return json.dumps([[line, row.model_dump(mode="json", exclude_none=True)] for line, row in rows])
