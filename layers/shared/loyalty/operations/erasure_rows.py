"""An erased member's rows in import jobs: an import keeps its file's rows (one item per chunk,
`ImportStore`) because a revert reads them back, and a row may hold the person's profile (name,
email, phone, birthday). An erasure removes those columns from the member's rows and keeps what a
revert reads (member id, points, dates, tier).

The imports are found through the ledger: every row applied to the member left an entry with its
import id and line (an import's, or a bulk adjustment's, whose rows are stored alike). The chunk
holding the line is found by its lines, and every row of the member in that chunk is stripped.
Rows that left no entry are not found this way: a row an import has not reached yet is stripped
when its step reaches it (refused: the member is erased, `imports.run_chunk`); a 0-point row for a
member already enrolled, or a row refused before the erasure, keeps what its file said."""

from __future__ import annotations

from loyalty.operations.context import Context

IMPORT_JOB = "import"  # the job kind an import's (and a bulk adjustment's) rows are stored under
ENTRIES_PAGE = 500


def import_lines(context: Context, tenant_id: str, member_id: str) -> dict[str, set[int]]:
    """The import rows applied to the member, by import id: what its ledger entries record."""
    found: dict[str, set[int]] = {}
    before: int | None = None
    while True:
        page, before = context.entries.list_entries(tenant_id, member_id, ENTRIES_PAGE, before)
        for entry in page:
            if entry.import_id is not None and entry.line is not None:
                found.setdefault(entry.import_id, set()).add(entry.line)
        if before is None:
            return found


def scrub_import_rows(context: Context, tenant_id: str, member_id: str) -> int:
    """Remove the member's profile from the rows of every import that applied a row to it; the
    rows stripped now (0 when an earlier run of the same erasure already did)."""
    store, stripped = context.import_rows, 0
    for import_id, lines in sorted(import_lines(context, tenant_id, member_id).items()):
        job = store.read_job(tenant_id, IMPORT_JOB, import_id)
        if job is None:
            continue
        chunks = {store.chunk_of_line(tenant_id, import_id, job.chunks, line) for line in lines}
        for chunk in sorted(chunk for chunk in chunks if chunk is not None):
            stripped += store.strip_member(tenant_id, import_id, chunk, member_id)
    return stripped
