"""The operator CLI `loyalty`, run as a subprocess (the console script make installs) against the
local stack: a tenant made and listed, keys, a member, and exports whose files equal the API's
balances (downloaded through a presigned URL of the stack's S3); clear exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.helpers import OPERATOR_KEY, RunningStack

LOYALTY = Path(sys.executable).parent / "loyalty"


def loyalty(
    stack: RunningStack, key: str, *args: str, env_only: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the CLI; the endpoint and key as options, or (env_only) from its environment variables."""
    env = {**os.environ, "LOYALTY_ENDPOINT": stack.url, "LOYALTY_KEY": key} if env_only else dict(os.environ)
    options = [] if env_only else ["--endpoint", stack.url, "--key", key]
    return subprocess.run(
        [str(LOYALTY), *options, *args], capture_output=True, text=True, timeout=180, env=env, check=False
    )


@pytest.fixture
def tenant(stack: RunningStack, unique: str) -> dict:
    made = loyalty(stack, OPERATOR_KEY, "tenants", "create", f"cli-{unique}", "--name", "CLI Shop")
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


def test_given_the_cli_when_a_tenant_is_made_then_it_is_listed_and_its_keys_work(stack, tenant, unique):
    listed = loyalty(stack, OPERATOR_KEY, "tenants", "list", env_only=True)
    assert listed.returncode == 0, listed.stderr
    assert f"cli-{unique}" in {item["tenant_id"] for item in json.loads(listed.stdout)["items"]}
    issued = loyalty(stack, tenant["admin_key"], "keys", "issue", "--scope", "server", "--name", "till")
    key = json.loads(issued.stdout)
    assert key["key"].startswith("lk_server_")
    keys = json.loads(loyalty(stack, tenant["admin_key"], "keys", "list").stdout)["items"]
    assert key["key_id"] in {item["key_id"] for item in keys}
    revoked = loyalty(stack, tenant["admin_key"], "keys", "revoke", key["key_id"])
    assert revoked.returncode == 0, revoked.stderr


def test_given_members_when_the_cli_exports_them_then_the_file_equals_the_api_balances(
    stack, tenant, tmp_path
):
    # Given a few members with purchases and a hold, in a tenant of their own
    server = tenant["server_key"]
    for number in range(6):
        member_id = f"m{number}"
        assert stack.call("POST", "/v1/members", {"member_id": member_id}, key=server).status_code == 201
        purchase = {
            "order_id": f"o{number}",
            "member_id": member_id,
            "amount": f"{10 * (number + 1)}.00",
            "currency": "CNY",
        }
        assert stack.call("POST", "/v1/purchases", purchase, key=server).status_code in (200, 201)
    hold = stack.call("POST", "/v1/members/m5/holds", {"hold_id": "h5", "points": 20}, key=server)
    assert hold.status_code == 201, hold.text
    # When the CLI exports them (start, follow with its progress bar, download)
    out = tmp_path / "members.csv"
    run = loyalty(
        stack,
        tenant["admin_key"],
        "export",
        "members",
        "--export-id",
        "e1",
        "--out",
        str(out),
        "--poll",
        "0.3",
    )
    assert run.returncode == 0, run.stderr
    # Then every row equals the member as GET /v1/members/{id} shows it
    rows = list(csv.DictReader(out.open()))
    assert sorted(row["member_id"] for row in rows) == [f"m{n}" for n in range(6)]
    for row in rows:
        view = stack.call("GET", f"/v1/members/{row['member_id']}", key=server).json()
        assert (int(row["available"]), int(row["pending"]), int(row["held"])) == (
            view["balance"]["available"],
            view["balance"]["pending"],
            view["balance"]["held"],
        )
        assert row["tier_id"] == view["tier"]["id"]
    assert next(row for row in rows if row["member_id"] == "m5")["held"] == "20"
    # And the job is there to show; the member too
    job = json.loads(loyalty(stack, tenant["admin_key"], "jobs", "show", "e1").stdout)
    assert (job["status"], job["rows"], job["chunks_done"]) == ("done", 6, 8)
    # And the presigned URL points at the stack's own S3 (its AWS endpoint), which serves the file
    url = job["download_url"]
    assert url.startswith(stack.aws_url + "/")
    assert requests.get(url, timeout=10).content == out.read_bytes()
    member = json.loads(loyalty(stack, server, "member", "show", "m5").stdout)
    assert member["balance"]["held"] == 20
    # And the ledger export of every day lists every entry (6 enrolments, 6 purchases, 1 hold)
    ledger = tmp_path / "ledger.jsonl"
    run = loyalty(
        stack,
        tenant["admin_key"],
        "export",
        "ledger",
        "--export-id",
        "l1",
        "--format",
        "jsonl",
        "--out",
        str(ledger),
        "--no-progress",
    )
    assert run.returncode == 0, run.stderr
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert sorted(entry["type"] for entry in entries).count("earn") == 12
    assert {entry["member_id"] for entry in entries} == {f"m{n}" for n in range(6)}


