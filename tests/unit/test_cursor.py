from __future__ import annotations

import pytest

from loyalty.errors import InvalidRequestError
from loyalty.operations.members import decode_cursor, encode_cursor


def test_cursor_round_trips():
    assert decode_cursor(encode_cursor(42)) == 42


@pytest.mark.parametrize("cursor", ["", "!!", "eyJiZWZvcmUiOiAiMSJ9", "e30", "eyJiZWZvcmUiOiAtMX0"])
def test_foreign_cursors_are_refused(cursor):
    with pytest.raises(InvalidRequestError):
        decode_cursor(cursor)
