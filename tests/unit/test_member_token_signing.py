"""Member tokens (pure): signing, verifying, tampering, expiry, key ids; the expiry re-check that
keeps a cached authorizer answer from outliving the token."""

from __future__ import annotations

import pytest

from loyalty.domain.member_tokens import TokenError, sign, unverified_claims, verify
from loyalty.http.auth import principal_from

SECRET = b"k" * 32
NOW = 1_800_000_000


def test_a_signed_token_verifies_with_its_key_and_names_one_member_of_one_tenant():
    # Given a token for ann of acme, signed with key k1
    token = sign("acme", "ann", "k1", SECRET, NOW, 3600)
    # When it is verified with that key, before it expires
    claims = verify(token, {"k1": SECRET}, NOW + 3599)
    # Then it names ann of acme, key k1, and its expiry
    assert (claims.tenant_id, claims.member_id, claims.key_id, claims.expires_at) == (
        "acme",
        "ann",
        "k1",
        NOW + 3600,
    )


def test_a_token_is_refused_once_expired_with_an_unknown_key_or_another_secret():
    token = sign("acme", "ann", "k1", SECRET, NOW, 60)
    with pytest.raises(TokenError, match="expired"):
        verify(token, {"k1": SECRET}, NOW + 60)
    with pytest.raises(TokenError, match="unknown"):
        verify(token, {"k2": SECRET}, NOW)
    with pytest.raises(TokenError, match="signature"):
        verify(token, {"k1": b"x" * 32}, NOW)


def test_every_single_character_change_is_refused():
    # Given a valid token
    token = sign("acme", "ann", "k1", SECRET, NOW, 3600)
    # When any one character is changed
    for position in range(len(token)):
        if token[position] == ".":
            continue
        altered = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        # Then it never verifies
        with pytest.raises(TokenError):
            verify(altered, {"k1": SECRET}, NOW)


@pytest.mark.parametrize(
    "token",
    ["", "lmt1", "lmt1.k1.e30.sig", "lmt2.k1.e30.x", "lmt1.K!.e30.x", "lmt1.k1.!!!.x", "lmt1." + "a" * 2000],
)
def test_malformed_tokens_are_refused_before_any_key_is_read(token):
    with pytest.raises(TokenError):
        unverified_claims(token)


def test_a_member_principal_is_refused_once_its_expiry_passed_even_if_the_authorizer_answer_is_cached():
    # Given the context a (cached) authorizer answer carries for a member token
    context = {
        "tenant_id": "acme",
        "scope": "member",
        "key_id": "token:k1",
        "member_id": "ann",
        "expires_at": NOW,
    }
    # When the function reads it before and after the expiry
    before = principal_from(context, clock=lambda: NOW - 1)
    after = principal_from(context, clock=lambda: NOW)
    # Then it is ann before, and nobody (401) after
    assert before is not None
    assert (before.scope, before.member_id) == ("member", "ann")
    assert after is None
    # And a member context without a member is nobody
    assert principal_from({**context, "member_id": ""}, clock=lambda: 0) is None
