"""The local-only control routes: events on the bus, queue depths and schedules."""

from __future__ import annotations

from tests.e2e.helpers import eventually


def test_enrolments_and_earnings_appear_as_events_on_the_bus(stack, unique):
    # Given a member who enrols and buys
    member_id = f"m-{unique}"
    assert stack.call("POST", "/v1/members", {"member_id": member_id, "name": "Eve"}).status_code == 201
    order = {"order_id": f"o-{unique}", "member_id": member_id, "amount": "12.00", "currency": "CNY"}
    assert stack.call("POST", "/v1/purchases", order).status_code == 201

    # When the stream has been published to the bus
    def published():
        """member.enrolled and the purchase's points.earned are on the bus"""
        mine = stack.events(member_id)
        types = {event["detail-type"] for event in mine}
        return mine if {"member.enrolled", "points.earned"} <= types and len(mine) >= 3 else None

    mine = eventually(published)

    # Then they are in EventBridge's shape, newest first, with the purchase's points
    for event in mine:
        assert {"id", "source", "detail-type", "time", "detail"} <= set(event)
        assert event["source"] == "loyalty"
        assert event["detail"]["tenant_id"] == "demo"
    earned = [event for event in mine if event["detail-type"] == "points.earned"]
    assert earned[0]["detail"].get("order_id") == f"o-{unique}"
    assert sorted(event["detail"]["points"] for event in earned) == [12, 100]


def test_events_are_filtered_by_type_and_member_on_request(stack, member, unique):
    # Given another member's enrolment after this member's
    other = f"other-{unique}"
    assert stack.call("POST", "/v1/members", {"member_id": other}).status_code == 201

    def enrolments() -> list[dict]:
        """both enrolments are on the bus"""
        found = [stack.events(m, "member.enrolled") for m in (member, other)]
        return found if all(found) else []

    # When asking for one member's enrolments
    mine, theirs = eventually(enrolments)

    # Then each answer holds that member's events of that type only
    assert [(e["detail-type"], e["detail"]["member_id"]) for e in mine] == [("member.enrolled", member)]
    assert [(e["detail-type"], e["detail"]["member_id"]) for e in theirs] == [("member.enrolled", other)]


def test_events_are_limited_on_request(stack, member):
    # When asking for one event
    response = stack.call("GET", "/_local/events?limit=1", key=None)

    # Then one comes back
    assert response.status_code == 200
    assert len(response.json()["events"]) == 1


def test_the_queues_of_the_template_are_listed_with_their_depth(stack):
    # When listing the queues
    response = stack.call("GET", "/_local/queues", key=None)

    # Then the purchase queue and its dead-letter queue are there, with URLs and depths
    assert response.status_code == 200
    queues = {queue["name"].rsplit("-", 1)[-1]: queue for queue in response.json()["queues"]}
    assert {"PurchaseQueue", "PurchaseDeadLetterQueue"} <= set(queues)
    for queue in queues.values():
        assert queue["url"].startswith(stack.aws_url)
        assert isinstance(queue["depth"], int)


def test_running_an_unknown_schedule_is_not_found(stack):
    # When running a schedule the template does not have
    response = stack.call("POST", "/_local/schedules/nope/run", {"time": "2025-01-01T00:00:00Z"}, key=None)

    # Then it is a 404 problem
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_health_is_served_by_the_members_function(stack):
    response = stack.call("GET", "/v1/health", key=None)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_bodies_over_one_mebibyte_are_refused_before_reaching_a_function(stack):
    response = stack.call("POST", "/v1/purchases", raw=b"x" * (1024 * 1024 + 1))

    assert response.status_code == 413
