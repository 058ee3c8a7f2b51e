"""One HTTPS POST to an untrusted receiver.

The host is resolved once and every address it resolves to is checked (no private, loopback,
link-local or other non-public address, unless the local stack allows loopback); the connection is
then made to a checked address, so a second lookup cannot swap in another one (DNS rebinding).
TLS is verified against the URL's host name. Redirects are never followed (a 3xx is a failure),
and the response is never read beyond its status line.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from loyalty.domain.webhooks import TargetRefusedError, check_address, check_url

Resolver = Callable[..., list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_loopback: bool,
    resolve: Resolver = socket.getaddrinfo,
) -> Attempt:
    try:
        check_url(url, allow_loopback=allow_loopback)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = _resolve(resolve, host, port, allow_loopback)
    except TargetRefusedError as refused:
        return Attempt(None, f"refused: {refused}")
    except OSError as error:
        return Attempt(None, f"DNS: {error}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    last_error = "no address"
    for address in addresses:
        connection = _connection(parts.scheme, host, port, address, timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            last_error = f"{type(error).__name__}: {error}"[:300]
            continue
        finally:
            connection.close()
        if 300 <= status < 400:
            return Attempt(status, "redirects are not followed")
        return Attempt(status, None if 200 <= status < 300 else f"HTTP {status}")
    return Attempt(None, last_error)


def _resolve(resolve: Resolver, host: str, port: int, allow_loopback: bool) -> list[str]:
    found = resolve(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise TargetRefusedError(f"{host} resolves to no address")
    for address in addresses:  # every one: a name with one private address is refused whole
        check_address(address, allow_loopback=allow_loopback)
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _connection(
    scheme: str, host: str, port: int, address: str, timeout: float
) -> http.client.HTTPConnection:
    if scheme == "https":
        return _PinnedHTTPSConnection(host, port, address, timeout)
    return _PinnedHTTPConnection(host, port, address, timeout)
