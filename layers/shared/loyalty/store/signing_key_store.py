"""A tenant's member-token signing keys: one item, never returned by any API.

Item ``T#{tenant} / SIGNING_KEYS``: ``current`` (the key id new tokens are signed with) and
``keys``: key id -> ``{secret, created_at, retired_at?}`` (secret: base64 of 32 random bytes).
A key retired by a rotation still verifies until every token it signed has expired (the longest
token lifetime after its retirement), then the next rotation drops it. Created on first use with
a condition, so two first mints agree on one key."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loyalty.errors import TransientError
from loyalty.store import keys
from loyalty.store.codec import decode
from loyalty.store.table import TableStore, from_item, names, to_item, values

SIGNING_KEYS_SK = "SIGNING_KEYS"


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    secret: bytes
    created_at: datetime
    retired_at: datetime | None = None


@dataclass(frozen=True)
class SigningKeys:
    current: SigningKey
    keys: tuple[SigningKey, ...]
    revision: int

    def verifying(self, now: datetime, grace: timedelta) -> dict[str, bytes]:
        """Secrets that may still verify a token: the current key and those retired within `grace`."""
        return {
            key.key_id: key.secret
            for key in self.keys
            if key.retired_at is None or key.retired_at + grace > now
        }


def new_key(now: datetime) -> SigningKey:
    return SigningKey(key_id=secrets.token_hex(8), secret=secrets.token_bytes(32), created_at=now)


class SigningKeyStore(TableStore):
    def _key(self, tenant_id: str) -> dict[str, Any]:
        return to_item({"PK": keys.tenant_pk(tenant_id), "SK": SIGNING_KEYS_SK})

    def read(self, tenant_id: str) -> SigningKeys | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=self._key(tenant_id), ConsistentRead=True
        )
        item = response.get("Item")
        return _decode(from_item(item)) if item else None

    def read_or_create(self, tenant_id: str, now: datetime) -> SigningKeys:
        found = self.read(tenant_id)
        if found is not None:
            return found
        first = new_key(now)
        created = SigningKeys(current=first, keys=(first,), revision=1)
        if self._write(tenant_id, created, expected_revision=None):
            return created
        found = self.read(tenant_id)  # another first mint won the race: use its key
        if found is None:
            raise TransientError("signing keys not readable yet")
        return found

    def rotate(self, tenant_id: str, now: datetime, grace: timedelta) -> tuple[SigningKeys, str | None]:
        """A new current key; the previous one retires now (and verifies for `grace`); keys retired
        longer ago are dropped. Returns the new keys and the retired key's id."""
        found = self.read(tenant_id)
        fresh = new_key(now)
        if found is None:
            rotated = SigningKeys(current=fresh, keys=(fresh,), revision=1)
            if not self._write(tenant_id, rotated, expected_revision=None):
                raise TransientError("the signing keys changed meanwhile; retry")
            return rotated, None
        kept = tuple(
            SigningKey(key.key_id, key.secret, key.created_at, key.retired_at or now)
            for key in found.keys
            if key.retired_at is None or key.retired_at + grace > now
        )
        rotated = SigningKeys(current=fresh, keys=(fresh, *kept), revision=found.revision + 1)
        if not self._write(tenant_id, rotated, expected_revision=found.revision):
            raise TransientError("the signing keys changed meanwhile; retry")
        return rotated, found.current.key_id

    def _write(self, tenant_id: str, signing: SigningKeys, expected_revision: int | None) -> bool:
        item = {
            "PK": keys.tenant_pk(tenant_id),
            "SK": SIGNING_KEYS_SK,
            "current": signing.current.key_id,
            "revision": signing.revision,
            "keys": {
                key.key_id: {
                    "secret": base64.b64encode(key.secret).decode(),
                    "created_at": key.created_at.isoformat(),
                    "retired_at": key.retired_at.isoformat() if key.retired_at else None,
                }
                for key in signing.keys
            },
        }
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(PK)"}
            if expected_revision is None
            else {
                "ConditionExpression": "#revision = :revision",
                "ExpressionAttributeNames": names("revision"),
                "ExpressionAttributeValues": values(revision=expected_revision),
            }
        )
        try:
            self.client.put_item(TableName=self.table_name, Item=to_item(item), **condition)
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


def _decode(stored: dict[str, Any]) -> SigningKeys:
    decoded = tuple(
        decode(SigningKey, entry, key_id=key_id, secret=base64.b64decode(entry["secret"]))
        for key_id, entry in stored["keys"].items()
    )
    current = next(key for key in decoded if key.key_id == stored["current"])
    return SigningKeys(current=current, keys=decoded, revision=int(stored["revision"]))
