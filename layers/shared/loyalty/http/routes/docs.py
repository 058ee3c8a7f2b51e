"""OpenAPI documentation shared by the routers: what each operation is, the key scope it needs,
and its responses (problem+json for every error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from loyalty.http.resolver import SCOPE_EXTENSION, Access

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


def documented(access: Access, summary: str, description: str) -> dict[str, Any]:
    """Route decorator metadata: the operation's summary and description, and the key scope it
    needs (published as `x-key-scope` and checked by the resolver before the body is validated)."""
    return {
        "summary": summary,
        "description": f"{description}\n\n{SCOPE_WORDS[access]}",
        "openapi_extensions": {SCOPE_EXTENSION: access},
    }


Handler = TypeVar("Handler", bound=Callable[..., Any])


def operation(
    router: Router,
    method: str,
    path: str,
    access: Access,
    summary: str,
    description: str,
    answers: dict[int, Any],
    *,
    tags: list[str],
    security: list[dict[str, list[str]]] | None = None,
) -> Callable[[Handler], Handler]:
    """The route decorator of one documented operation: `documented` and `responses` together, for
    routers whose operations share a scope, tags and security (see `webhooks.py`, `me.py`)."""
    return router.route(
        path,
        method,
        **documented(access, summary, description),
        responses=answers,
        tags=tags,
        security=security,
    )


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
