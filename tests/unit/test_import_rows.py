"""Reading an import file: rows by the file's own line numbers, refused rows with a reason, and a
file that cannot be read at all refused whole."""

from __future__ import annotations

from datetime import date

import pytest

from loyalty.domain.import_rows import parse_file
from loyalty.errors import ImportFileError


def test_given_a_csv_with_a_bom_blank_lines_and_a_multiline_cell_when_read_then_lines_are_the_files_own():
    content = '\ufeffmember_id,points,name\r\nann,5,"Ann\nSmith"\r\n\r\nbob,7,\r\ncat,1,2,3\r\n'.encode()
    parsed = parse_file(content, "csv", "import")
    assert [(line, row.member_id, row.points, row.name) for line, row in parsed.rows] == [
        (2, "ann", 5, "Ann\nSmith"),
        (5, "bob", 7, None),
    ]
    assert parsed.errors == [(6, "4 cells where the header has 3")]
    assert parsed.total == 3


def test_given_rows_with_bad_values_when_read_then_each_is_refused_with_its_reason():
    content = (
        b"member_id,points,expires_on,earned_on,email\n"
        b"a,1.5,,,\n"
        b"b,-3,,,\n"
        b"c,3,2027-13-01,,\n"
        b"d,3,2027-01-01,2027-02-01,\n"
        b"e,3,,,not-an-email\n"
        b"f,3,2027-01-01,2026-01-01,f@example.com\n"
    )
    parsed = parse_file(content, "csv", "import")
    reasons = dict(parsed.errors)
    assert sorted(reasons) == [2, 3, 4, 5, 6]
    assert "not a whole number" in reasons[2]
    assert "bulk adjustment" in reasons[3]
    assert reasons[4].startswith("expires_on")
    assert "earned_on is after expires_on" in reasons[5]
    assert reasons[6].startswith("email")
    [(line, row)] = parsed.rows
    assert (line, row.expires_on, row.earned_on) == (7, date(2027, 1, 1), date(2026, 1, 1))


def test_given_an_adjustment_file_when_read_then_signed_points_pass_and_zero_is_refused():
    parsed = parse_file(b"member_id,points,reason\na,-5,fix\nb,0,\n", "csv", "adjustment")
    assert [(row.points, row.reason) for _, row in parsed.rows] == [(-5, "fix")]
    assert parsed.errors == [(3, "points: an adjustment moves points (not 0)")]


def test_given_json_lines_when_read_then_objects_are_rows_and_anything_else_is_refused_by_line():
    content = (
        b'{"member_id": "a", "points": 2}\n[1]\n{"member_id": "b", "points": "2"}\n'
        b'{"member_id": "c", "points": 2, "x": 1}\n'
    )
    parsed = parse_file(content, "jsonl", "import")
    assert [line for line, _ in parsed.rows] == [1, 3]
    assert [line for line, _ in parsed.errors] == [2, 4]
    assert "unknown column(s): x" in dict(parsed.errors)[4]


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "empty"), (b"member_id,name\na,b\n", "points"), (b"member_id,points\n\xff,1\n", "UTF-8")],
)
def test_given_a_file_that_cannot_be_read_when_sent_then_it_is_refused_whole(content, says):
    with pytest.raises(ImportFileError, match=says):
        parse_file(content, "csv", "import")
