"""What an orchestrated checkout costs the database: one commit per step's record, nothing it wrote read back.

bench/checkout.py measured the gap to a bare view writing the same rows; most of it was round trips and
commits. These budgets keep the cuts (bench/RESULTS.md "Checkout"): a step's order status, log line and next
step commit together; no savepoint inside the checkout's transactions; the lines and the saga are not read again
for the answer. Real transactions (transaction=True), so BEGIN and COMMIT are what the database sees.
"""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.api import get_orders_api
from tests.conftest import priced

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.in_process_only]


def commits(statements: list[str]) -> int:
    """Transactions committed: explicit ones, plus each write run outside one (autocommit)."""
    count, open_ = 0, False
    for sql in statements:
        if sql.startswith("BEGIN"):  # SQLite: BEGIN IMMEDIATE
            open_ = True
        elif sql == "COMMIT":
            open_, count = False, count + 1
        elif not open_ and not sql.startswith("SELECT"):
            count += 1
    return count


def test_an_orchestrated_checkout_commits_once_per_step_and_reads_nothing_it_wrote(catalog, settings):
    settings.CHECKOUT_MODE = "orchestrated"
    settings.STOCK_LOW_THRESHOLD = 0  # no sku runs low: inventory reads no stock back (tests/inventory when it does)
    place = lambda: get_orders_api().place_order(  # noqa: E731
        customer_id=1, email="c@example.com", lines=[priced("MUG", 1), priced("TEE", 1)], payment_token="tok_visa",
        shipping_address="1 Road")
    place()  # the first call loads what any first call loads
    with CaptureQueriesContext(connection) as queries:
        order = place()
    assert order.status == "confirmed" and len(order.lines) == 2 and len(order.timeline) == 4
    statements = [query["sql"] for query in queries.captured_queries]
    # The order with its saga; then per step its context's own transaction and orders' record of it (the
    # confirmation, which calls no other context, recorded with the shipment's), and the charge's second call,
    # inventory keeping the paid order's stock (keep_reservation, the hold gap). Before the cuts: 15 here (a
    # step's status, log line and next step were three autocommits), 9 with the confirmation's own commit. A step's
    # record is one statement (orders/sql.py saga_record), committing alone where it sends nothing.
    assert commits(statements) == 8, "\n".join(statements)
    assert not [sql for sql in statements if sql.startswith("SAVEPOINT")], "\n".join(statements)
    # Nothing orders wrote is read back: the lines, the saga and its log (the answer's timeline), the order.
    assert not [sql for sql in statements if sql.startswith('SELECT "orders_')], "\n".join(statements)
    # Inventory reads the stock it took only when the take may have left it low (plenty here).
    assert not [sql for sql in statements if sql.startswith('SELECT "inventory_')], "\n".join(statements)
    # 40 when a step's record was BEGIN, the order's status, its log line, the saga's move, COMMIT and the order, its
    # lines and its saga three INSERTs (still on SQLite, which cannot UPDATE in a WITH): orders/sql.py.
    assert len(statements) == (28 if connection.vendor == "postgresql" else 40), "\n".join(statements)


def test_a_choreographed_step_costs_its_delivery_at_most_its_budget_of_statements(catalog, settings):
    """Each ResumeCheckout delivery, one per Celery message, counted as a worker runs it (bench/RESULTS.md)."""
    from outbox.delivery import deliver_batch
    from outbox.relay import claim, fan_out

    if connection.vendor != "postgresql":
        pytest.skip("the budgets are PostgreSQL's (SQLite reads the message and marks it done separately)")
    settings.CHECKOUT_MODE = "choreographed"
    order = get_orders_api().place_order(
        customer_id=1, email="c@example.com", lines=[priced("MUG", 1)], payment_token="tok_visa",
        shipping_address="1 Road")
    counted = []
    for _ in range(20):
        _, in_flight = fan_out(batch=100)
        for delivery_id, subscriber in in_flight + claim(batch=100):
            with CaptureQueriesContext(connection) as queries:
                deliver_batch(subscriber, [delivery_id])
            if subscriber == "orders.resume_checkout":
                counted.append(len(queries.captured_queries))
    assert get_orders_api().get_order(order_id=order.order_id).status == "confirmed"
    # reserve, charge, ship, confirm; the outbox's own 2 each (start, inbox: after_commit, no BEGIN/COMMIT around
    # it). At c9482b2: 25, 26, 20, 15 (the step let the saga wait in a transaction of its own, the order was read
    # back, each call read before it wrote); at 67dc840: 20, 18, 15, 14 (the claim was an UPDATE, then the saga and
    # its order read: now one statement; the inbox statement had a transaction of its own; inventory read the
    # stock it took back even when plenty was left); at 419a4c0: 16, 15, 12, 11 (a step's record was three statements).
    assert counted == [14, 13, 11, 9]
