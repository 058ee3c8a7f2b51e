"""Typed records from the table's items: one decoder for the stores' records.

`decode(Record, item, **given)` turns an item as `table.from_item` reads it (numbers already
ints) into a record (a frozen dataclass) by the record's declared field types, through pydantic's
`TypeAdapter` (one per record type, built once): `datetime` and `date` from their ISO strings,
`Decimal` from its decimal string, nested dataclasses from maps, `JsonText[...]` fields from the
JSON text they are stored as; attributes the record does not declare (keys, index keys,
timestamps nobody reads back) are passed over, and an absent attribute takes the field's default.

What is written by hand here, and why pydantic alone does not do it:
- an optional field without a default (`updated_at: datetime | None` among required fields) is
  None when its attribute is absent. Items never hold a null (`to_item` leaves None out), so
  "absent" is how they say None; pydantic requires every field without a default, and giving
  each such field a default would reorder the records' fields. A required field that is absent
  still fails (None is not a valid value for it).
- `given`: what a store works out itself (the lots from their map, a document parsed by its own
  model, a key taken from the request) takes the place of the item's attribute, as some
  records are not a field-for-field copy of their item. Given values are validated too (a typed
  value passes as it is).
- `JsonText`: pydantic's `Json[...]` would change the field's static type to the text; this
  keeps the declared type and parses only when the value is text.

An instant read back carries pydantic's UTC (or fixed-offset) tzinfo rather than the standard
library's: equal to the instant written, and `isoformat()` gives the same text.

Decoding only: the items' encodings (ISO strings as `isoformat()` writes them, amounts with two
decimals, JSON with the separators each item was first written with) stay with each store, as
pydantic's own serialisation writes some of them differently (a UTC instant as `Z`), and items
already written must compare and read back byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Annotated, Any, TypeVar, cast

from pydantic import BeforeValidator, TypeAdapter

R = TypeVar("R")
T = TypeVar("T")


def _json_text(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


JsonText = Annotated[T, BeforeValidator(_json_text)]
"""An attribute stored as JSON text, read back as the value it encodes: `JsonText[dict[str, Any]]`."""


def decode(record: type[R], item: Mapping[str, Any], **given: Any) -> R:
    """The record of an item (plain values): see the module's docstring."""
    adapter, without_default = _adapters.get(record) or _adapt(record)
    absent = {name: None for name in without_default if name not in item and name not in given}
    return cast(R, adapter.validate_python({**absent, **item, **given}))


# Building an adapter compiles a validator (milliseconds): once per record type, kept for the warm
# Lambda, as the records are a fixed few.
_adapters: dict[type, tuple[TypeAdapter[Any], tuple[str, ...]]] = {}


def _adapt(record: type) -> tuple[TypeAdapter[Any], tuple[str, ...]]:
    without_default = tuple(
        field.name
        for field in fields(record)
        if field.default is MISSING and field.default_factory is MISSING
    )
    _adapters[record] = (TypeAdapter(record), without_default)
    return _adapters[record]
