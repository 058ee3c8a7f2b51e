"""The HTTP side of the CLI: one session, JSON in and out, problems as exceptions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import requests

TIMEOUT = (5, 60)  # connect, read (seconds)


class ApiError(Exception):
    """The API answered with a problem (or could not be reached): exit code 1."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(f"{status} {title}: {detail}" if status else f"{title}: {detail}")
        self.status, self.title, self.detail = status, title, detail


@dataclass
class Client:
    endpoint: str
    key: str
    session: requests.Session = field(default_factory=requests.Session)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        content_type: str | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """A JSON call, or (`data`) a file sent as it is with its `content_type`."""
        url = self.endpoint.rstrip("/") + path
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            response = self.session.request(
                method,
                url,
                json=body if data is None else None,
                data=data,
                params=params,
                headers=headers,
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:
            raise ApiError(0, "cannot reach the API", f"{url}: {error}") from error
        if response.status_code >= 400:
            raise _problem(response)
        return response.json() if response.content else None

    def upload(self, url: str, path: Path, advance: Callable[[int], None]) -> None:
        """PUT a file to a presigned URL (no API key sent to S3), read a piece at a time and told to
        `advance` as it goes; the length is known, so S3 gets a Content-Length, not a chunked body."""
        with path.open("rb") as file:
            body = _Reported(file, path.stat().st_size, advance)
            try:
                response = requests.put(url, data=body, timeout=TIMEOUT)
            except requests.RequestException as error:
                raise ApiError(0, "cannot upload the file", str(error)) from error
        if response.status_code not in (200, 204):
            raise ApiError(response.status_code, "upload refused", response.text[:300])

    def download(self, url: str) -> tuple[int | None, Iterator[bytes]]:
        """(size if known, the body in chunks) of a presigned URL (no API key sent to S3)."""
        try:
            response = requests.get(url, stream=True, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise ApiError(0, "cannot download the file", str(error)) from error
        if response.status_code != 200:
            raise ApiError(response.status_code, "download refused", response.text[:300])
        size = response.headers.get("Content-Length")
        return (int(size) if size and size.isdigit() else None), response.iter_content(64 * 1024)


class _Reported:
    """A file for requests to send: its length up front, each piece read reported."""

    def __init__(self, file: BinaryIO, size: int, advance: Callable[[int], None]) -> None:
        self.file, self.size, self.advance = file, size, advance

    def __len__(self) -> int:
        return self.size

    def read(self, size: int = -1) -> bytes:
        piece = self.file.read(size if size and size > 0 else 1024 * 1024)
        self.advance(len(piece))
        return piece


def _problem(response: requests.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        return ApiError(response.status_code, response.reason or "error", response.text[:300])
    detail = str(body.get("detail", ""))
    for error in body.get("errors") or []:
        detail += f"\n  {'.'.join(str(part) for part in error.get('loc', []))}: {error.get('msg', '')}"
    return ApiError(response.status_code, str(body.get("title", response.reason)), detail)
