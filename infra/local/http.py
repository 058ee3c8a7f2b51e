"""The local stack's HTTP server: the API through the in-process API Gateway, and the ``/_local/`` routes.

Every request outside ``/_local/`` goes to :meth:`infra.gateway.Gateway.request` (routes, the
Lambda authorizer, the function, as on API Gateway). Bodies over 1 MiB are refused with 413 before
they are read (the functions themselves refuse more than 256 KB). The local-only control routes
(never deployed) answer JSON, and problem+json on errors:

- ``GET /_local/events?limit=&type=&member_id=``: the last events on the bus, newest first (default
  100, at most 1000), of one detail-type and/or one member when asked;
- ``GET /_local/queues``: every queue of the template with its depth;
- ``POST /_local/schedules/{name}/run`` with ``{"time": "<ISO 8601>"}`` (default: now).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from infra.gateway import Gateway

log = logging.getLogger("infra.local.http")

MAX_BODY_BYTES = 1024 * 1024
MAX_EVENTS = 1000


class UnknownScheduleError(LookupError):
    pass


class Control(Protocol):
    """What the ``/_local/`` routes need from the running stack."""

    def recent_events(
        self, limit: int, detail_type: str | None = None, member_id: str | None = None
    ) -> list[dict[str, Any]]: ...

    def queue_depths(self) -> list[dict[str, Any]]: ...

    def run_schedule(self, name: str, at: datetime) -> Any: ...


def _json(status: int, body: Any, content_type: str = "application/json") -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type=content_type)


def _problem(status: int, kind: str, title: str, detail: str) -> Response:
    # Imported here: the shared layer reads the function environment, set after this module loads.
    from loyalty.http.problems import PROBLEM_BASE, PROBLEM_JSON

    body = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "detail": detail}
    return _json(status, body, PROBLEM_JSON)


class LocalApi:
    """The WSGI application."""

    def __init__(self, gateway: Gateway, control: Control) -> None:
        self._gateway = gateway
        self._control = control

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.monotonic()
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        response = self._respond(request)
        log.info(
            "%s %s %d (%.0f ms)",
            request.method,
            request.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _respond(self, request: Request) -> Response:
        local = request.path.startswith("/_local/") or request.path == "/_local"
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return self._too_large(local)
        try:
            body = request.get_data()
        except RequestEntityTooLarge:
            return self._too_large(local)
        if local:
            try:
                return self._local(request, body)
            except Exception as error:
                log.exception("%s %s failed", request.method, request.path)
                return _problem(500, "internal-error", "Internal error", str(error))
        raw_path = str(request.environ.get("RAW_URI") or request.path).split("?", 1)[0]
        headers = dict(request.headers.items())
        answer = self._gateway.request(
            request.method,
            raw_path,
            headers=headers,
            query=request.query_string.decode("latin-1"),
            body=body or None,
        )
        return Response(answer.body, status=answer.status, headers=list(answer.headers.items()))

    @staticmethod
    def _too_large(local: bool) -> Response:
        if local:
            return _problem(
                413, "payload-too-large", "Payload too large", "request bodies are limited to 1 MiB"
            )
        return _json(413, {"message": "Request Entity Too Large"})  # API Gateway's own answer

    def _local(self, request: Request, body: bytes) -> Response:
        parts = request.path.strip("/").split("/")
        if parts == ["_local", "events"]:
            return self._allow(request, "GET") or self._events(request)
        if parts == ["_local", "queues"]:
            return self._allow(request, "GET") or _json(200, {"queues": self._control.queue_depths()})
        if len(parts) == 4 and parts[:2] == ["_local", "schedules"] and parts[3] == "run":
            return self._allow(request, "POST") or self._run(parts[2], body)
        return _problem(404, "not-found", "Not found", f"no local route {request.path}")

    @staticmethod
    def _allow(request: Request, method: str) -> Response | None:
        if request.method == method:
            return None
        response = _problem(405, "method-not-allowed", "Method not allowed", f"use {method} {request.path}")
        response.headers["Allow"] = method
        return response

    def _events(self, request: Request) -> Response:
        text = request.args.get("limit", "100")
        if not text.isdigit() or int(text) < 1:
            return _problem(422, "validation-error", "Invalid request", "limit must be a positive integer")
        events = self._control.recent_events(
            min(int(text), MAX_EVENTS), request.args.get("type"), request.args.get("member_id")
        )
        return _json(200, {"events": events})

    def _run(self, name: str, body: bytes) -> Response:
        try:
            document = json.loads(body) if body.strip() else {}
        except ValueError:
            return _problem(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON")
        at = _parse_time(document.get("time") if isinstance(document, dict) else None)
        if at is None:
            return _problem(
                422, "validation-error", "Invalid request", "'time' must be an ISO 8601 date-time"
            )
        try:
            result = self._control.run_schedule(name, at)
        except UnknownScheduleError as error:
            return _problem(404, "schedule-not-found", "Schedule not found", str(error))
        return _json(200, result)


def _parse_time(value: object) -> datetime | None:
    """The run's time: now when absent, UTC when it has no offset, None when it is not ISO 8601."""
    if value is None:
        return datetime.now(UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class HttpServer:
    """A threaded werkzeug server for the app on 127.0.0.1:port."""

    def __init__(self, app: LocalApi, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._app = app
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
