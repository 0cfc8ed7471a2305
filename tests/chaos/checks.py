"""Load for the chaos shop and the books it must balance afterwards, read straight from its database."""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from tests.chaos.seed import CUSTOMERS, SKUS, STOCK, token

RESULTS = Path(__file__).resolve().parents[2] / "var" / "chaos-results.txt"


@dataclass
class Load:
    """Orders posted from a few threads, bounded in count and time."""

    statuses: dict = field(default_factory=dict)
    errors: int = 0
    count: int = 0
    accepted_at: list = field(default_factory=list)  # time.monotonic() of each 2xx answer

    def accepted(self, *, after: float = 0.0) -> int:
        """Orders answered 2xx (those answered after `after`, a time.monotonic())."""
        return sum(at > after for at in self.accepted_at)


def post_orders(url: str, *, count: int, seconds: float, clients: int = 4, stop: threading.Event | None = None) -> Load:
    """POST up to `count` orders within `seconds` (each waits for its answer); what came back."""
    load, lock = Load(), threading.Lock()
    issued = [0]
    deadline = time.monotonic() + seconds
    pool = urllib3.PoolManager(maxsize=clients, retries=False, timeout=urllib3.Timeout(total=15))
    interval = seconds / count * clients  # spread the orders over the whole window

    def client(n: int) -> None:
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            with lock:
                i, issued[0] = issued[0], issued[0] + 1
            if i >= count:
                return
            body = f'{{"lines": [{{"sku": "{list(SKUS)[i % len(SKUS)]}", "quantity": {1 + i % 3}}}], ' \
                   f'"payment_token": "tok_visa", "shipping_address": "1 Chaos Road"}}'
            started = time.monotonic()
            try:
                response = pool.request("POST", url + "/api/orders/", body=body, headers={
                    "Authorization": f"Token {token(i % CUSTOMERS)}", "Content-Type": "application/json",
                    "Idempotency-Key": str(uuid.uuid4())})
                with lock:
                    load.statuses[response.status] = load.statuses.get(response.status, 0) + 1
                    if 200 <= response.status < 300:
                        load.accepted_at.append(time.monotonic())
            except urllib3.exceptions.HTTPError:
                with lock:
                    load.errors += 1
            with lock:
                load.count += 1
                if issued[0] >= count:
                    return  # nothing left to post: no reason to wait out the interval
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return load


def unfinished(pg, database: str) -> int:
    """Orders not yet confirmed or cancelled, plus messages not yet delivered (the confirmation email follows)."""
    return pg.sql(
        "SELECT (SELECT count(*) FROM orders_order WHERE status NOT IN ('confirmed', 'cancelled'))"
        " + (SELECT count(*) FROM outbox_delivery WHERE status NOT IN ('done', 'dead'))"
        " + (SELECT count(*) FROM outbox_outboxevent WHERE dispatched_at IS NULL)", database=database)[0][0]


def wait_all_final(pg, database: str, *, timeout: float) -> float:
    """Seconds until every order is final; fails after `timeout` with what is left."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if unfinished(pg, database) == 0:
                return time.monotonic() - started
        except Exception:  # the database may still be coming back
            pass
        time.sleep(0.5)
    left = pg.sql("SELECT status, count(*) FROM orders_order WHERE status NOT IN ('confirmed', 'cancelled') "
                  "GROUP BY status", database=database)
    deliveries = pg.sql("SELECT subscriber, status, count(*), max(attempts), max(last_error) FROM outbox_delivery "
                        "WHERE status <> 'done' GROUP BY subscriber, status", database=database)
    raise AssertionError(f"orders or messages not final after {timeout}s: {left}; deliveries not done: {deliveries}")


def assert_books_balance(pg, database: str, *, dead_allowed: int = 0) -> dict:
    """Stock conserved, nothing held for a cancelled order, one charge and one email per confirmed order, and
    no order cancelled (every load pays with a good card and stock is plentiful); the counts."""
    def q(sql):
        return pg.sql(sql, database=database)

    for sku, total in q("SELECT sku, on_hand + reserved + sold FROM inventory_stockitem"):
        assert total == STOCK, f"{sku}: {total} units instead of {STOCK}"
    held = q("SELECT coalesce(sum(l.quantity), 0) FROM inventory_reservation r "
             "JOIN inventory_reservationline l ON l.reservation_id = r.id WHERE r.status = 'active'")[0][0]
    assert held == q("SELECT coalesce(sum(reserved), 0) FROM inventory_stockitem")[0][0]
    statuses = dict(q("SELECT status, count(*) FROM orders_order GROUP BY status"))
    assert set(statuses) <= {"confirmed"}, f"orders not all confirmed: {statuses}"
    assert not q("SELECT order_id FROM payments_payment WHERE status = 'charged' GROUP BY order_id "
                 "HAVING count(*) > 1"), "an order charged twice"
    assert q("SELECT count(DISTINCT order_id) FROM payments_payment WHERE status = 'charged'")[0][0] == \
        statuses.get("confirmed", 0)
    assert not q("SELECT order_id FROM notifications_notification WHERE kind = 'order_confirmation' "
                 "GROUP BY order_id HAVING count(*) > 1"), "an order confirmed by email twice"
    assert q("SELECT count(*) FROM notifications_notification WHERE kind = 'order_confirmation' "
             "AND status = 'sent'")[0][0] == statuses.get("confirmed", 0)
    dead = q("SELECT subscriber, last_error FROM outbox_delivery WHERE status = 'dead'")
    assert len(dead) <= dead_allowed, f"dead deliveries: {dead}"
    attempts = q("SELECT coalesce(max(attempts), 0) FROM outbox_delivery WHERE status = 'done'")[0][0]
    return {"orders": sum(statuses.values()), "dead": len(dead), "max_attempts": attempts}


def record(line: str) -> None:
    """Keep a measured figure (var/chaos-results.txt) for docs/operations.md."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as results:
        results.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
