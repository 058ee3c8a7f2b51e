"""Member tokens: a shop's backend mints one for a member; the authorizer verifies it.

Signing keys are per tenant, made on the first mint and kept in the table (never in an answer);
`rotate` makes a new current key while the previous one keeps verifying the tokens it signed
until they expire. The authorizer keeps the keys it read for a minute (a warm Lambda) and re-reads
them when a token names a key it does not know, so a rotation is seen at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from loyalty.domain import member_tokens
from loyalty.domain.member_tokens import MAX_TTL_SECONDS, MemberClaims, TokenError
from loyalty.models.api import MemberTokenRequest, MemberTokenResponse, SigningKeyRotatedResponse
from loyalty.operations.context import Context, Outcome, Principal, existing_member
from loyalty.store.signing_key_store import SigningKeys

GRACE = timedelta(seconds=MAX_TTL_SECONDS)
KEYS_CACHE_SECONDS = 60.0


def mint(context: Context, tenant_id: str, member_id: str, request: MemberTokenRequest) -> Outcome:
    """A token for one enrolled member of the caller's tenant (404 for anyone else; 409 for an
    erased member: nobody is left to sign in)."""
    existing_member(context, tenant_id, member_id)
    now = context.clock()
    signing = context.signing_keys.read_or_create(tenant_id, now)
    issued = int(now.timestamp())
    token = member_tokens.sign(
        tenant_id, member_id, signing.current.key_id, signing.current.secret, issued, request.ttl_seconds
    )
    body = MemberTokenResponse(
        token=token,
        member_id=member_id,
        expires_at=datetime.fromtimestamp(issued + request.ttl_seconds, UTC),
    )
    return Outcome(201, body.model_dump(mode="json"))


def rotate(context: Context, principal: Principal) -> Outcome:
    signing, retired = context.signing_keys.rotate(principal.tenant_id, context.clock(), GRACE)
    body = SigningKeyRotatedResponse(key_id=signing.current.key_id, retired_key_id=retired)
    return Outcome(200, body.model_dump(mode="json"))


class TokenVerifier:
    """Verifies member tokens with their tenant's keys, read through a short per-process cache.
    Takes the context's provider (not a context), so it follows the context the process uses."""

    def __init__(self, context: Callable[[], Context], clock: Callable[[], float] = time.monotonic) -> None:
        self._context = context
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, SigningKeys | None]] = {}

    def verify(self, token: str) -> MemberClaims | None:
        try:
            claims = member_tokens.unverified_claims(token)
        except TokenError:
            return None
        context = self._context()
        now = context.clock()
        signing = self._keys(context, claims.tenant_id, claims.key_id)
        if signing is None:
            return None
        try:
            return member_tokens.verify(token, signing.verifying(now, GRACE), int(now.timestamp()))
        except TokenError:
            return None

    def _keys(self, context: Context, tenant_id: str, key_id: str) -> SigningKeys | None:
        where = (context.ledger.table_name, tenant_id)
        cached = self._cache.get(where)
        known = (
            cached is not None and cached[1] is not None and any(k.key_id == key_id for k in cached[1].keys)
        )
        if cached is not None and cached[0] > self._clock() and known:
            return cached[1]
        signing = context.signing_keys.read(tenant_id)
        self._cache[where] = (self._clock() + KEYS_CACHE_SECONDS, signing)
        return signing
