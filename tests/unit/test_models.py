"""Boundary validation: amounts, ids, unknown fields."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import Strict, ValidationError
from pydantic.fields import FieldInfo

from loyalty.domain.idempotency import request_fingerprint
from loyalty.models.api import AdjustmentRequest, EnrollRequest, ProfileRequest, PurchaseRequest
from loyalty.models.common import StrictModel

BASE = {"order_id": "o1", "member_id": "m1", "currency": "CNY"}


@pytest.mark.parametrize("amount", ["99999999.99", "0.01", "129.9", "7"])
def test_amounts_accepted(amount):
    assert PurchaseRequest.model_validate({**BASE, "amount": amount}).amount == Decimal(amount).quantize(
        Decimal("0.01")
    )


@pytest.mark.parametrize(
    "amount", ["0", "-1.00", "1.001", "100000000.00", "NaN", "Infinity", "1e3x", 12.5, True, "", None]
)
def test_amounts_refused(amount):
    with pytest.raises(ValidationError):
        PurchaseRequest.model_validate({**BASE, "amount": amount})


@pytest.mark.parametrize("member_id", ["a#b", "a/b", "ä", "a\x00", "", "x" * 65, " a", "T#other#M#x"])
def test_ids_that_could_reach_other_keys_are_refused(member_id):
    with pytest.raises(ValidationError):
        PurchaseRequest.model_validate({**BASE, "amount": "1", "member_id": member_id})


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        PurchaseRequest.model_validate({**BASE, "amount": "1", "balance": 1_000_000})


def test_zero_adjustment_is_refused():
    with pytest.raises(ValidationError):
        AdjustmentRequest.model_validate({"adjustment_id": "a", "points": 0, "reason": "x"})


def test_fingerprint_ignores_amount_spelling_but_not_values():
    one = PurchaseRequest.model_validate({**BASE, "amount": "10.5"})
    same = PurchaseRequest.model_validate({**BASE, "amount": "10.50"})
    other = PurchaseRequest.model_validate({**BASE, "amount": "10.51"})
    assert request_fingerprint("purchase", one) == request_fingerprint("purchase", same)
    assert request_fingerprint("purchase", one) != request_fingerprint("purchase", other)


def test_given_an_entry_item_as_stored_before_when_read_then_its_fields_come_back_and_the_rest_is_ignored():
    from loyalty.models.ledger import LedgerEntry, entry_fields

    stored = {
        "PK": "T#shop#M#m1",
        "SK": "LEDGER#00000000000000000001",
        "tenant_id": "shop",
        "member_id": "m1",
        "seq": 1,
        "entry_id": "1",
        "type": "earn",
        "points": 100,
        "balance_after": 100,
        "created_at": "2026-01-01T00:00:00+00:00",
        "source": "signup",
        "expires_on": "2027-12-31",
        "no_longer_written": "x",
    }

    entry = LedgerEntry.model_validate(entry_fields(stored))

    assert entry.model_dump(mode="json", exclude_none=True) == {
        "type": "earn",
        "source": "signup",
        "expires_on": "2027-12-31",
        "entry_id": "1",
        "points": 100,
        "balance_after": 100,
        "created_at": "2026-01-01T00:00:00Z",
    }


def request_models() -> list[type[StrictModel]]:
    """Every model a request body (or a queue message) is validated with, imported or not yet."""
    import loyalty.models.exports
    import loyalty.models.jobs
    import loyalty.models.program
    import loyalty.models.rewards  # noqa: F401  (registers their subclasses)

    found: list[type[StrictModel]] = []
    pending = list(StrictModel.__subclasses__())
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found


def integer_fields(model: type[StrictModel]) -> list[tuple[str, FieldInfo]]:
    model.model_rebuild()
    return [
        (name, field)
        for name, field in model.model_fields.items()
        if field.annotation in (int, int | None) and name != "version"  # the program's: server-owned
    ]


def test_every_integer_of_every_request_model_is_a_strict_json_integer():
    # Given every request model's integer fields (points, costs, counts, limits, days...)
    fields = [
        (model.__name__, name, field) for model in request_models() for name, field in integer_fields(model)
    ]
    assert len(fields) > 30  # the walk found them

    # Then each is strict: `true`, "100", 1.5 and 2.0 are refused, not read as a number
    lax = [
        f"{model}.{name}"
        for model, name, field in fields
        if not any(isinstance(m, Strict) for m in field.metadata)
    ]
    assert not lax, f"not strict: {lax}"


@pytest.mark.parametrize("points", [True, "100", 1.5, 2.0, None])
def test_adjustment_points_must_be_a_json_integer(points):
    with pytest.raises(ValidationError):
        AdjustmentRequest.model_validate({"adjustment_id": "a1", "points": points, "reason": "x"})
    with pytest.raises(ValidationError):
        AdjustmentRequest.model_validate_json(
            json.dumps({"adjustment_id": "a1", "points": points, "reason": "x"})
        )


@pytest.mark.parametrize(
    ("model", "fields"),
    [(EnrollRequest, {"member_id": "m1"}), (ProfileRequest, {})],
    ids=["enrolment", "profile correction"],
)
def test_given_a_birthday_before_1900_when_enrolled_or_corrected_then_refused_and_1900_accepted(
    model, fields
):
    with pytest.raises(ValidationError, match="birthday before 1900"):
        model.model_validate({**fields, "birthday": "1899-12-31"})
    assert model.model_validate({**fields, "birthday": "1900-01-01"}).birthday.year == 1900
    assert model.model_validate({**fields, "birthday": None}).birthday is None
