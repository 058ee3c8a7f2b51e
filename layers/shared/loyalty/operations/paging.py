"""The one cursor every list issues: opaque to clients (base64url of a small JSON position), and
refused with 422 when it is not one this API issued. A list of ledger entries continues below an
entry's seq (`before`); a list of items keyed by id (rewards, coupon templates, a member's
coupons) continues after an id (`after`), in id order."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from loyalty.errors import InvalidRequestError
from loyalty.models.common import ID_PATTERN

MAX_PAGE = 100
DEFAULT_PAGE = 50
_ID = re.compile(ID_PATTERN)


def encode_cursor(**position: int | str) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def _position(cursor: str, name: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))[name]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidRequestError("cursor is not one this API issued") from error


def decode_before(cursor: str) -> int:
    """The seq a page of ledger entries continues below."""
    before = _position(cursor, "before")
    if not isinstance(before, int) or isinstance(before, bool) or before < 1:
        raise InvalidRequestError("cursor is not one this API issued")
    return before


def decode_after(cursor: str) -> str:
    """The id a page of items continues after (an id: it can only name a key of the same list)."""
    after = _position(cursor, "after")
    if not isinstance(after, str) or not _ID.match(after):
        raise InvalidRequestError("cursor is not one this API issued")
    return after


def page(items: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
    """A list's body: its items and the cursor of the next page (null on the last)."""
    return {"items": items, "next_cursor": encode_cursor(after=after) if after is not None else None}
