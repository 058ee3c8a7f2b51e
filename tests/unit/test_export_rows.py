"""Export rows and files, without I/O: the window is in program-local days, CSV cells never run as
formulas, a members row is the member view's figures, and requests that cannot mean anything are
refused."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from pydantic import ValidationError

from loyalty.models.exports import LEDGER_COLUMNS, MEMBER_COLUMNS, ExportRequest
from loyalty.operations.exports import encode, header, ledger_rows, member_row


def entry(seq: int, created_at: str, points: int = 10) -> dict:
    return {
        "entry_id": str(seq),
        "seq": seq,
        "type": "earn",
        "points": points,
        "balance_after": 0,
        "created_at": created_at,
    }


def test_given_entries_around_local_midnight_when_a_day_is_asked_then_the_programs_day_decides():
    # 2026-11-23 16:30 UTC is 2026-11-24 00:30 in Shanghai; 15:59 UTC is still the 23rd there
    entries = [
        entry(1, "2026-11-23T15:59:00+00:00"),
        entry(2, "2026-11-23T16:30:00+00:00"),
        entry(3, "2026-11-24T15:59:59+00:00"),
        entry(4, "2026-11-24T16:00:00+00:00"),
    ]
    rows = ledger_rows("ann", entries, "Asia/Shanghai", date(2026, 11, 24), date(2026, 11, 24))
    assert [row["entry_id"] for row in rows] == ["2", "3"]
    assert all(row["member_id"] == "ann" for row in rows)
    assert [row["entry_id"] for row in ledger_rows("ann", entries, "UTC", date(2026, 11, 24), None)] == [
        "3",
        "4",
    ]
    assert len(ledger_rows("ann", entries, "UTC", None, None)) == 4


def test_given_a_member_view_then_its_row_takes_the_views_figures_and_csv_guards_formulas():
    view = {
        "member_id": "ann",
        "balance": {"available": 120, "pending": 30, "held": 5},
        "debt": 7,
        "tier": {"id": "silver"},
        "enrolled_at": "2026-11-23T12:00:00Z",
        "name": "=1+1",
        "phone": "+8613800000000",
        "email": "@ann",
    }
    row = member_row(view)
    assert (row["available"], row["pending"], row["held"], row["debt"], row["tier_id"]) == (
        120,
        30,
        5,
        7,
        "silver",
    )
    request = ExportRequest(kind="members", format="csv")
    text = (header(request) + encode([row], "csv", MEMBER_COLUMNS)).decode()
    (parsed,) = csv.DictReader(io.StringIO(text))
    assert (parsed["name"], parsed["email"], parsed["phone"]) == ("'=1+1", "'@ann", "+8613800000000")
    assert parsed["birthday"] == ""
    assert json.loads(encode([row], "jsonl", MEMBER_COLUMNS)) == row  # JSON Lines keep values as they are


def test_given_a_ledger_request_then_the_csv_header_names_the_ledger_columns_and_jsonl_has_none():
    assert header(ExportRequest(kind="ledger", format="csv")).decode().strip().split(",") == list(
        LEDGER_COLUMNS
    )
    assert header(ExportRequest(kind="ledger", format="jsonl")) == b""


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "members", "from": "2026-01-01"},
        {"kind": "ledger", "from": "2026-02-01", "to": "2026-01-31"},
        {"kind": "ledger", "format": "xlsx"},
        {"kind": "members", "extra": 1},
    ],
)
def test_given_a_request_that_means_nothing_then_it_is_refused(body):
    with pytest.raises(ValidationError):
        ExportRequest.model_validate(body)
