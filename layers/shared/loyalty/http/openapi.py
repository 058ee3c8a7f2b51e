"""The OpenAPI document of the whole API, generated from the routers and their pydantic models."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from loyalty.http.resolver import PUBLIC, SCOPE_EXTENSION, LoyaltyResolver
from loyalty.http.routes.docs import problem_response

DESCRIPTION = """Points, membership tiers and rewards for shops.

Authenticate with `Authorization: Bearer <API key>`. Every operation names the key scope it needs
in `x-key-scope` (`server`: a shop's backend; `admin`: the tenant's administrator, who may also
call every server operation; `operator`: the platform operator; `public`: no key). Errors are
`application/problem+json` (RFC 9457). Bodies are JSON (`Content-Type: application/json`; anything
else is 415). Calls that change state take a natural id and are exactly-once: a replay of the same
request answers the stored response, the same id with another body is 409.

The guide, with every resource, is docs/api.md in the project's repository."""


@lru_cache(maxsize=1)
def full_api() -> LoyaltyResolver:
    """A resolver with every router of the API (each function serves only its own)."""
    from loyalty.http.resolver import build_resolver
    from loyalty.http.routes import (
        activities,
        admin,
        coupons,
        exports,
        holds,
        imports,
        lotteries,
        me,
        members,
        memberships,
        meta,
        program,
        purchases,
        reports,
        rewards,
        webhooks,
    )

    return build_resolver(
        members.router,
        memberships.router,
        purchases.router,
        activities.router,
        admin.router,
        program.router,
        meta.router,
        rewards.router,
        holds.router,
        coupons.router,
        lotteries.router,
        exports.router,
        imports.router,
        webhooks.router,
        me.router,
        reports.router,
    )


@lru_cache(maxsize=1)
def openapi_json() -> str:
    # Imported here, not at cold start: powertools' OpenAPI models take ~0.2 s to build.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    app = full_api()
    app.configure_openapi(
        title="Loyalty API",
        version="1.0.0",
        description=DESCRIPTION,
        security_schemes={
            "bearer": HTTPBearer(description="API key"),
            "member_token": HTTPBearer(
                description="Member token from POST /v1/members/{member_id}/tokens (the /v1/me routes only)"
            ),
        },
        security=[{"bearer": []}],
    )
    document = json.loads(app.get_openapi_json_schema())
    # Every operation that takes a body refuses any media type but JSON (the resolver, before
    # validation), so each documents its 415 here rather than in every route; a public one
    # never answers 401 or 403.
    for operation in _operations(document):
        if "requestBody" in operation:
            operation["responses"].setdefault("415", problem_response(415))
        if operation.get(SCOPE_EXTENSION) == PUBLIC:  # no key asked, none refused
            operation["responses"].pop("401", None)
            operation["responses"].pop("403", None)
    return json.dumps(document)


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for path in document.get("paths", {}).values() for operation in path.values()]
