from __future__ import annotations

import pytest

from loyalty.errors import InvalidRequestError
from loyalty.operations.paging import decode_after, decode_before, encode_cursor


def test_cursor_round_trips():
    assert decode_before(encode_cursor(before=42)) == 42
    assert decode_after(encode_cursor(after="ten-off")) == "ten-off"


def test_a_ledger_cursor_keeps_the_spelling_clients_already_hold():
    assert encode_cursor(before=42) == "eyJiZWZvcmUiOiA0Mn0"


@pytest.mark.parametrize("cursor", ["", "!!", "eyJiZWZvcmUiOiAiMSJ9", "e30", "eyJiZWZvcmUiOiAtMX0"])
def test_foreign_cursors_are_refused(cursor):
    with pytest.raises(InvalidRequestError):
        decode_before(cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "r1",  # a bare id (what the rewards list answered before its cursor was opaque)
        encode_cursor(before=3),
        encode_cursor(after="COUPONTPL#x"),  # "#" could reach another kind of item
        encode_cursor(after=""),
    ],
)
def test_an_after_cursor_names_an_id_or_is_refused(cursor):
    with pytest.raises(InvalidRequestError):
        decode_after(cursor)
