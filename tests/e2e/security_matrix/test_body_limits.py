"""Oversized and undecodable bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.helpers import SERVER_KEY
from tests.e2e.security_matrix.routes import JSON_ROUTES
from tests.e2e.security_matrix.support import BODY_LIMIT, GATEWAY_LIMIT, assert_problem, bearer, new_id

# --- bodies -------------------------------------------------------------------------------------


def padded_enrolment(size: int) -> bytes:
    """A JSON enrolment of exactly ``size`` bytes (its name carries the padding)."""
    empty = json.dumps({"member_id": new_id("big"), "name": ""}).encode()
    body = json.dumps({"member_id": json.loads(empty)["member_id"], "name": "n" * (size - len(empty))})
    assert len(body.encode()) == size
    return body.encode()


def post_raw(stack: Any, path: str, data: bytes, key: str = SERVER_KEY) -> requests.Response:
    headers = {**bearer(key), "Content-Type": "application/json"}
    return requests.post(stack.url + path, data=data, headers=headers, timeout=30)


def test_a_body_just_over_256_kb_is_too_large(stack):
    # When an enrolment of 256 KB + 1 byte is sent
    response = post_raw(stack, "/v1/members", padded_enrolment(BODY_LIMIT + 1))

    # Then the function refuses it as too large, as problem+json
    assert_problem(response, 413)


def test_a_body_of_exactly_256_kb_is_read(stack):
    # When an enrolment of exactly 256 KB is sent (its name is far too long)
    response = post_raw(stack, "/v1/members", padded_enrolment(BODY_LIMIT))

    # Then it is read and validated, not refused for its size
    assert_problem(response, 422)


def test_a_body_over_1_mib_is_refused_by_the_gateway(stack):
    # When an enrolment over 1 MiB is sent
    response = post_raw(stack, "/v1/members", padded_enrolment(GATEWAY_LIMIT + 1))

    # Then API Gateway refuses it with its own body
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


@pytest.mark.parametrize(("path", "key"), JSON_ROUTES, ids=[path for path, _ in JSON_ROUTES])
def test_a_body_that_is_not_utf8_is_malformed_json(stack, path, key):
    # When a body that is not UTF-8 (so not JSON) is posted
    response = post_raw(stack, path, b'{"member_id": "\xff\xfe"}', key=key)

    # Then it is 400 malformed-json problem+json, never a 5xx
    problem = assert_problem(response, 400)
    assert problem["type"].endswith("/malformed-json")
