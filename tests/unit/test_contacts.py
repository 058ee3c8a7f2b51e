"""Contact normal forms: what the search compares."""

from __future__ import annotations

import pytest

from loyalty.domain.contacts import contacts, normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Ann@Example.com", "ann@example.com"),
        ("  ann@example.com ", "ann@example.com"),
        ("not-an-address", None),
        ("a@b@c", None),
        ("", None),
    ],
)
def test_an_email_is_trimmed_and_lower_cased_or_refused(raw, normal):
    assert normalise_email(raw) == normal


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("+86 138-0013-8000", "+8613800138000"),
        ("0086 (138) 0013.8000", "+8613800138000"),
        ("138 0013 8000", "13800138000"),
        ("+1234567890123456", None),  # more than 15 digits
        ("12345", None),
        ("12ab5678", None),
        ("+", None),
        ("١٢٣٤٥٦٧", None),  # digits of another script are not a phone number here
    ],
)
def test_a_phone_keeps_its_digits_and_plus_or_is_refused(raw, normal):
    assert normalise_phone(raw) == normal


def test_a_profile_gives_only_its_searchable_contacts():
    assert contacts({"email": "A@x.io", "phone": "12", "name": "Ann"}) == {"email": "a@x.io"}
