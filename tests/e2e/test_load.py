"""Concurrent clients against the local stack: nothing fails, and every point is accounted for.

``CLIENTS`` threads, for at most ``DURATION`` seconds and ``MAX_REQUESTS`` requests in all, enrol
members, buy, refund, grant and deduct points and replay earlier purchases, over HTTP, on members
of their own and on members every client shares; meanwhile purchases go through the SQS purchase
queue (some sent twice, as a redelivery would), and every client sends the same few purchases at
once. The test keeps its own model: what each accepted call must have done under the new tenant's
default program (1 point per CNY, rounded down; a refund takes back its share of the points).

Afterwards, once the queue has drained: no 5xx and no unexpected answer, every member's balance is
exactly what the model says (``available - debt``, as a refund that outruns the balance leaves
debt), and every member's ledger adds up to its balance with each order credited once.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.e2e.helpers import OPERATOR_KEY, eventually

CLIENTS = 8
DURATION = 10.0
MAX_REQUESTS = 400
SHARED_MEMBERS = 4
QUEUED_PURCHASES = 30
DRAIN_TIMEOUT = 45.0
SIGNUP_BONUS = 100  # the default program's


@dataclass
class Tenant:
    tenant_id: str
    admin_key: str
    server_key: str


@dataclass
class Purchase:
    order_id: str
    member_id: str
    amount: int  # whole CNY, even, so half of it is a whole number of points
    response: dict[str, Any] | None = None
    refunded: bool = False

    def body(self) -> dict[str, str]:
        return {
            "order_id": self.order_id,
            "member_id": self.member_id,
            "amount": f"{self.amount}.00",
            "currency": "CNY",
        }


@dataclass
class Model:
    """What the accepted calls must have done, and what went wrong."""

    points: Counter[str] = field(default_factory=Counter)  # member -> expected available - debt
    orders: dict[str, str] = field(default_factory=dict)  # order -> member, each credited once
    errors: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def credit(self, member_id: str, points: int, order_id: str | None = None) -> None:
        with self.lock:
            self.points[member_id] += points
            if order_id is not None:
                self.orders[order_id] = member_id

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class Budget:
    """The requests left to all the clients together, and the time."""

    def __init__(self, requests_left: int, seconds: float) -> None:
        self._left = requests_left
        self._deadline = time.monotonic() + seconds
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0 or time.monotonic() > self._deadline:
                return False
            self._left -= 1
            return True


class Client:
    def __init__(self, number: int, url: str, tenant: Tenant, shared: list[str], model: Model) -> None:
        self.number = number
        self.url = url
        self.tenant = tenant
        self.shared = shared
        self.model = model
        self.random = random.Random(number)
        self.session = requests.Session()
        self.own: list[str] = []
        self.purchases: list[Purchase] = []
        self.sequence = 0

    def new_id(self, prefix: str) -> str:
        self.sequence += 1
        return f"{prefix}-c{self.number}-{self.sequence}-{uuid.uuid4().hex[:6]}"

    def call(self, method: str, path: str, body: Any, *, admin: bool = False) -> requests.Response | None:
        key = self.tenant.admin_key if admin else self.tenant.server_key
        try:
            response = self.session.request(
                method, self.url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
            )
        except requests.RequestException as error:
            self.model.error(f"{method} {path} {body}: {error!r}")
            return None
        with self.model.lock:
            self.model.statuses[f"{method} {path.split('/')[2]} {response.status_code}"] += 1
        return response

    def expect(self, response: requests.Response | None, statuses: set[int], what: str) -> bool:
        if response is None:
            return False
        if response.status_code not in statuses:
            self.model.error(f"{what}: {response.status_code} {response.text[:300]}")
            return False
        return True

    def member(self) -> str:
        if self.own and self.random.random() < 0.5:
            return self.random.choice(self.own)
        return self.random.choice(self.shared)

    def run(self, budget: Budget, shared_orders: list[Purchase], start: threading.Barrier) -> None:
        start.wait(30)
        try:
            self.work(budget, shared_orders)
        except Exception as error:  # a client that dies must fail the test, not vanish
            self.model.error(f"client {self.number} died: {error!r}")
        finally:
            self.session.close()

    def work(self, budget: Budget, shared_orders: list[Purchase]) -> None:
        for purchase in shared_orders:  # every client at once: one credit, one answer for all
            if budget.take():
                self.buy(purchase, shared=True)
        while budget.take():
            roll = self.random.random()
            if roll < 0.1 or not self.own:
                self.enrol()
            elif roll < 0.45:
                self.buy(Purchase(self.new_id("o"), self.member(), 2 * self.random.randint(1, 150)))
            elif roll < 0.6:
                self.refund()
            elif roll < 0.8:
                self.adjust()
            else:
                self.replay()

    def enrol(self) -> None:
        member_id = self.new_id("m")
        response = self.call("POST", "/v1/members", {"member_id": member_id})
        if self.expect(response, {201}, f"enrol {member_id}"):
            assert response is not None
            balance = response.json()["balance"]
            if balance != {"available": SIGNUP_BONUS, "pending": 0, "held": 0, "withheld": 0}:
                self.model.error(f"enrol {member_id}: balance {balance}")
            self.model.credit(member_id, SIGNUP_BONUS)
            self.own.append(member_id)

    def buy(self, purchase: Purchase, *, shared: bool = False) -> None:
        response = self.call("POST", "/v1/purchases", purchase.body())
        if not self.expect(response, {201}, f"purchase {purchase.body()}"):
            return
        assert response is not None
        body = response.json()
        if body["points_earned"] != purchase.amount:
            self.model.error(
                f"purchase {purchase.body()} earned {body['points_earned']}, not {purchase.amount}"
            )
        if shared:
            with self.model.lock:
                if purchase.response is None:
                    purchase.response = body
                    self.model.points[purchase.member_id] += purchase.amount
                    self.model.orders[purchase.order_id] = purchase.member_id
                elif purchase.response != body:
                    self.model.error(f"same purchase, two answers: {purchase.response} and {body}")
            return
        purchase.response = body
        self.model.credit(purchase.member_id, purchase.amount, purchase.order_id)
        self.purchases.append(purchase)

    def refund(self) -> None:
        open_purchases = [purchase for purchase in self.purchases if not purchase.refunded]
        if not open_purchases:
            return self.adjust()
        purchase = self.random.choice(open_purchases)
        half = purchase.amount // 2
        body = {"refund_id": self.new_id("r"), "amount": f"{half}.00"}
        response = self.call("POST", f"/v1/purchases/{purchase.order_id}/refunds", body)
        if self.expect(response, {201}, f"refund {purchase.order_id} {body}"):
            assert response is not None
            clawed = response.json()["points_clawed_back"]
            if clawed != half:
                self.model.error(f"refund of {purchase.order_id} took {clawed} points, not {half}")
            purchase.refunded = True
            self.model.credit(purchase.member_id, -half)
        return None

    def adjust(self) -> None:
        member_id = self.member()
        points = self.random.choice([-5, -3, -1, 1, 2, 10])
        body = {"adjustment_id": self.new_id("a"), "points": points, "reason": "load"}
        response = self.call("POST", f"/v1/members/{member_id}/adjustments", body, admin=True)
        # A deduction beyond what is available is refused with 409 and changes nothing.
        if self.expect(response, {201, 409} if points < 0 else {201}, f"adjust {member_id} {body}"):
            assert response is not None
            if response.status_code == 201:
                self.model.credit(member_id, points)
            elif "insufficient" not in response.json().get("type", ""):
                self.model.error(f"adjust {member_id} {body}: {response.text[:300]}")

    def replay(self) -> None:
        if not self.purchases:
            return self.enrol()
        purchase = self.random.choice(self.purchases)
        response = self.call("POST", "/v1/purchases", purchase.body())
        if self.expect(response, {201}, f"replayed purchase {purchase.body()}"):
            assert response is not None
            if response.json() != purchase.response:
                self.model.error(f"replay of {purchase.order_id}: {response.json()} != {purchase.response}")
        return None


class QueueClient:
    """Purchases through the SQS queue, some of them sent twice, as the budget's clock runs."""

    def __init__(self, sqs: Any, queue_url: str, tenant: Tenant, members: list[str], model: Model) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.tenant = tenant
        self.members = members
        self.model = model
        self.random = random.Random(99)

    def run(self, start: threading.Barrier) -> None:
        start.wait(30)
        for number in range(QUEUED_PURCHASES):
            purchase = Purchase(
                f"q-{number}-{uuid.uuid4().hex[:8]}", self.random.choice(self.members), 2 * (number + 1)
            )
            message = json.dumps({"tenant_id": self.tenant.tenant_id, **purchase.body()})
            copies = 2 if number % 5 == 0 else 1
            try:
                for _ in range(copies):
                    self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=message)
            except Exception as error:
                self.model.error(f"queueing {message}: {error!r}")
                continue
            self.model.credit(purchase.member_id, purchase.amount, purchase.order_id)
            time.sleep(DURATION / QUEUED_PURCHASES / 2)


