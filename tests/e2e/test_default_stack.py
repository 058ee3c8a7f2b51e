"""`make run` as the README gives it: the embedded moto default serves the demo tenant end to end."""

from __future__ import annotations

import requests

from tests.e2e.conftest import running_stack
from tests.e2e.helpers import eventually


def test_the_default_stack_on_moto_serves_the_demo_tenant():
    with running_stack(None) as stack:
        assert requests.get(f"{stack.url}/v1/health", timeout=5).status_code == 200
        assert stack.call("POST", "/v1/members", {"member_id": "moto-1"}).status_code == 201
        body = {"order_id": "moto-o1", "member_id": "moto-1", "amount": "129.90", "currency": "CNY"}
        assert stack.call("POST", "/v1/purchases", body).json()["points_earned"] == 129
        assert stack.call("GET", "/v1/members/moto-1").json()["balance"]["available"] == 229

        def earned():
            events = stack.call("GET", "/_local/events?limit=100", key=None).json()["events"]
            return [
                e
                for e in events
                if e["detail-type"] == "points.earned" and e["detail"]["member_id"] == "moto-1"
            ]

        assert eventually(earned)
