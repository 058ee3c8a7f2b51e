"""OpenAPI documentation shared by the routers: the one route decorator (`routes`, `operation`),
which states each operation's key scope and responses (problem+json for every error) and takes its
summary and description from `texts.toml`."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from loyalty.http.resolver import BODY_LIMIT_EXTENSION, SCOPE_EXTENSION, Access

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}}},
        },
    },
}


PROBLEMS = {
    400: "Malformed JSON",
    401: "Missing or unknown API key",
    403: "The key lacks the scope this operation needs",
    404: "Not found (or another tenant's)",
    409: "Conflict: the natural id was used with another request, or the state forbids it",
    413: "Body over 256 KiB",
    412: "Precondition failed: the `If-Match` ETag is not the current version",
    415: "The body is not application/json",
    422: "The request does not match the schema or the program",
    503: "Temporarily unavailable: retry the same request",
}

SCOPE_WORDS: dict[str, str] = {
    "public": "No key needed.",
    "server": "Key scope: `server` (a shop's backend; an `admin` key may call it too).",
    "admin": "Key scope: `admin` (the tenant's administrator).",
    "operator": "Key scope: `operator` (the platform operator).",
    "member": "A member token (`POST /v1/members/{member_id}/tokens`); it reaches only its member's data.",
}


# The summary and description of every route, by router module and handler: `texts.toml`, beside
# this file (it ships in the layer with the package).
TEXTS: dict[str, dict[str, dict[str, str]]] = tomllib.loads(
    Path(__file__).with_name("texts.toml").read_text(encoding="utf-8")
)
# The security a scope's routes publish where it is not the API's default (an API key).
SECURITY: dict[str, list[dict[str, list[str]]]] = {"public": [{}], "member": [{"member_token": []}]}
_declared: set[str] = set()

Handler = TypeVar("Handler", bound=Callable[..., Any])


class MissingRouteTextError(LookupError):
    """A route whose handler has no summary and description in `texts.toml`."""


def route_text(handler: Callable[..., Any]) -> dict[str, str]:
    """The summary and description of the route `handler` serves: `[<module>.<handler>]` in
    `texts.toml`, where `<module>` is the handler's module under `loyalty/http/routes`."""
    module, name = handler.__module__.rsplit(".", 1)[-1], handler.__name__
    text = TEXTS.get(module, {}).get(name, {})
    if set(text) != {"summary", "description"}:
        raise MissingRouteTextError(f"[{module}.{name}] in texts.toml needs a summary and a description")
    _declared.add(f"{module}.{name}")
    return text


def texts_without_route() -> list[str]:
    """The texts no declared route uses (none, once every router is imported:
    `loyalty.http.openapi.full_api`)."""
    every = {f"{module}.{name}" for module, names in TEXTS.items() for name in names}
    return sorted(every - _declared)


def operation(
    router: Router,
    method: str,
    path: str,
    access: Access,
    answers: dict[int, Any] | None = None,
    *,
    tags: list[str],
    body_limit: int | None = None,
    include_in_schema: bool = True,
) -> Callable[[Handler], Handler]:
    """The route decorator of every operation (`routes` binds it to a router and its usual tags):
    the method and path, the key scope the route needs (published as `x-key-scope` and checked by
    the resolver before the body is validated), its responses (`responses`) and tags. The summary
    and description come from `texts.toml` by the handler's module and name, and the scope's
    sentence is added to the description. `body_limit`: a body over the API's limit (a file)."""
    extensions: dict[str, Any] = {SCOPE_EXTENSION: access}
    if body_limit is not None:
        extensions[BODY_LIMIT_EXTENSION] = body_limit

    def declare(handler: Handler) -> Handler:
        text = route_text(handler)
        declared: Handler = router.route(
            path,
            method,
            summary=text["summary"],
            description=f"{text['description']}\n\n{SCOPE_WORDS[access]}",
            openapi_extensions=extensions,
            responses=answers,
            tags=tags,
            security=SECURITY.get(access),
            include_in_schema=include_in_schema,
        )(handler)
        return declared

    return declare


class Route(Protocol):
    """`operation` bound to a router and its usual tags (`tags=` on a route overrides them)."""

    def __call__(
        self,
        method: str,
        path: str,
        access: Access,
        answers: dict[int, Any] | None = None,
        *,
        tags: list[str] = ...,
        body_limit: int | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[Handler], Handler]: ...


def routes(tags: list[str]) -> tuple[Router, Route]:
    """A router and its route decorator, e.g. `router, route = routes(tags=["holds"])`, then
    `@route("GET", "/v1/holds/<hold_id>", "server", responses(200, HoldResponse, 404))` on each
    handler."""
    router = Router()
    return router, partial(operation, router, tags=tags)


def problem_response(code: int) -> dict[str, Any]:
    return {
        "description": PROBLEMS[code],
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }


def responses(
    success: int, model: type[BaseModel] | None, *errors: int, replay: int | None = None
) -> dict[int, Any]:
    """`success` with its model and every problem the operation can answer (415 is added to every
    operation with a body by `openapi.py`); `replay`: the status a replay answers when it differs
    from the first answer's (enrolment's 200)."""
    documented: dict[int, Any] = {
        code: problem_response(code) for code in (400, 401, 403, 413, 422, 503, *errors)
    }
    content = None if model is None else {"application/json": {"model": model}}
    if content is None:
        documented[success] = {"description": "Done"}
    else:
        documented[success] = {"description": "Success", "content": content}
    if replay is not None and content is not None:
        documented[replay] = {
            "description": "A replay of the same request: the stored response",
            "content": content,
        }
    return documented