def queue_depths(stack: Any) -> dict[str, int]:
    listed = stack.call("GET", "/_local/queues", key=None).json()["queues"]
    return {queue["name"].rsplit("-", 1)[-1]: queue["depth"] for queue in listed}


def ledger(stack: Any, tenant: Tenant, member_id: str) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        query = f"?limit=100&cursor={cursor}" if cursor else "?limit=100"
        page = stack.call("GET", f"/v1/members/{member_id}/transactions{query}", key=tenant.server_key)
        assert page.status_code == 200, page.text
        yield from page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return


@pytest.fixture
def tenant(stack) -> Tenant:
    """A tenant of its own, with the default program, so the model knows every rule in play."""
    tenant_id = f"load-{uuid.uuid4().hex[:8]}"
    created = stack.call("POST", "/v1/tenants", {"tenant_id": tenant_id, "name": "Load"}, key=OPERATOR_KEY)
    assert created.status_code == 201, created.text
    return Tenant(tenant_id, created.json()["admin_key"], created.json()["server_key"])


def enrol(stack: Any, tenant: Tenant, model: Model, prefix: str, count: int) -> list[str]:
    members = [f"{prefix}-{number}-{uuid.uuid4().hex[:6]}" for number in range(count)]
    for member_id in members:
        enrolled = stack.call("POST", "/v1/members", {"member_id": member_id}, key=tenant.server_key)
        assert enrolled.status_code == 201, enrolled.text
        model.credit(member_id, SIGNUP_BONUS)
    return members


