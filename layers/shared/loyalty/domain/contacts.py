"""A member's contact details as the search finds them: one normal form per email and phone, so
"Ann@Example.com " and "ann@example.com" are one address and "+86 138-0013-8000" and
"+8613800138000" one number. Pure: no store, no HTTP."""

from __future__ import annotations

import re
from typing import Any, Literal

ContactKind = Literal["email", "phone"]
CONTACT_KINDS: tuple[ContactKind, ...] = ("email", "phone")

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")


def normalise_email(raw: str) -> str | None:
    """Trimmed and lower-cased (the whole address: shops treat addresses case-blind, and a search
    that misses a member over a capital letter is worse than the rare mailbox that is case
    sensitive); None when it is not an address."""
    email = raw.strip().lower()
    return email if _EMAIL.match(email) else None


def normalise_phone(raw: str) -> str | None:
    """E.164-ish: separators (spaces, dashes, dots, brackets) dropped, an international "00"
    prefix written as "+", then "+" and 6 to 15 digits, or 6 to 15 digits without a country code
    (a national number: it matches only a number stored the same way). None when it is not a
    phone number."""
    phone = _PHONE_SEPARATORS.sub("", raw.strip())
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    digits = phone.removeprefix("+")
    if not digits.isascii() or not digits.isdigit() or not 6 <= len(digits) <= 15:
        return None
    return phone


def normalise(kind: ContactKind, raw: str) -> str | None:
    return normalise_email(raw) if kind == "email" else normalise_phone(raw)


def contacts(profile: dict[str, Any]) -> dict[ContactKind, str]:
    """The profile's searchable contacts in normal form (a value that has none is not searchable)."""
    found: dict[ContactKind, str] = {}
    for kind in CONTACT_KINDS:
        value = profile.get(kind)
        normal = normalise(kind, value) if isinstance(value, str) else None
        if normal is not None:
            found[kind] = normal
    return found
