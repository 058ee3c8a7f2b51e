"""The OpenAPI document of the whole API, generated from the routers and their pydantic models."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def openapi_json() -> str:
    # Imported here, not at cold start: powertools' OpenAPI models take ~0.2 s to build.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    from loyalty.http.resolver import build_resolver
    from loyalty.http.routes import (
        activities,
        admin,
        coupons,
        exports,
        holds,
        lotteries,
        members,
        meta,
        program,
        purchases,
        rewards,
    )

    app = build_resolver(
        members.router,
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
    )
    app.configure_openapi(
        title="Loyalty API",
        version="1.0.0",
        description="Points and membership tiers for shops: see the public contract (API.md).",
        security_schemes={"bearer": HTTPBearer(description="API key")},
        security=[{"bearer": []}],
    )
    return app.get_openapi_json_schema()