def test_concurrent_clients_and_the_queue_lose_and_double_nothing(stack, sqs, tenant):
    # Given shared members, members only the queue buys for, and purchases every client sends at once
    model = Model()
    shared = enrol(stack, tenant, model, "shared", SHARED_MEMBERS)
    queue_only = enrol(stack, tenant, model, "queued", 2)
    shared_orders = [
        Purchase(f"together-{n}-{uuid.uuid4().hex[:6]}", shared[n], 20 + 2 * n) for n in range(2)
    ]
    dead_letters_before = queue_depths(stack)["PurchaseDeadLetterQueue"]
    clients = [Client(number, stack.url, tenant, shared, model) for number in range(CLIENTS)]
    queue = QueueClient(sqs, stack.queue_urls()["PurchaseQueue"], tenant, shared + queue_only, model)

    # When the clients and the queue run together for a bounded time and number of requests
    budget = Budget(MAX_REQUESTS, DURATION)
    start = threading.Barrier(CLIENTS + 1)
    threads = [threading.Thread(target=client.run, args=(budget, shared_orders, start)) for client in clients]
    threads.append(threading.Thread(target=queue.run, args=(start,)))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DURATION + 60)
    assert not any(thread.is_alive() for thread in threads), "a client did not finish"
    took = time.monotonic() - began

    def drained():
        """the purchase queue is empty and every queued order is in its member's ledger"""
        if queue_depths(stack)["PurchaseQueue"] != 0:
            return False
        return all(
            any(entry.get("order_id") == order_id for entry in ledger(stack, tenant, member_id))
            for order_id, member_id in model.orders.items()
            if order_id.startswith("q-")
        )

    eventually(drained, timeout=DRAIN_TIMEOUT, interval=0.5)

    # Then nothing failed: no 5xx, no unexpected answer, nothing dead-lettered
    sent = sum(model.statuses.values())
    assert not model.errors, f"{len(model.errors)} unexpected answers of {sent}:\n" + "\n".join(
        model.errors[:20]
    )
    assert not [status for status in model.statuses if status.rsplit(" ", 1)[1].startswith("5")], (
        model.statuses
    )
    assert queue_depths(stack)["PurchaseDeadLetterQueue"] == dead_letters_before
    assert sent >= CLIENTS * 2, f"only {sent} requests in {took:.1f} s: {model.statuses}"

    # And every member's balance is exactly the model's, and its ledger adds up to it
    for member_id, expected in sorted(model.points.items()):
        member = stack.call("GET", f"/v1/members/{member_id}", key=tenant.server_key).json()
        balance = member["balance"]
        assert balance["pending"] == 0, member
        assert balance["held"] == 0, member
        assert balance["available"] >= 0, member
        assert balance["available"] - member["debt"] == expected, f"{member_id}: {member}, model {expected}"
        entries = list(ledger(stack, tenant, member_id))
        assert sum(entry["points"] for entry in entries) == balance["available"], (member, entries)
        credited = Counter(
            entry["order_id"] for entry in entries if entry["type"] == "earn" and entry.get("order_id")
        )
        mine = {order_id for order_id, owner in model.orders.items() if owner == member_id}
        assert set(credited) >= mine, f"{member_id}: orders never credited: {mine - set(credited)}"
        assert all(count == 1 for order_id, count in credited.items() if order_id in mine), credited
