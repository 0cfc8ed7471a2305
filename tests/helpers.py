"""What many tests do the same way: place an order through orders' port, drive the outbox in this process."""
from __future__ import annotations

from django.db import connections
from django.test import TestCase

from orders.api import Order, PricedLine, get_orders_api


def place(*lines: PricedLine, token: str = "tok_visa", customer_id: int = 1, email: str = "c@example.com",
          shipping_address: str = "1 Road") -> Order:
    """Place an order of these lines through get_orders_api(), whatever transport the test chose."""
    return get_orders_api().place_order(customer_id=customer_id, email=email, lines=list(lines), payment_token=token,
                                        shipping_address=shipping_address)


def deliver_outbox(*, rounds: int = 50) -> int:
    """Relay and handle every due message in this process, as the relay and a worker would; returns deliveries run.

    A worker's handler commits, and what it left to run after its commit (orders' handlers run the saga then)
    runs too: in a test's own transaction nothing commits, so this runs those callbacks itself."""
    from common.db import aliases, using
    from outbox.delivery import deliver_batch
    from outbox.relay import claim, fan_out

    total = 0
    for _ in range(rounds):
        work = []
        for alias in aliases():  # a relay per database (one with a single database)
            with using(alias):
                _, in_flight = fan_out(batch=1000)
                work += in_flight + claim(batch=1000)
        if not work:
            break
        by_subscriber: dict[str, list[int]] = {}
        for delivery_id, subscriber in work:
            by_subscriber.setdefault(subscriber, []).append(delivery_id)
        for subscriber, ids in by_subscriber.items():
            with TestCase.captureOnCommitCallbacks(execute=True):
                deliver_batch(subscriber, ids)
        total += len(work)
    return total


def end_session(postgres) -> int:
    """The server ends this connection's session, as a restart does, and says so on its socket; its pid."""
    with postgres.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection(postgres.alias)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()
    return pid
