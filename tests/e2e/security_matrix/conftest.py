"""The two tenants every test of the matrix uses, made once for the whole package."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import ADMIN_KEY, OPERATOR_KEY, SERVER_KEY
from tests.e2e.security_matrix.support import Rival, Tenant, new_id, open_holdings, populate


@pytest.fixture(scope="package")
def rival(stack) -> Rival:
    """Another tenant, created by the platform operator, with a member, its history and holdings."""
    tenant_id = new_id("rival")
    created = stack.call("POST", "/v1/tenants", {"tenant_id": tenant_id, "name": "Rival"}, key=OPERATOR_KEY)
    assert created.status_code == 201, created.text
    keys = created.json()
    tenant = populate(stack, tenant_id, keys["admin_key"], keys["server_key"])
    return Rival(**vars(tenant), owns=open_holdings(stack, tenant))


@pytest.fixture(scope="package")
def demo(stack) -> Tenant:
    return populate(stack, "demo", ADMIN_KEY, SERVER_KEY)
