"""OpenAPI response documentation shared by the routers (problem+json for every error)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

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


def responses(success: int, model: type[BaseModel] | None, *errors: int) -> dict[int, Any]:
    documented: dict[int, Any] = {
        code: {"description": "Problem", "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
        for code in (400, 401, 403, 413, 422, 503, *errors)
    }
    if model is None:
        documented[success] = {"description": "Done"}
    else:
        documented[success] = {"description": "Success", "content": {"application/json": {"model": model}}}
    return documented