def test_given_bad_calls_then_the_cli_exits_1_with_the_problem_or_2_for_usage(stack, tenant, tmp_path):
    admin = tenant["admin_key"]
    out = str(tmp_path / "x.csv")
    first = loyalty(stack, admin, "export", "members", "--export-id", "same", "--out", out, "--no-progress")
    assert first.returncode == 0, first.stderr
    conflict = loyalty(stack, admin, "export", "ledger", "--export-id", "same", "--out", out)
    assert conflict.returncode == 1
    assert "409" in conflict.stderr
    assert "different request" in conflict.stderr
    missing = loyalty(stack, admin, "member", "show", "nobody")
    assert missing.returncode == 1
    assert "404" in missing.stderr
    assert loyalty(stack, admin, "export", "members", "--out", out).returncode == 2  # no --export-id
    assert loyalty(stack, admin, "frobnicate").returncode == 2
    no_key = subprocess.run(
        [str(LOYALTY), "keys", "list"],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")},
    )
    assert no_key.returncode == 2
    for command in (
        ["--help"],
        ["export", "--help"],
        ["export", "ledger", "--help"],
        ["tenants", "create", "--help"],
    ):
        shown = subprocess.run([str(LOYALTY), *command], capture_output=True, text=True, check=False)
        assert shown.returncode == 0
        assert "usage: loyalty" in shown.stdout


def test_given_a_legacy_file_when_the_cli_imports_it_then_balances_follow_and_an_export_shows_them(
    stack, tenant, tmp_path
):
    # Given a file from an old system: two members' points with their dates, and a bad row
    legacy = tmp_path / "legacy.csv"
    legacy.write_text(
        "member_id,points,expires_on,earned_on,name\n"
        "old-1,250,2030-06-30,2025-01-15,Old One\n"
        "old-2,40,,2025-02-01,\n"
        "old-3,many,,,\n"
    )
    admin = tenant["admin_key"]
    # When the CLI dry-runs it: the bad row by line, exit 3, nothing changed
    dry = loyalty(stack, admin, "import", str(legacy), "--import-id", "legacy", "--dry-run")
    assert dry.returncode == 3, dry.stderr
    assert "line 4: " in dry.stdout
    assert stack.call("GET", "/v1/members/old-1", key=tenant["server_key"]).status_code == 404
    # When it imports it (following the job with its progress bar)
    run = loyalty(stack, admin, "import", str(legacy), "--import-id", "legacy", "--poll", "0.2")
    # Then the good rows are applied, the bad one is printed by line, and the exit code says so
    assert run.returncode == 3, run.stderr
    assert "2 of 3 rows applied, 1 refused" in run.stderr
    assert "line 4: " in run.stdout
    one = stack.call("GET", "/v1/members/old-1", key=tenant["server_key"]).json()
    assert (one["balance"]["available"], one["name"]) == (250, "Old One")  # no signup bonus
    # And the same file again follows the same job; another file under the id is refused
    again = loyalty(stack, admin, "import", str(legacy), "--import-id", "legacy", "--poll", "0.2")
    assert again.returncode == 3, again.stderr
    assert (
        stack.call("GET", "/v1/members/old-1", key=tenant["server_key"]).json()["balance"]["available"] == 250
    )
    legacy.write_text("member_id,points\nold-1,1\n")
    other = loyalty(stack, admin, "import", str(legacy), "--import-id", "legacy")
    assert other.returncode == 1
    assert "409" in other.stderr
    # And an export of the members shows the imported balances
    out = tmp_path / "members.csv"
    exported = loyalty(stack, admin, "export", "members", "--export-id", "after-import", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = {row["member_id"]: row for row in csv.DictReader(out.open())}
    assert (rows["old-1"]["available"], rows["old-2"]["available"]) == ("250", "40")
    # And the revert takes the points back
    reverted = loyalty(stack, admin, "imports", "revert", "legacy", "--poll", "0.2")
    assert reverted.returncode == 0, reverted.stderr
    assert (
        stack.call("GET", "/v1/members/old-1", key=tenant["server_key"]).json()["balance"]["available"] == 0
    )


def test_given_a_file_over_the_inline_limit_when_the_cli_imports_it_then_it_goes_through_a_presigned_upload(
    stack, tenant, tmp_path
):
    # Given a file over the API's 4 MiB inline limit (two rows, then lines of blanks the reader skips)
    big = tmp_path / "big.csv"
    blanks = (" " * 1023 + "\n") * 5000
    big.write_text("member_id,points,expires_on\nup-1,120,2030-01-31\nup-2,30,\n" + blanks)
    assert big.stat().st_size > 4 * 1024 * 1024
    admin = tenant["admin_key"]
    # When the CLI imports it: the file goes to S3 through the presigned URL, the job starts from it
    run = loyalty(stack, admin, "import", str(big), "--import-id", "big", "--poll", "0.2")
    # Then its rows are applied as an inline file's are
    assert run.returncode == 0, run.stderr
    assert "2 of 2 rows applied, 0 refused" in run.stderr
    one = stack.call("GET", "/v1/members/up-1", key=tenant["server_key"]).json()
    assert one["balance"]["available"] == 120
    # And the same file again follows the same job, crediting nothing twice
    again = loyalty(stack, admin, "import", str(big), "--import-id", "big", "--poll", "0.2")
    assert again.returncode == 0, again.stderr
    assert available(stack, tenant, "up-1") == 120
    # And a small file can take the upload too (--upload), in JSON Lines; another file under an id is 409
    small = tmp_path / "small.jsonl"
    small.write_text('{"member_id": "up-2", "points": 5}\n')
    uploaded = loyalty(
        stack, admin, "import", str(small), "--import-id", "small", "--upload", "--poll", "0.2"
    )
    assert uploaded.returncode == 0, uploaded.stderr
    assert available(stack, tenant, "up-2") == 35
    small.write_text('{"member_id": "up-2", "points": 6}\n')
    other = loyalty(stack, admin, "import", str(small), "--import-id", "small", "--upload")
    assert (other.returncode, "409" in other.stderr) == (1, True), other.stderr


def available(stack: RunningStack, tenant: dict, member_id: str) -> int:
    member = stack.call("GET", f"/v1/members/{member_id}", key=tenant["server_key"]).json()
    return int(member["balance"]["available"])
