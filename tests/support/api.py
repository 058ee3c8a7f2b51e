"""A test client for the API through the in-process API Gateway (authorizer + function, real events)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from infra.gateway import Gateway, GatewayResponse
from infra.template_model import load_template

OPERATOR_KEY = "test-operator-key"


def operator_environment() -> None:
    os.environ["OPERATOR_KEY_SHA256"] = hashlib.sha256(OPERATOR_KEY.encode()).hexdigest()


@dataclass
class Api:
    gateway: Gateway

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> GatewayResponse:
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if payload is not None:
            sent.setdefault("Content-Type", "application/json")
        return self.gateway.request(method, path, headers=sent, query=query, body=payload)


def make_api() -> Api:
    operator_environment()
    return Api(Gateway(load_template(), cache_seconds=0))


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    admin_key: str
    server_key: str


def create_tenant(api: Api, tenant_id: str) -> Tenant:
    response = api.call(
        "POST", "/v1/tenants", {"tenant_id": tenant_id, "name": tenant_id.title()}, key=OPERATOR_KEY
    )
    assert response.status == 201, response.body
    body = response.json()
    return Tenant(tenant_id, body["admin_key"], body["server_key"])
