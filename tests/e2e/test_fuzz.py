"""Schemathesis against the running stack's own ``/v1/openapi.json``, over real HTTP.

Every operation of the served document gets schema-driven requests, valid ones (positive mode)
and ones that break the schema (negative mode), and schemathesis' coverage phase: every
request-shape probe (a method the document does not declare, an undeclared or malformed
``Content-Type``) and the first boundary cases of each operation. Every response must: not be a
5xx, and a probe's undeclared ``Content-Type`` must be 415 (``not_a_server_error``); an undeclared
method must be 405 with ``Allow`` (``unsupported_method``); when it is an error, be
``application/problem+json`` with ``type``, ``title``, ``status`` (the HTTP status) and ``detail``
(``problem_json_errors`` below); and match the schema the document gives for its status code
(``response_schema_conformance``).

The budget is fixed, so ``make test`` stays fast and every run sends the same requests: a fixed
seed, deterministic generation (``derandomize``), no example database, no shrinking (the report
carries a curl command instead), at most the budget's cases per operation and mode, one operation
after the other (in parallel, one operation's requests change what another's replay sees, and
Hypothesis reports that as a flaky test).

Who calls what (both tenant key scopes over every operation they may call, and the server key over
the rest too, where the answer must be 403 whatever the request):
- ``demo-admin``: every operation but ``POST /v1/tenants`` (operator only) and ``PUT /v1/program``
  (fuzzed programs published on the demo tenant would change the earning rules the later e2e tests
  rely on: that operation runs with the admin key of a tenant made for the fuzzer);
- ``demo-server``: every operation, fewer examples;
- ``demo-operator``: ``POST /v1/tenants``, few examples.

Schemathesis' pytest integration for a schema known only at run time (``schemathesis.pytest.
from_fixture``) does not work with pytest 9.2 (it sets ``request.node._nodeid``, which pytest 9.2
no longer has), so each operation's Hypothesis test is built here from ``APIOperation.as_strategy``
of the schema that ``schemathesis.openapi.from_url`` loaded from the stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.meta import REQUEST_SHAPE_PROBES, coverage_scenario
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import response_schema_conformance, unsupported_method

from tests.e2e.helpers import ADMIN_KEY, OPERATOR_KEY, SERVER_KEY

PROBLEM_JSON = "application/problem+json"
SEED = 20240607
TENANTS = "POST /v1/tenants"
PUBLISH_PROGRAM = "PUT /v1/program"
Budget = dict[GenerationMode | str, int]
COVERAGE = "coverage"  # the boundary cases per operation besides every request-shape probe
ADMIN_BUDGET: Budget = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10, COVERAGE: 8}
PROGRAM_BUDGET: Budget = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 10, COVERAGE: 20}
SERVER_BUDGET: Budget = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 5, COVERAGE: 4}
OPERATOR_BUDGET: Budget = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 3, COVERAGE: 8}


def problem_json_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is RFC 9457 problem+json: type, title, status (the HTTP status) and detail.

    Except API Gateway's own 401 to a request without an Authorization header (the coverage phase
    drops it): the authorizer is not even invoked then, and an HTTP API cannot reshape that answer
    (docs/api.md says so)."""
    if response.status_code < 400:
        return None
    if response.status_code == 401 and "authorization" not in {
        name.lower() for name in response.request.headers
    }:
        assert json.loads(response.text) == {"message": "Unauthorized"}, response.text
        return None
    values = response.headers.get("content-type") or [""]
    content_type = values[0] if isinstance(values, list) else values
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, (
        f"{response.status_code} answered as {content_type!r}, not {PROBLEM_JSON}: {response.text[:500]}"
    )
    body = json.loads(response.text)
    assert isinstance(body, dict), f"the problem is not a JSON object: {response.text[:500]}"
    missing = [name for name in ("type", "title", "status", "detail") if name not in body]
    assert not missing, f"the problem lacks {missing}: {response.text[:500]}"
    assert body["status"] == response.status_code, (
        f"problem status {body['status']} != {response.status_code}"
    )
    blank = [
        name for name in ("type", "title", "detail") if not isinstance(body[name], str) or not body[name]
    ]
    assert not blank, f"the problem has empty or non-string {blank}: {response.text[:500]}"
    return True


CHECKS = [not_a_server_error, problem_json_errors, response_schema_conformance, unsupported_method]


def load_schema(url: str, key: str) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": url,
            "headers": {"Authorization": f"Bearer {key}"},
            "request-timeout": 15,
        }
    )
    return schemathesis.openapi.from_url(f"{url}/v1/openapi.json", config=config)


def has_inputs(operation: Any) -> bool:
    """Whether there is anything to break in negative mode (parameters or a body)."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def fuzz(operation: Any, mode: GenerationMode, max_examples: int) -> str | None:
    """One operation's budget in one mode, as one Hypothesis test: the failure's report, or None."""

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as error:  # the checks raise a FailureGroup
        return f"{operation.label} ({mode.value}): {describe(error)}"
    return None


def probe(operation: Any, boundary_cases: int) -> list[str]:
    """Schemathesis' coverage phase for one operation: every request-shape probe (an undeclared
    method, an undeclared or malformed Content-Type) and its first `boundary_cases` other cases."""
    generator = CoverageGenerator(
        operation=operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=operation.schema.config.generation_for(operation=operation, phase=COVERAGE),
        auth_storage=None,
        override=Override(),
        feedback=FeedbackSources(),
    )
    failures, others = [], 0
    for case in generator:
        scenario = coverage_scenario(case)
        if scenario not in REQUEST_SHAPE_PROBES:
            others += 1
            if others > boundary_cases:
                continue
        try:
            case.call_and_validate(checks=CHECKS)
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.label} ({COVERAGE}: {scenario}): {describe(error)}")
    return failures


def describe(error: BaseException) -> str:
    """Schemathesis' report (it has the request as curl), or what else went wrong and why."""
    if isinstance(error, FailureGroup) or not isinstance(error, BaseExceptionGroup):
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__}: {error}\n" + "\n".join(describe(inner) for inner in error.exceptions)


