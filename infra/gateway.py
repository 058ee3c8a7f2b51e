"""API Gateway (HTTP API) in process: routes from template.yaml, the Lambda authorizer invoked the
way API Gateway invokes it (REQUEST, payload 2.0, simple responses, cached per identity source),
then the route's function with a payload-2.0 event.

Shared by the local stack's HTTP server and the integration tests, so both exercise one path.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from infra.events import authorizer_event, http_api_event, match_route
from infra.lambdas import Handler, invoke, load_handler
from infra.template_model import DEFAULT_ROUTE, FunctionSpec, HttpRoute, TemplateModel


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _gateway_error(status: int, message: str) -> GatewayResponse:
    # API Gateway's own responses (no route, no identity source, a failing function).
    return GatewayResponse(
        status, {"content-type": "application/json"}, json.dumps({"message": message}).encode()
    )


@dataclass
class Gateway:
    template: TemplateModel
    cache_seconds: float | None = None  # None: the template's authorizer TTL
    clock: Callable[[], float] = time.monotonic
    _handlers: dict[str, Handler] = field(default_factory=dict)
    _auth_cache: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._routes: list[tuple[HttpRoute, FunctionSpec]] = [
            (route, spec) for spec in self.template.functions for route in spec.http_routes
        ]
        by_id = {spec.logical_id: spec for spec in self.template.functions}
        self._authorizer = by_id.get(self.template.authorizer_function or "")
        if self.cache_seconds is None:
            self.cache_seconds = float(self.template.authorizer_cache_seconds or 0)

    def handler(self, spec: FunctionSpec) -> Handler:
        if spec.logical_id not in self._handlers:
            self._handlers[spec.logical_id] = load_handler(spec)
        return self._handlers[spec.logical_id]

    def request(
        self,
        method: str,
        raw_path: str,
        *,
        headers: dict[str, str] | None = None,
        query: str = "",
        body: bytes | str | None = None,
    ) -> GatewayResponse:
        headers = {name.lower(): value for name, value in (headers or {}).items()}
        method = method.upper()
        found = self._match(method, raw_path)
        if found is None:
            return _gateway_error(404, "Not Found")
        route, spec, path_parameters = found
        route_key = DEFAULT_ROUTE if route.path == DEFAULT_ROUTE else f"{route.method} {route.path}"
        authorizer_context: dict[str, Any] | None = None
        if route.auth and self._authorizer is not None:
            identity = headers.get("authorization")
            if not identity:
                return _gateway_error(401, "Unauthorized")
            decision = self._authorize(identity, method, raw_path, route_key, headers, query, path_parameters)
            if decision is None or not decision.get("isAuthorized"):
                return _gateway_error(403, "Forbidden")
            authorizer_context = dict(decision.get("context") or {})
        event = http_api_event(
            method,
            raw_path,
            route_key=route_key,
            path_parameters=path_parameters,
            headers=headers,
            query=query,
            body=body,
            authorizer_context=authorizer_context,
        )
        try:
            result = invoke(spec, self.handler(spec), event)
        except Exception:  # API Gateway answers a failed invocation like this, without details
            return _gateway_error(500, "Internal Server Error")
        return _response(result)

    def _match(self, method: str, raw_path: str) -> tuple[HttpRoute, FunctionSpec, dict[str, str]] | None:
        fallback: tuple[HttpRoute, FunctionSpec, dict[str, str]] | None = None
        for route, spec in self._routes:
            if route.path == DEFAULT_ROUTE:
                fallback = route, spec, {}
                continue
            if route.method not in (method, "ANY"):
                continue
            parameters = match_route(route.path, raw_path)
            if parameters is not None:
                return route, spec, {name: unquote(value) for name, value in parameters.items()}
        return fallback

    def _authorize(
        self,
        identity: str,
        method: str,
        raw_path: str,
        route_key: str,
        headers: dict[str, str],
        query: str,
        path_parameters: dict[str, str],
    ) -> dict[str, Any] | None:
        assert self._authorizer is not None
        cached = self._auth_cache.get(identity)
        if cached and cached[0] > self.clock():
            return cached[1]
        event = authorizer_event(
            method,
            raw_path,
            route_key=route_key,
            headers=headers,
            query=query,
            path_parameters=path_parameters,
        )
        try:
            decision = invoke(self._authorizer, self.handler(self._authorizer), event)
        except Exception:
            return None  # API Gateway denies when the authorizer fails
        if self.cache_seconds:
            self._auth_cache[identity] = (self.clock() + self.cache_seconds, decision)
        return dict(decision)


def _response(result: Any) -> GatewayResponse:
    if not isinstance(result, dict) or "statusCode" not in result:
        # Payload 2.0 lets a function return any JSON: API Gateway wraps it as a 200.
        return GatewayResponse(200, {"content-type": "application/json"}, json.dumps(result).encode())
    headers = {name.lower(): str(value) for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ",".join(str(value) for value in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return GatewayResponse(int(result["statusCode"]), headers, body)
