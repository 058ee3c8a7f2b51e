"""The expiry schedule over the local stack: a run "as if" EventBridge fired it at a later time
enqueues the expiry index's shards, and the workers the queue feeds empty a member's expired
points, balance and ledger agreeing, with points.expired on the bus."""

from __future__ import annotations

from tests.e2e.helpers import eventually


def test_a_later_expiry_run_empties_expired_points(stack, member):
    # Given a member whose signup points are spendable through the end of the month, 24 months on
    expires_on = stack.call("GET", f"/v1/members/{member}").json()["expiring"][0]["expires_on"]

    # When the expiry schedule runs a month after that day
    year, month = int(expires_on[:4]), int(expires_on[5:7])
    later = f"{year + (month == 12)}-{month % 12 + 1:02d}-15T00:00:00Z"
    run = stack.call("POST", "/_local/schedules/expiry/run", {"time": later}, key=None)

    # Then the run hands every shard of the expiry index to the workers through the shard queue
    assert run.status_code == 200, run.text
    assert run.json()["shards_enqueued"] == 8

    # And once the workers have drained them, the points are gone, the ledger says why, and an
    # event went out
    def emptied():
        view = stack.call("GET", f"/v1/members/{member}").json()
        return view if view["balance"]["available"] == 0 else None

    view = eventually(emptied)
    assert view["expiring"] == []
    entries = stack.call("GET", f"/v1/members/{member}/transactions").json()["items"]
    assert (entries[0]["type"], entries[0]["points"], sum(entry["points"] for entry in entries)) == (
        "expire",
        -100,
        0,
    )

    def expired_event():
        return stack.events(member, "points.expired")

    assert eventually(expired_event)

    # And the run's sweep is over before the next test: "as if" two years on, it expires every
    # member of the shared stack due by then, a later test's new member too if still going
    def swept() -> bool:
        """the expiry shard queue is empty, nothing in flight"""
        listed = stack.call("GET", "/_local/queues", key=None).json()["queues"]
        return all(queue["depth"] == 0 for queue in listed if queue["name"].endswith("-ExpiryShardQueue"))

    eventually(swept, timeout=180)


def test_a_reminders_run_puts_one_points_expiring_event_per_window(stack, member):
    expires_on = stack.call("GET", f"/v1/members/{member}").json()["expiring"][0]["expires_on"]
    six_days_before = f"{expires_on[:8]}{int(expires_on[8:]) - 6:02d}T02:00:00Z"

    first = stack.call("POST", "/_local/schedules/reminders/run", {"time": six_days_before}, key=None)
    again = stack.call("POST", "/_local/schedules/reminders/run", {"time": six_days_before}, key=None)

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["reminders_sent"] >= 1, (six_days_before, first.json())

    def expiring_events():
        return stack.events(member, "points.expiring")

    (event,) = eventually(expiring_events)
    assert (event["detail"]["points"], event["detail"]["window_days"], event["detail"]["expires_on"]) == (
        100,
        7,
        expires_on,
    )
