"""Member tokens: short-lived, signed bearer tokens good for exactly one member of one tenant.

Format: ``lmt1.<key id>.<claims>.<signature>``, where claims is base64url (no padding) of the JSON
``{"t": tenant, "m": member, "iat": epoch, "exp": epoch}`` and signature is base64url of
HMAC-SHA256(signing key, ``"lmt1.<key id>.<claims>"``).

Hand-rolled with the standard library on purpose: one algorithm, fixed by the prefix, so there is
no ``alg`` header to confuse (the classic JWT "none"/RS-HS mix-ups), nothing to configure wrongly,
and no dependency in the Lambda layer. The signing keys are per tenant, stored server side only
(see `store/signing_key_store.py`); the key id names which one signed, so keys rotate without
breaking tokens already handed out. Pure: the keys and "now" are passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "lmt1"
DEFAULT_TTL_SECONDS = 3600
MAX_TTL_SECONDS = 24 * 3600
MIN_TTL_SECONDS = 60
MAX_TOKEN_LENGTH = 1024
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_KEY_ID = re.compile(r"^[a-z0-9]{1,32}$")


@dataclass(frozen=True)
class MemberClaims:
    tenant_id: str
    member_id: str
    issued_at: int
    expires_at: int
    key_id: str


class TokenError(ValueError):
    """Not a valid member token: malformed, altered, signed by an unknown key, or expired."""


def looks_like_member_token(value: str) -> bool:
    return value.startswith(PREFIX + ".")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise TokenError("malformed token") from error


def _signature(secret: bytes, signed: str) -> str:
    return _b64(hmac.new(secret, signed.encode(), hashlib.sha256).digest())


def sign(tenant_id: str, member_id: str, key_id: str, secret: bytes, now: int, ttl_seconds: int) -> str:
    claims = {"t": tenant_id, "m": member_id, "iat": now, "exp": now + ttl_seconds}
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signed = f"{PREFIX}.{key_id}.{body}"
    return f"{signed}.{_signature(secret, signed)}"


def unverified_claims(token: str) -> MemberClaims:
    """What a token says, NOT yet trusted: the tenant and key id tell which secret to verify with."""
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenError("malformed token")
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not _KEY_ID.match(parts[1]):
        raise TokenError("malformed token")
    try:
        claims = json.loads(_unb64(parts[2]))
    except ValueError as error:
        raise TokenError("malformed token") from error
    if not isinstance(claims, dict):
        raise TokenError("malformed token")
    tenant_id, member_id = claims.get("t"), claims.get("m")
    issued_at, expires_at = claims.get("iat"), claims.get("exp")
    if not (isinstance(tenant_id, str) and _ID.match(tenant_id) and isinstance(member_id, str)):
        raise TokenError("malformed token")
    if not _ID.match(member_id) or type(issued_at) is not int or type(expires_at) is not int:
        raise TokenError("malformed token")
    return MemberClaims(tenant_id, member_id, issued_at, expires_at, parts[1])


def verify(token: str, secrets_by_key_id: Mapping[str, bytes], now: int) -> MemberClaims:
    """The token's claims once its signature checks out with the named key and it has not expired."""
    claims = unverified_claims(token)
    secret = secrets_by_key_id.get(claims.key_id)
    if secret is None:
        raise TokenError("token signed by an unknown or retired key")
    signed, _, signature = token.rpartition(".")
    if not hmac.compare_digest(_signature(secret, signed), signature):
        raise TokenError("token signature does not match")
    if now >= claims.expires_at:
        raise TokenError("token expired")
    return claims
