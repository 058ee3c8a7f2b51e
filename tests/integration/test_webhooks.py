"""Webhooks on moto and DynamoDB Local: the admin API, the dispatcher (one delivery per subscribed
webhook and event), the deliverer against a real receiver on loopback (signatures, retries with
backoff, the log, dead letters, redelivery, rotation) and the sender's SSRF guards."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from loyalty.consumers.webhook_sender import post
from loyalty.domain.webhooks import verify
from loyalty.models.webhooks import DeliveryMessage
from loyalty.operations.webhook_delivery import deliver, dispatch
from loyalty.operations.webhooks import Webhooks
from loyalty.settings import WebhookSettings
from loyalty.store.messaging import DeadLetterQueue
from loyalty.store.webhook_queue import DeliveryQueue
from loyalty.store.webhook_store import WebhookStore
from tests.support.backends import reset_caches
from tests.support.receiver import receiver


class FakeQueue(DeliveryQueue):
    """The delivery queue as a list: what was sent, with its delay (SQS delays are real seconds)."""

    def __init__(self) -> None:
        super().__init__("fake")
        self.sent: list[tuple[DeliveryMessage, int]] = []

    def send(self, messages: list[DeliveryMessage], delay_seconds: int = 0) -> None:
        self.sent += [(message, delay_seconds) for message in messages]

    def take(self) -> DeliveryMessage:
        return self.sent.pop(0)[0]


@pytest.fixture
def env(aws, monkeypatch):
    monkeypatch.setenv("WEBHOOK_DELIVERY_QUEUE_URL", aws.queues["WebhookDeliveryQueue"])
    monkeypatch.setenv("WEBHOOK_DLQ_URL", aws.queues["WebhookDeliveryDeadLetterQueue"])
    monkeypatch.setenv("WEBHOOK_DISPATCH_DLQ_URL", aws.queues["WebhookDeadLetterQueue"])
    monkeypatch.setenv("WEBHOOK_CACHE_SECONDS", "0")
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    reset_caches()  # the settings and clients of a new cold start, with the variables above
    return aws


@pytest.fixture
def services(env, clock):
    def make(**overrides: Any) -> Webhooks:
        settings = WebhookSettings(
            allow_loopback=True,
            retry_base_seconds=1,
            retry_cap_seconds=4,
            max_attempts=overrides.pop("max_attempts", 5),
            subscriptions_cache_seconds=0,
            timeout_seconds=3,
        )
        dlq = env.queues["WebhookDeliveryDeadLetterQueue"]
        return Webhooks(
            store=WebhookStore(env.table_name),
            queue=FakeQueue(),
            settings=settings,
            dead_letters=DeadLetterQueue(dlq, env.sqs),
            clock=clock,
        )

    return make


def subscribe(api, shop, url, events=("member.enrolled",), webhook_id="crm"):
    response = api.call(
        "PUT", f"/v1/webhooks/{webhook_id}", {"url": url, "events": list(events)}, key=shop.admin_key
    )
    assert response.status == 201, response.body
    return response.json()


def bus_event(event_type="member.enrolled", tenant_id="acme", event_id=None, **data):
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": event_type,
        "source": "loyalty",
        "time": "2026-11-23T12:00:00Z",
        "detail": {
            "event_id": event_id or str(uuid.uuid4()),
            "tenant_id": tenant_id,
            "occurred_at": "2026-11-23T12:00:00+00:00",
            "member_id": "ann",
            **data,
        },
    }


def queued(sqs, url):
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages", []
    )


# ------------------------------------------------------------------------------------ admin API


def test_an_admin_subscribes_sees_the_secret_once_and_manages_the_webhook(api, shop, rival, env):
    # Given an admin who subscribes a URL to two event types
    created = subscribe(api, shop, "https://hooks.example.com/a", ("member.enrolled", "points.earned"))
    # Then the answer shows the signing secret, once
    assert created["secret"].startswith("whsec_")
    assert len(created["secret"]) > 40
    assert created["events"] == ["member.enrolled", "points.earned"]
    read = api.call("GET", "/v1/webhooks/crm", key=shop.admin_key)
    assert read.status == 200
    assert "secret" not in read.json()
    # When the admin changes it, it is the same webhook (200), with the same secret (not shown)
    changed = api.call(
        "PUT",
        "/v1/webhooks/crm",
        {"url": "https://hooks.example.com/b", "events": ["*"], "description": "CRM"},
        key=shop.admin_key,
    )
    assert changed.status == 200
    assert "secret" not in changed.json()
    listed = api.call("GET", "/v1/webhooks", key=shop.admin_key).json()
    assert [(w["webhook_id"], w["url"], w["events"]) for w in listed["items"]] == [
        ("crm", "https://hooks.example.com/b", ["*"])
    ]
    # And another tenant cannot see it, a server key may not manage webhooks
    assert api.call("GET", "/v1/webhooks/crm", key=rival.admin_key).status == 404
    assert api.call("GET", "/v1/webhooks", key=rival.admin_key).json()["items"] == []
    assert api.call("GET", "/v1/webhooks", key=shop.server_key).status == 403
    # And once deleted it is gone
    assert api.call("DELETE", "/v1/webhooks/crm", key=shop.admin_key).status == 204
    assert api.call("GET", "/v1/webhooks/crm", key=shop.admin_key).status == 404
    assert api.call("DELETE", "/v1/webhooks/crm", key=shop.admin_key).status == 404


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("https://10.0.0.8/hook", ["member.enrolled"]),
        ("https://169.254.169.254/latest/meta-data", ["member.enrolled"]),
        ("http://hooks.example.com/hook", ["member.enrolled"]),
        ("https://hooks.example.com/hook", ["points.stolen"]),
        ("https://hooks.example.com/hook", []),
    ],
)
def test_a_private_target_or_an_unknown_event_type_is_refused_with_422(api, shop, env, url, events):
    response = api.call("PUT", "/v1/webhooks/bad", {"url": url, "events": events}, key=shop.admin_key)
    assert response.status == 422, response.body
    assert response.headers["content-type"] == "application/problem+json"
    assert api.call("GET", "/v1/webhooks/bad", key=shop.admin_key).status == 404


def test_rotation_returns_a_new_secret_and_the_previous_one_keeps_signing_during_the_grace(
    api, shop, services, clock
):
    # Given a webhook and its first secret
    with receiver() as hook:
        first = subscribe(api, shop, hook.url)["secret"]
        # When the admin rotates with a one-hour grace period
        rotated = api.call("POST", "/v1/webhooks/crm/rotate", {"grace_seconds": 3600}, key=shop.admin_key)
        assert rotated.status == 200
        second = rotated.json()["secret"]
        assert second != first
        assert rotated.json()["previous_secret_expires_at"]
        # Then a delivery made now carries two signatures, each secret verifies it
        hooks = services()
        hooks.clock = lambda: datetime.now(UTC)
        dispatch(hooks, bus_event())
        assert deliver(hooks, hooks.queue.take()) == "succeeded"  # type: ignore[attr-defined]
        [got] = hook.received
        signature = got.headers["Loyalty-Signature"]
        now = int(hooks.clock().timestamp())
        assert signature.count("v1=") == 2
        assert verify(first, signature, got.body, now)
        assert verify(second, signature, got.body, now)


# ------------------------------------------------------------------------ dispatch and delivery


def test_the_dispatcher_makes_one_delivery_per_subscribed_webhook_and_event(api, shop, rival, services):
    # Given two webhooks of the shop (one for enrolments, one for everything) and one of a rival
    subscribe(api, shop, "https://a.example.com/h", ("member.enrolled",), webhook_id="a")
    subscribe(api, shop, "https://b.example.com/h", ("*",), webhook_id="b")
    subscribe(api, shop, "https://c.example.com/h", ("tier.changed",), webhook_id="c")
    subscribe(api, rival, "https://r.example.com/h", ("*",), webhook_id="r")
    hooks = services()
    event = bus_event(event_id="e-1")
    # When the same enrolment event reaches the dispatcher twice (at least once), then a points event
    assert dispatch(hooks, event) == 2
    assert dispatch(hooks, event) == 2  # no attempt made yet: queued again, still one delivery each
    assert dispatch(hooks, bus_event("points.earned", points=10)) == 1
    # Then the shop's matching webhooks have one delivery each for the enrolment, the rival none
    sent = [(m.webhook_id, m.tenant_id) for m, _ in hooks.queue.sent]  # type: ignore[attr-defined]
    assert sorted(sent) == [("a", "acme"), ("a", "acme"), ("b", "acme"), ("b", "acme"), ("b", "acme")]
    log_a = api.call("GET", "/v1/webhooks/a/deliveries", key=shop.admin_key).json()["items"]
    log_b = api.call("GET", "/v1/webhooks/b/deliveries", key=shop.admin_key).json()["items"]
    assert [(d["event_id"], d["status"], d["attempts"]) for d in log_a] == [("e-1", "pending", 0)]
    assert sorted(d["event_type"] for d in log_b) == ["member.enrolled", "points.earned"]
    assert api.call("GET", "/v1/webhooks/c/deliveries", key=shop.admin_key).json()["items"] == []


def test_a_failing_receiver_is_retried_with_backoff_until_the_third_attempt_succeeds(
    api, shop, services, clock
):
    # Given a receiver that fails twice, then accepts
    with receiver(script=[500, 503]) as hook:
        secret = subscribe(api, shop, hook.url)["secret"]
        hooks = services()
        dispatch(hooks, bus_event(event_id="e-42"))
        queue: FakeQueue = hooks.queue  # type: ignore[assignment]
        # When the deliverer works through the queue as time passes
        assert deliver(hooks, queue.take()) == "retrying"
        retry, delay = queue.sent[0]
        assert delay == 1
        assert retry.not_before == clock.now.replace(second=1)
        assert deliver(hooks, queue.take()) == "waiting"  # too early: back on the queue
        clock.advance(seconds=1)
        assert deliver(hooks, queue.take()) == "retrying"
        assert queue.sent[-1][1] == 2  # the wait doubles
        clock.advance(seconds=2)
        assert deliver(hooks, queue.take()) == "succeeded"
        assert queue.sent == []
        # Then the receiver got the same signed event three times, attempts numbered
        assert len(hook.received) == 3
        assert {r.body for r in hook.received} == {hook.received[0].body}
        assert [r.headers["Loyalty-Delivery-Attempt"] for r in hook.received] == ["1", "2", "3"]
        assert {r.headers["Loyalty-Event-Id"] for r in hook.received} == {"e-42"}
        last = hook.received[-1]
        assert verify(secret, last.headers["Loyalty-Signature"], last.body, int(clock.now.timestamp()))
        assert json.loads(last.body)["event_id"] == "e-42"
    # And the log says so
    [entry] = api.call("GET", "/v1/webhooks/crm/deliveries", key=shop.admin_key).json()["items"]
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("succeeded", 3, 200)


def test_a_delivery_that_fails_every_attempt_is_dead_lettered_and_can_be_redelivered(
    api, shop, services, env
):
    # Given a receiver that always fails, and three attempts allowed
    with receiver(script=[500] * 3) as hook:
        subscribe(api, shop, hook.url)
        hooks = services(max_attempts=3)
        dispatch(hooks, bus_event(event_id="e-7"))
        queue: FakeQueue = hooks.queue  # type: ignore[assignment]
        outcomes = []
        while queue.sent:
            message = queue.take()
            hooks.clock.advance(seconds=10)  # type: ignore[attr-defined]
            outcomes.append(deliver(hooks, message))
        # Then after the third failure the delivery is failed and dead-lettered with its reason
        assert outcomes == ["retrying", "retrying", "failed"]
        [dead] = queued(env.sqs, env.queues["WebhookDeliveryDeadLetterQueue"])
        assert dead["MessageAttributes"]["reason"]["StringValue"] == "delivery-failed"
        assert json.loads(dead["Body"])["webhook_id"] == "crm"
        [entry] = api.call("GET", "/v1/webhooks/crm/deliveries", key=shop.admin_key).json()["items"]
        assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("failed", 3, 500)
        # When the admin asks for a redelivery (the receiver works again)
        redelivered = api.call(
            "POST", f"/v1/webhooks/crm/deliveries/{entry['delivery_id']}/redeliver", key=shop.admin_key
        )
        assert redelivered.status == 202
        [message] = queued(env.sqs, env.queues["WebhookDeliveryQueue"])
        assert deliver(hooks, DeliveryMessage.model_validate_json(message["Body"])) == "succeeded"
        # Then it is sent once more and the log shows the success
        assert len(hook.received) == 4
    [entry] = api.call("GET", "/v1/webhooks/crm/deliveries", key=shop.admin_key).json()["items"]
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("succeeded", 4, 200)
    missing = api.call("POST", "/v1/webhooks/crm/deliveries/dl_nope/redeliver", key=shop.admin_key)
    assert missing.status == 404


def test_a_ping_is_queued_as_a_delivery_and_a_deleted_webhook_cancels_what_is_queued(
    api, shop, services, env
):
    # Given a webhook
    subscribe(api, shop, "https://hooks.example.com/h")
    # When the admin pings it
    pinged = api.call("POST", "/v1/webhooks/crm/ping", key=shop.admin_key)
    # Then a webhook.ping delivery is logged and queued
    assert pinged.status == 202
    assert pinged.json()["event_type"] == "webhook.ping"
    [message] = queued(env.sqs, env.queues["WebhookDeliveryQueue"])
    # And when the webhook is deleted before its turn, the delivery is cancelled, nothing sent
    assert api.call("DELETE", "/v1/webhooks/crm", key=shop.admin_key).status == 204
    sent: list[str] = []
    hooks = services()
    outcome = deliver(
        hooks, DeliveryMessage.model_validate_json(message["Body"]), lambda *a, **k: sent.append(a[0])
    )
    assert (outcome, sent) == ("cancelled", [])


def test_the_dispatcher_function_queues_deliveries_and_dead_letters_what_is_not_an_event(api, shop, env):
    # Given a webhook for enrolments, and the dispatcher function as the template declares it
    subscribe(api, shop, "https://hooks.example.com/h")
    spec = load_template().function("WebhookDispatchFunction")
    handler = load_handler(spec)
    good = QueueMessage(message_id="m-1", receipt_handle="r-1", body=json.dumps(bus_event()))
    bad = QueueMessage(message_id="m-2", receipt_handle="r-2", body="not json")
    # When a batch with an event and a body that is not one arrives
    result = invoke(spec, handler, sqs_event([good, bad], "arn:aws:sqs:us-east-1:123456789012:WebhookQueue"))
    # Then nothing is retried: one delivery queued, the other body dead-lettered with its reason
    assert result == {"batchItemFailures": []}
    assert len(queued(env.sqs, env.queues["WebhookDeliveryQueue"])) == 1
    [dead] = queued(env.sqs, env.queues["WebhookDeadLetterQueue"])
    assert dead["MessageAttributes"]["reason"]["StringValue"] == "invalid-event"


# ------------------------------------------------------------------------------------------ SSRF


def fake_resolver(*addresses):
    def resolve(host, port, **_):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    return resolve


@pytest.mark.parametrize(
    "addresses",
    [("10.0.0.5",), ("93.184.216.34", "192.168.1.1"), ("169.254.169.254",), ("127.0.0.1",)],
)
def test_the_sender_refuses_a_host_that_resolves_to_any_non_public_address(addresses):
    # Given a public-looking name that resolves (also) to a private, link-local or loopback address
    attempt = post(
        "https://hooks.example.com/h",
        b"{}",
        {},
        timeout=1,
        allow_loopback=False,
        resolve=fake_resolver(*addresses),
    )
    # Then nothing is sent, and the attempt failed with the reason
    assert attempt.status_code is None
    assert not attempt.ok
    assert attempt.error is not None
    assert attempt.error.startswith("refused:")


def test_the_sender_follows_no_redirect_and_reads_nothing_but_the_status():
    # Given a receiver on loopback that answers with a redirect to the metadata service
    with receiver(script=[302]) as hook:
        attempt = post(hook.url, b"{}", {"Content-Type": "application/json"}, timeout=2, allow_loopback=True)
        # Then the attempt failed, and only the receiver was called
        assert (attempt.status_code, attempt.ok, attempt.error) == (302, False, "redirects are not followed")
        assert len(hook.received) == 1
    # And without the local stack's setting, even loopback is refused
    assert post(hook.url, b"{}", {}, timeout=1, allow_loopback=False).error.startswith("refused:")


def test_a_failed_redelivery_of_a_queued_delivery_leaves_its_own_attempts_to_come(api, shop, services):
    # Given a delivery queued but not attempted yet, and a receiver that fails once
    with receiver(script=[500]) as hook:
        subscribe(api, shop, hook.url)
        hooks = services()
        dispatch(hooks, bus_event(event_id="e-9"))
        queue: FakeQueue = hooks.queue  # type: ignore[assignment]
        first = queue.take()
        [entry] = api.call("GET", "/v1/webhooks/crm/deliveries", key=shop.admin_key).json()["items"]
        # When a redelivery by hand fails
        manual = first.model_copy(update={"manual": True})
        assert deliver(hooks, manual) == "retrying"
        assert queue.sent == []  # one attempt: it schedules nothing of its own
        # Then the queued first attempt still runs, and succeeds
        assert deliver(hooks, first) == "succeeded"
        assert len(hook.received) == 2
    [entry] = api.call("GET", "/v1/webhooks/crm/deliveries", key=shop.admin_key).json()["items"]
    assert (entry["status"], entry["attempts"]) == ("succeeded", 2)
