"""The OpenAPI document of the whole API, generated from the routers and their pydantic models."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def openapi_json() -> str:
    from loyalty.http.resolver import build_resolver
    from loyalty.http.routes import admin, members, meta, purchases

    return build_resolver(
        members.router, purchases.router, admin.router, meta.router
    ).get_openapi_json_schema()
