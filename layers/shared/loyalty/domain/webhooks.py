"""Webhooks, the pure part: what a delivery carries, how it is signed, when it is retried, and which
targets a receiver URL may name. No I/O; time is passed in.

Signing (what receivers verify): ``Loyalty-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`` where
each ``v1`` is HMAC-SHA256 over ``f"{t}.{body}"`` with one of the webhook's live secrets (two during
a rotation's grace period). A receiver accepts the delivery when one ``v1`` matches a secret it
holds and ``t`` is within :data:`REPLAY_WINDOW_SECONDS` of its clock.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Loyalty-Signature"
REPLAY_WINDOW_SECONDS = 300
PING = "webhook.ping"
ALL_EVENTS = "*"
_DELIVERY_NAMESPACE = uuid.UUID("0b7c3f6e-3f0e-4c55-9a53-2d8f1c6b7e21")


# ------------------------------------------------------------------------------ what is delivered


def payload(event: dict[str, Any]) -> dict[str, Any]:
    """The JSON body a receiver gets for a bus event (EventBridge shape): the event's id, type,
    time and tenant at the top, everything else the event says under ``data``."""
    detail = dict(event.get("detail") or {})
    event_id = str(detail.pop("event_id", "") or event.get("id", ""))
    tenant_id = str(detail.pop("tenant_id", ""))
    occurred_at = str(detail.pop("occurred_at", "") or event.get("time", ""))
    return {
        "event_id": event_id,
        "type": str(event.get("detail-type", "")),
        "occurred_at": occurred_at,
        "tenant_id": tenant_id,
        "data": detail,
    }


def body_bytes(document: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys in a stable order."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def delivery_id(event_id: str, webhook_id: str, occurred_at: str) -> str:
    """One delivery per (event, webhook), whatever number of times the event reaches the dispatcher;
    ids sort by the event's time, so the log lists newest first by its key alone."""
    stamp = "".join(ch for ch in occurred_at[:19] if ch.isdigit()).ljust(14, "0")
    return f"dl_{stamp}_{uuid.uuid5(_DELIVERY_NAMESPACE, f'{event_id}|{webhook_id}').hex[:20]}"


def subscribes(events: Sequence[str], event_type: str) -> bool:
    return ALL_EVENTS in events or event_type in events


# --------------------------------------------------------------------------------------- signing


def sign(secrets: Iterable[str], body: bytes, timestamp: int) -> str:
    """The signature header's value: one ``v1`` per live secret, newest first."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}" for secret in secrets]
    return ",".join(parts)


def verify(
    secret: str, header: str, body: bytes, now: int, window_seconds: int = REPLAY_WINDOW_SECONDS
) -> bool:
    """What a receiver does (also published in docs/webhooks.md): a ``v1`` made with ``secret``
    over ``t.body``, and ``t`` within the replay window of ``now``."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > window_seconds:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


def live_secrets(secrets: Sequence[tuple[str, datetime | None]], now: datetime) -> list[str]:
    """The secrets that sign now: those without an end, and those whose grace has not ended."""
    return [secret for secret, ends_at in secrets if ends_at is None or ends_at > now]


# --------------------------------------------------------------------------------------- retries


def retry_delay(failed_attempts: int, base_seconds: int, cap_seconds: int) -> int:
    """Seconds to wait after the ``failed_attempts``-th failure: doubling from ``base``, capped."""
    return int(min(cap_seconds, base_seconds * 2 ** max(0, failed_attempts - 1)))


def retry_schedule(max_attempts: int, base_seconds: int, cap_seconds: int) -> list[int]:
    """The waits between the attempts of a delivery that keeps failing (``max_attempts - 1``)."""
    return [retry_delay(n, base_seconds, cap_seconds) for n in range(1, max_attempts)]


# ------------------------------------------------------------------------------- receiver targets


class TargetRefusedError(ValueError):
    """A URL or an address a webhook must not be delivered to."""


def check_url(url: str, *, allow_loopback: bool) -> None:
    """Refuse what can be refused without DNS: anything but https (plain http only to loopback where
    loopback is allowed), credentials in the URL, no host, and hosts that are literal addresses
    outside the public internet. The resolved addresses are checked again at every delivery."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise TargetRefusedError("the URL must be https://host/...")
    if parts.username or parts.password:
        raise TargetRefusedError("the URL must not carry credentials")
    try:
        _ = parts.port
    except ValueError as error:
        raise TargetRefusedError("the URL's port is not a number from 1 to 65535") from error
    loopback_name = host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    )
    literal = _literal_address(host)
    is_loopback = loopback_name or (literal is not None and _unmapped(literal).is_loopback)
    if parts.scheme == "http" and not (allow_loopback and is_loopback):
        raise TargetRefusedError("the URL must use https")
    if loopback_name and not allow_loopback:
        raise TargetRefusedError("the URL must name a host on the public internet")
    if literal is not None:
        check_address(str(literal), allow_loopback=allow_loopback)


def check_address(address: str, *, allow_loopback: bool) -> None:
    """Refuse every address that is not globally routable (private ranges, loopback, link-local such
    as the instance metadata service, carrier-grade NAT, multicast, reserved), IPv4-mapped IPv6
    included; loopback only where the setting allows it (the local stack)."""
    try:
        parsed = _unmapped(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError as error:
        raise TargetRefusedError(f"not an IP address: {address!r}") from error
    if parsed.is_loopback and allow_loopback:
        return
    if not parsed.is_global or parsed.is_multicast:
        raise TargetRefusedError(f"{parsed} is not a public internet address")


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _unmapped(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
