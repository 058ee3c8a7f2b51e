"""Reading an import file: CSV with a header row, or JSON Lines, into typed rows by line.

Pure: the bytes in, the rows and the refused lines out. A line is the file's own line number (the
CSV header is line 1), so an operator finds a refused row in an editor. A row that does not read is
refused with its reason and never stops the others; only a file that cannot be read at all (no
`member_id` or `points` column, not UTF-8) is refused as a whole."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from loyalty.errors import ImportFileError
from loyalty.models.imports import ImportRow

COLUMNS = (
    "member_id",
    "points",
    "expires_on",
    "earned_on",
    "name",
    "email",
    "phone",
    "birthday",
    "reason",
    "tier_id",
    "tier_ends_on",
)
REQUIRED = ("member_id", "points")
MAX_ROWS = 200_000  # one file; more is split into several imports
_INTEGER = re.compile(r"^[+-]?\d{1,13}$")


@dataclass(frozen=True)
class ParsedFile:
    rows: list[tuple[int, ImportRow]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.errors)


def parse_file(content: bytes, file_format: str, kind: str) -> ParsedFile:
    """Every row of the file, or why its line is refused. `kind` is "import" (points >= 0) or
    "adjustment" (signed points, not zero)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(f"the file is not UTF-8 ({error.reason} at byte {error.start})") from None
    records = _jsonl(text) if file_format == "jsonl" else _csv(text)
    parsed = ParsedFile()
    for line, record in records:
        if isinstance(record, str):
            parsed.errors.append((line, record))
        else:
            row, reason = read_row(record, kind)
            if row is None:
                parsed.errors.append((line, reason))
            else:
                parsed.rows.append((line, row))
        if parsed.total > MAX_ROWS:
            raise ImportFileError(f"more than {MAX_ROWS} rows: split the file into several imports")
    return parsed


def read_row(record: dict[str, Any], kind: str) -> tuple[ImportRow | None, str]:
    unknown = sorted(name for name in record if name not in COLUMNS)
    if unknown:
        return None, f"unknown column(s): {', '.join(unknown)}"
    points = record.get("points")
    if isinstance(points, str):
        if not _INTEGER.match(points.strip()):
            return None, f"points {points!r} is not a whole number"
        record = {**record, "points": int(points.strip())}
    try:
        row = ImportRow.model_validate(record)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "row"
        return None, f"{where}: {first.get('msg', 'invalid')}"
    if kind == "import" and row.points < 0:
        return None, "points: an import credits points; use a bulk adjustment to deduct"
    if kind == "adjustment" and row.points == 0:
        return None, "points: an adjustment moves points (not 0)"
    return row, ""


def _csv(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("the file is empty (a header row names the columns)") from None
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportFileError(f"the header row has no {' or '.join(missing)} column")
    records: list[tuple[int, dict[str, Any] | str]] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) != len(header):
                records.append((line, f"{len(cells)} cells where the header has {len(header)}"))
                continue
            records.append(
                (line, {name: cell for name, cell in zip(header, cells, strict=True) if cell != ""})
            )
    except csv.Error as error:
        records.append((start, f"unreadable CSV: {error}"))
    return records


def _jsonl(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    records: list[tuple[int, dict[str, Any] | str]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            records.append((line, f"not JSON: {error.msg}"))
            continue
        if not isinstance(record, dict):
            records.append((line, "not a JSON object"))
            continue
        records.append((line, {name: value for name, value in record.items() if value is not None}))
    return records
