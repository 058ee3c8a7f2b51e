"""Reports over the local stack: the stream's ReportAggregator counts a new tenant's member and
purchase, the reports answer over HTTP in JSON and CSV, and the customers snapshot runs from the
local scheduler."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import requests

from tests.e2e.helpers import OPERATOR_KEY, eventually


def test_reports_over_http_follow_the_stream_and_the_snapshot(stack, unique):
    # Given a new program with one member who bought for 250.00 (350 points with the signup bonus)
    tenant = stack.call(
        "POST", "/v1/tenants", {"tenant_id": f"rpt-{unique}"[:32], "name": "Reports"}, key=OPERATOR_KEY
    )
    assert tenant.status_code == 201, tenant.text
    admin, server = tenant.json()["admin_key"], tenant.json()["server_key"]
    assert stack.call("POST", "/v1/members", {"member_id": "m1"}, key=server).status_code == 201
    purchase = {"order_id": "o1", "member_id": "m1", "amount": "250.00", "currency": "CNY"}
    assert stack.call("POST", "/v1/purchases", purchase, key=server).status_code == 201

    # When the stream has been counted, the summary shows the liability in points and money
    def liability():
        body = stack.call("GET", "/v1/reports/summary", key=admin).json()
        return body if body["liability"]["points"] == 350 else None

    summary = eventually(liability, timeout=30)
    assert summary["liability"]["value"] == {"amount": "3.50", "currency": "CNY"}
    assert summary["points"]["issued_by_source"] == {"purchase": 250, "signup": 100}
    assert summary["members"]["total"] == 1

    # And the same report as CSV
    as_csv = requests.get(
        stack.url + "/v1/reports/summary",
        headers={"Authorization": f"Bearer {admin}", "Accept": "text/csv"},
        timeout=15,
    )
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    rows = dict(csv.reader(io.StringIO(as_csv.text)))
    assert (rows["liability.points"], rows["liability.value.amount"]) == ("350", "3.50")

    # And the customers snapshot, run by the local scheduler, counts the one purchaser
    def snapshot():
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        assert (
            stack.call("POST", "/_local/schedules/customers/run", {"time": now}, key=None).status_code == 200
        )
        body = stack.call("GET", "/v1/reports/customers", key=admin).json()
        return body if body["purchasers"] == 1 else None

    customers = eventually(snapshot, timeout=30, interval=1)
    assert customers["pareto"]["top_20_percent_share"] == 1.0
    assert customers["revenue"] == {"amount": "250.00", "currency": "CNY"}
    # And a server key may not read reports
    assert stack.call("GET", "/v1/reports/summary", key=server).status_code == 403


def test_every_event_is_archived_in_the_local_s3_by_tenant_and_date(stack, unique):
    import json

    import boto3

    # Given a new program whose member enrols and buys
    tenant_id = f"arc-{unique}"[:32]
    tenant = stack.call("POST", "/v1/tenants", {"tenant_id": tenant_id, "name": "Archive"}, key=OPERATOR_KEY)
    assert tenant.status_code == 201, tenant.text
    server = tenant.json()["server_key"]
    assert stack.call("POST", "/v1/members", {"member_id": "m1"}, key=server).status_code == 201
    purchase = {"order_id": "o1", "member_id": "m1", "amount": "10.00", "currency": "CNY"}
    assert stack.call("POST", "/v1/purchases", purchase, key=server).status_code == 201

    # When reading the archive bucket of the local S3 under the tenant's partition
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    [bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].endswith("-archive")]
    today = datetime.now(UTC).date().isoformat()

    def archived():
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"events/tenant={tenant_id}/").get("Contents", [])
        lines = [
            json.loads(line)
            for item in listed
            for line in s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode().splitlines()
        ]
        types = sorted(event["detail-type"] for event in lines)
        return (listed, lines) if types == ["member.enrolled", "points.earned", "points.earned"] else None

    # Then the enrolment and both earns (signup bonus, purchase) are there, one JSON per line, by date
    listed, events = eventually(archived, timeout=30)
    assert all(item["Key"].startswith(f"events/tenant={tenant_id}/date={today}/") for item in listed)
    assert {event["detail"]["tenant_id"] for event in events} == {tenant_id}
