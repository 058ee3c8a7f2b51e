"""Webhooks, the pure rules: signatures and their replay window, the retry schedule, the receiver
URL and address guards (SSRF), the delivered payload, and the list of subscribable events."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from loyalty.domain.webhooks import (
    REPLAY_WINDOW_SECONDS,
    TargetRefusedError,
    body_bytes,
    check_address,
    check_url,
    delivery_id,
    live_secrets,
    payload,
    retry_schedule,
    sign,
    subscribes,
    verify,
)
from loyalty.events import EVENT_TYPES, event_for_item
from loyalty.settings import WebhookSettings

BODY = b'{"event_id":"e1","type":"points.earned"}'


def test_a_signature_is_hmac_sha256_over_timestamp_dot_body_and_verifies() -> None:
    # Given a secret, a body and a timestamp
    header = sign(["whsec_a"], BODY, 1_700_000_000)
    # Then the header names the time and one v1 that any HMAC library reproduces
    expected = hmac.new(b"whsec_a", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    # And a receiver holding the secret accepts it within the window, and nothing else
    assert verify("whsec_a", header, BODY, now=1_700_000_000 + REPLAY_WINDOW_SECONDS)
    assert not verify("whsec_a", header, BODY, now=1_700_000_000 + REPLAY_WINDOW_SECONDS + 1)
    assert not verify("whsec_b", header, BODY, now=1_700_000_000)
    assert not verify("whsec_a", header, BODY + b" ", now=1_700_000_000)
    assert not verify("whsec_a", header.replace("t=1700000000", "t=1700000001"), BODY, now=1_700_000_000)


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    # Given a new secret and the previous one still in its grace period
    now = datetime(2026, 12, 1, tzinfo=UTC)
    secrets = [("new", None), ("old", now + timedelta(hours=1)), ("older", now - timedelta(seconds=1))]
    live = live_secrets(secrets, now)
    header = sign(live, BODY, 100)
    # Then the header carries two signatures, the expired secret's not
    assert live == ["new", "old"]
    assert header.count("v1=") == 2
    assert verify("new", header, BODY, now=100)
    assert verify("old", header, BODY, now=100)
    assert not verify("older", header, BODY, now=100)


def test_the_default_retry_schedule_keeps_trying_for_more_than_24_hours() -> None:
    # Given the cloud defaults
    settings = WebhookSettings()
    # When listing the waits between the attempts of a delivery that keeps failing
    waits = retry_schedule(settings.max_attempts, settings.retry_base_seconds, settings.retry_cap_seconds)
    # Then they double from 30 s, are capped at 4 h, and add up to more than a day
    assert waits[:4] == [30, 60, 120, 240]
    assert max(waits) == 4 * 3600
    assert all(later >= earlier for earlier, later in itertools.pairwise(waits))
    assert sum(waits) >= 24 * 3600
    assert len(waits) == settings.max_attempts - 1


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # plain http
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "https://localhost/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data",  # instance metadata (link-local)
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped IPv6
        "https://0.0.0.0/hook",
        "https://example.com:99999/hook",
    ],
)
def test_receiver_urls_outside_the_public_internet_or_not_https_are_refused(url: str) -> None:
    # Given the cloud setting (no loopback), when checking the URL, then it is refused
    with pytest.raises(TargetRefusedError):
        check_url(url, allow_loopback=False)


def test_public_https_urls_pass_and_the_local_stack_may_use_loopback_over_http() -> None:
    check_url("https://hooks.example.com/loyalty?x=1", allow_loopback=False)
    check_url("https://93.184.216.34:8443/hook", allow_loopback=False)
    # The local stack's setting allows loopback, over http too, and still nothing private
    check_url("http://127.0.0.1:8123/hook", allow_loopback=True)
    check_url("http://localhost:8123/hook", allow_loopback=True)
    with pytest.raises(TargetRefusedError):
        check_url("http://10.0.0.1/hook", allow_loopback=True)
    with pytest.raises(TargetRefusedError):
        check_url("http://example.com/hook", allow_loopback=True)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("fd12:3456::1", False),
    ],
)
def test_resolved_addresses_must_be_public(address: str, allowed: bool) -> None:
    if allowed:
        check_address(address, allow_loopback=False)
    else:
        with pytest.raises(TargetRefusedError):
            check_address(address, allow_loopback=False)


def test_the_payload_puts_id_type_time_and_tenant_first_and_the_rest_under_data() -> None:
    # Given an event as the bus delivers it
    event = {
        "id": "eb-1",
        "detail-type": "points.earned",
        "source": "loyalty",
        "time": "2026-12-01T10:00:00Z",
        "detail": {
            "event_id": "e-1",
            "tenant_id": "acme",
            "occurred_at": "2026-12-01T10:00:00+00:00",
            "member_id": "ann",
            "points": 129,
        },
    }
    # When turning it into a delivery's body
    document = payload(event)
    # Then the event's own id (not the bus's) identifies it, and the body bytes are stable
    assert document == {
        "event_id": "e-1",
        "type": "points.earned",
        "occurred_at": "2026-12-01T10:00:00+00:00",
        "tenant_id": "acme",
        "data": {"member_id": "ann", "points": 129},
    }
    assert body_bytes(document) == body_bytes(dict(reversed(document.items())))
    # And the delivery id is the same for the same (event, webhook), sortable by the event's time
    assert delivery_id("e-1", "wh", document["occurred_at"]) == delivery_id(
        "e-1", "wh", document["occurred_at"]
    )
    assert delivery_id("e-1", "wh", document["occurred_at"]) != delivery_id(
        "e-1", "wh2", document["occurred_at"]
    )
    assert delivery_id("e-1", "wh", document["occurred_at"]).startswith("dl_20261201100000_")
    assert subscribes(["*"], "tier.changed")
    assert subscribes(["tier.changed"], "tier.changed")
    assert not subscribes(["points.earned"], "tier.changed")


def test_every_event_the_outbox_publishes_is_in_the_subscribable_list() -> None:
    # Given one item of every kind the outbox turns into an event
    base = {"PK": "T#acme#M#ann", "tenant_id": "acme", "member_id": "ann", "created_at": "2026-12-01"}
    items = [
        {**base, "SK": "MEMBER", "enrolled_at": "2026-12-01"},
        {**base, "SK": "REMINDER#2027-01-01#30"},
        {**base, "SK": "TIER#2", "from_tier": "base", "to_tier": "gold"},
        {**base, "SK": "SUNSET#2027-01-01#30"},
        {**base, "SK": "LEDGER#1", "type": "earn", "source": "birthday"},
    ]
    items += [
        {**base, "SK": f"MEMBERSHIPEVENT#00000003#{index}", "kind": kind}
        for index, kind in enumerate(("started", "extended", "cancelled", "lapsed", "expiring"))
    ]
    items += [{**base, "SK": "LEDGER#2", "type": entry_type} for entry_type in (
        "earn", "clawback", "adjust", "redeem", "expire", "sunset", "redeem_cancel", "hold", "release",
        "redeem_refund", "erase",
    )]  # fmt: skip
    # When mapping them
    published = {event["detail-type"] for item in items if (event := event_for_item(item))}
    # Then every type is subscribable, and the list names nothing that is never published
    assert published == set(EVENT_TYPES)


def test_the_webhook_docs_show_a_sample_of_every_subscribable_event() -> None:
    # Given the webhook documentation
    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    # Then each event type has its own section with a sample body of that type
    for event_type in (*EVENT_TYPES, "webhook.ping"):
        assert f"### `{event_type}`" in docs, event_type
        assert f'"type": "{event_type}"' in docs, event_type
