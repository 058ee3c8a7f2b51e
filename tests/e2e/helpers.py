"""Talking to a running local stack from the end-to-end tests: HTTP calls, queue URLs, waiting."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ADMIN_KEY, SERVER_KEY, OPERATOR_KEY = "demo-admin", "demo-server", "demo-operator"


@dataclass
class RunningStack:
    url: str
    aws_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-20_000:]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = SERVER_KEY,
        raw: bytes | str | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if body is not None or raw is not None:
            headers["Content-Type"] = "application/json"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return requests.request(method, self.url + path, data=data, headers=headers, timeout=15)

    def events(self, member_id: str, detail_type: str | None = None) -> list[dict[str, Any]]:
        """The bus's events of one member (of one detail-type if given), newest first; filtered by
        the stack, so a run that publishes thousands of other members' events cannot hide them."""
        query = f"limit=1000&member_id={member_id}" + (f"&type={detail_type}" if detail_type else "")
        response = self.call("GET", f"/_local/events?{query}", key=None)
        assert response.status_code == 200, response.text
        return list(response.json()["events"])

    def queue_urls(self) -> dict[str, str]:
        """Queue URL by the template's logical id (the physical names end with it)."""
        listed = self.call("GET", "/_local/queues", key=None).json()["queues"]
        return {queue["name"].rsplit("-", 1)[-1]: queue["url"] for queue in listed}


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.2) -> Any:
    """The first truthy result of ``check`` within ``timeout`` seconds, else fail."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s: {check.__doc__ or check}")
        time.sleep(interval)
