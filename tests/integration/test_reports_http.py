"""Reports over the API: admin scope, JSON or CSV, windows in program-local days, bad input 4xx."""

from __future__ import annotations

import csv
import io

import pytest

from tests.integration.test_report_aggregates import FUNCTION, deliver
from tests.support.streams import stream_records

pytestmark = pytest.mark.stream


@pytest.fixture
def endpoint(backend, request):
    return request.getfixturevalue("dynamodb_local").endpoint if backend == "dynamodb-local" else None


def test_reports_answer_json_and_csv_to_admin_keys_only(api, shop, rival, aws, endpoint):
    # Given a member who enrolled and bought, its records counted from the stream
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    body = {"order_id": "o1", "member_id": "m1", "amount": "250.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201
    arn, records = stream_records(aws, endpoint, FUNCTION)
    deliver(aws, endpoint, [("shard-1", arn, records)])

    # When the admin reads the summary as JSON
    summary = api.call("GET", "/v1/reports/summary", key=shop.admin_key)
    # Then liability is the member's 350 points, worth 3.50 CNY
    assert summary.status == 200, summary.body
    assert summary.json()["liability"]["points"] == 350
    assert summary.json()["liability"]["value"] == {"amount": "3.50", "currency": "CNY"}
    assert summary.json()["points"]["issued_by_source"] == {"purchase": 250, "signup": 100}

    # And another tenant's admin sees none of it
    theirs = api.call("GET", "/v1/reports/summary", key=rival.admin_key).json()
    assert (theirs["liability"]["points"], theirs["members"]["total"], theirs["points"]["issued"]) == (
        0,
        0,
        0,
    )

    # And as CSV, one figure per row
    as_csv = api.call("GET", "/v1/reports/summary", key=shop.admin_key, headers={"Accept": "text/csv"})
    assert as_csv.status == 200
    assert {k.lower(): v for k, v in as_csv.headers.items()}["content-type"].startswith("text/csv")
    rows = dict(csv.reader(io.StringIO(as_csv.body.decode())))
    assert (rows["liability.points"], rows["liability.value.amount"], rows["members.total"]) == (
        "350",
        "3.50",
        "1",
    )

    # And the flows as a CSV table, a row per day
    flows = api.call(
        "GET", "/v1/reports/flows", key=shop.admin_key, headers={"Accept": "text/csv"}, query="interval=month"
    )
    table = list(csv.DictReader(io.StringIO(flows.body.decode())))
    assert sum(int(row["issued"]) for row in table) == 350
    assert sum(int(row["purchases"]) for row in table) == 1

    # And a server key may not read reports; a window backwards or a bad interval is a 422
    assert api.call("GET", "/v1/reports/summary", key=shop.server_key).status == 403
    backwards = api.call(
        "GET", "/v1/reports/summary", key=shop.admin_key, query="from=2026-12-05&to=2026-12-01"
    )
    assert backwards.status == 422
    assert {k.lower(): v for k, v in backwards.headers.items()}["content-type"] == "application/problem+json"
    assert api.call("GET", "/v1/reports/flows", key=shop.admin_key, query="interval=year").status == 422
    assert api.call("GET", "/v1/reports/tiers", key=shop.admin_key, query="from=yesterday").status == 422
    assert api.call("GET", "/v1/reports/flows", key=shop.admin_key, query="to=0001-01-02").status == 422
    last_days = api.call("GET", "/v1/reports/flows", key=shop.admin_key, query="to=9999-12-31&interval=week")
    assert last_days.status == 200, last_days.body
    assert api.call("GET", "/v1/reports/summary", key=shop.admin_key, query="from=0001-01-01").status == 422
    far = api.call("GET", "/v1/reports/customers", key=shop.admin_key, query="from=0001-01-01&to=9999-12-31")
    assert far.status == 200
    assert api.call("GET", "/v1/reports/reminders", key=shop.admin_key, query="within_days=31").status == 422