def fuzz_operations(schema: Any, keep: Callable[[Any], bool], budget: Budget) -> tuple[set[str], list[str]]:
    """The labels of the operations fuzzed and the failures found."""
    chosen = []
    for result in schema.get_all_operations():
        operation = result.ok()  # an operation the document describes wrongly fails here
        if keep(operation):
            chosen.append(operation)
    reports = [
        fuzz(operation, mode, examples)
        for operation in chosen
        for mode, examples in budget.items()
        if isinstance(mode, GenerationMode) and (mode is GenerationMode.POSITIVE or has_inputs(operation))
    ]
    reports += [report for operation in chosen for report in probe(operation, budget[COVERAGE])]
    return {operation.label for operation in chosen}, [report for report in reports if report]


def all_labels(schema: Any) -> set[str]:
    return {result.ok().label for result in schema.get_all_operations()}


@pytest.fixture(scope="module")
def fuzz_tenant(stack) -> dict[str, str]:
    """A tenant of the fuzzer's own, so fuzzed programs never reach the demo tenant."""
    created = stack.call("POST", "/v1/tenants", {"tenant_id": "fuzz-own", "name": "Fuzz"}, key=OPERATOR_KEY)
    assert created.status_code == 201, created.text
    return created.json()


def test_every_operation_answers_well_formed_to_fuzzed_admin_requests(stack):
    # Given the stack's own OpenAPI document and the demo admin key
    schema = load_schema(stack.url, ADMIN_KEY)

    # When every operation but the operator's and the program's gets valid and invalid requests
    fuzzed, failures = fuzz_operations(
        schema, lambda operation: operation.label not in {TENANTS, PUBLISH_PROGRAM}, ADMIN_BUDGET
    )

    # Then none is a 5xx, every error is problem+json, every body matches the document
    assert not failures, "\n\n".join(failures)
    assert fuzzed | {TENANTS, PUBLISH_PROGRAM} == all_labels(schema)


def test_every_operation_answers_well_formed_to_fuzzed_server_requests(stack):
    # Given the document and the demo server key
    schema = load_schema(stack.url, SERVER_KEY)

    # When every operation gets valid and invalid requests (the admin and operator ones must answer
    # 403 to all of them: the scope is checked before the request is)
    fuzzed, failures = fuzz_operations(schema, lambda operation: True, SERVER_BUDGET)

    # Then none is a 5xx, every error is problem+json, every body matches the document
    assert not failures, "\n\n".join(failures)
    assert fuzzed == all_labels(schema)


def test_publishing_fuzzed_programs_answers_well_formed(stack, fuzz_tenant):
    # Given the document and the admin key of a tenant of the fuzzer's own
    schema = load_schema(stack.url, fuzz_tenant["admin_key"])

    # When PUT /v1/program gets valid and invalid program documents
    fuzzed, failures = fuzz_operations(
        schema, lambda operation: operation.label == PUBLISH_PROGRAM, PROGRAM_BUDGET
    )

    # Then none is a 5xx, every error is problem+json, every body matches the document
    assert not failures, "\n\n".join(failures)
    assert fuzzed == {PUBLISH_PROGRAM}
    # And the tenant's program can still be read back in the documented shape
    program = stack.call("GET", "/v1/program", key=fuzz_tenant["server_key"])
    assert program.status_code == 200, program.text


def test_creating_fuzzed_tenants_answers_well_formed(stack):
    # Given the document and the platform operator's key
    schema = load_schema(stack.url, OPERATOR_KEY)

    # When POST /v1/tenants gets a few valid and invalid requests
    fuzzed, failures = fuzz_operations(schema, lambda operation: operation.label == TENANTS, OPERATOR_BUDGET)

    # Then none is a 5xx, every error is problem+json, every body matches the document
    assert not failures, "\n\n".join(failures)
    assert fuzzed == {TENANTS}


def test_the_members_own_operations_answer_well_formed_to_fuzzed_member_token_requests(stack):
    # Given a member with points, a reward they may redeem, and a token for them
    member_id = "fuzz-member"
    assert stack.call("POST", "/v1/members", {"member_id": member_id}).status_code in (200, 201)
    grant = {"adjustment_id": "fuzz-member-grant", "points": 1000, "reason": "fuzz"}
    assert stack.call("POST", f"/v1/members/{member_id}/adjustments", grant, key=ADMIN_KEY).status_code in (
        200,
        201,
    )
    reward = {"name": "Fuzz mug", "points_cost": 1, "stock": 1000}
    assert stack.call("PUT", "/v1/rewards/fuzz-mug", reward, key=ADMIN_KEY).status_code == 200
    token = stack.call("POST", f"/v1/members/{member_id}/tokens", {}).json()["token"]
    schema = load_schema(stack.url, token)

    # When every /v1/me operation gets valid and invalid requests with the member's token
    fuzzed, failures = fuzz_operations(
        schema, lambda operation: "me" in (operation.tags or []), SERVER_BUDGET
    )

    # Then none is a 5xx, every error is problem+json, every body matches the document
    assert not failures, "\n\n".join(failures)
    assert {"GET /v1/me", "GET /v1/me/rewards", "POST /v1/me/redemptions", "GET /v1/me/program"} <= fuzzed
