"""The order and the saga that drives its checkout commit together: a process dying right after that commit
leaves nothing behind that no sweeper finds (issue 10's crash window)."""
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import CheckoutSaga, Order
from tests.conftest import CATALOG, deliver_outbox, stock_of
from tests.orders.due import resume_due
from tests.processes import ROOT, child_env

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

# Placed in a child process that dies (os._exit: no cleanup, no except, as a kill -9 would) the moment
# its first transaction, the order's, has committed.
PLACE_AND_DIE = """
import os, django
django.setup()
from django.db import connections
from common.money import Money
from orders.api import PricedLine, get_orders_api

wrapper = type(connections["default"])
commit = wrapper.commit

def commit_and_die(self):
    commit(self)
    print("the order's transaction committed; dying now", flush=True)
    os._exit(9)

wrapper.commit = commit_and_die
order = get_orders_api().place_order(customer_id=1, email="c@example.com", payment_token="tok_visa",
    lines=[PricedLine("MUG", "Mug", 2, Money("12.50"))], shipping_address="1 Road")
print("not reached", flush=True)
"""


def place_in_a_process_that_dies(mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PLACE_AND_DIE], cwd=ROOT, env=child_env(CHECKOUT_MODE=mode),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("mode", ["orchestrated", "choreographed"])
def test_a_process_dying_right_after_the_orders_commit_leaves_a_checkout_that_finishes(mode, catalog):
    if connection.vendor != "postgresql":
        pytest.skip("a second process shares the test database on PostgreSQL only")
    before = {sku: sum(stock_of(sku)) for sku in CATALOG}
    result = place_in_a_process_that_dies(mode)
    print(result.stdout, result.stderr[-2000:])
    order = Order.objects.get()
    saga = CheckoutSaga.objects.get(pk=order.pk)  # written in the order's transaction: it cannot be missing
    assert (order.status, order.checkout, saga.step) == ("pending", mode, "reserve_stock")
    assert result.returncode == 9
    if mode == "orchestrated":
        assert not saga.waiting and saga.deadline > timezone.now()  # held by the runner that died
        CheckoutSaga.objects.filter(pk=order.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    deliver_outbox()  # choreographed: its ResumeCheckout command, committed with the order, runs it
    for _ in range(5):
        resume_due()
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert stock_of("MUG") == (8, 2, 0)
    assert {sku: sum(stock_of(sku)) for sku in CATALOG} == before


def test_a_placing_call_that_raises_right_after_the_commit_is_finished_by_the_sweeper(catalog, checkout_here,
                                                                                       monkeypatch):
    """The placing call raises in this process (checkout_here), right after the order's commit."""
    from orders import saga
    from orders.api import get_orders_api
    from tests.conftest import priced

    def boom(**kwargs):
        raise RuntimeError("the process fails right after the order's commit")

    monkeypatch.setattr(saga, "saga_run", boom)
    with pytest.raises(RuntimeError):
        get_orders_api().place_order(customer_id=1, email="c@example.com", lines=[priced("TEE", 1)],
                                     payment_token="tok_declined", shipping_address="1 Road")
    monkeypatch.undo()
    order = Order.objects.get()
    CheckoutSaga.objects.filter(pk=order.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    resume_due()
    order.refresh_from_db()
    assert (order.status, order.cancel_code) == ("cancelled", "payment_declined")
    assert stock_of("TEE") == (5, 0, 0)


def test_a_step_cut_off_by_its_database_hands_its_saga_back_at_once_not_after_its_lease(catalog, checkout_here):
    """The database drops orders' connection mid-step (a restart): the saga is up for a retry within seconds,
    not held for the step's 30 s lease; found by the chaos suite, whose restarts settled 30 s after the fault."""
    from django.db import OperationalError, connections

    from common.db import alias_for
    from orders.api import get_orders_api
    from tests.conftest import priced

    alias = alias_for("orders")
    if connections[alias].vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    orders_db = connections[alias]
    cut = []

    def cut_off_at_the_steps_record(execute, sql, params, many, context):
        # The reserve step is done in inventory; orders' first write of it is the step's record (its log line, with
        # the order's status and the saga's move: one WITH statement on PostgreSQL, orders/sql.py).
        if not cut and sql.lstrip().upper().startswith(("INSERT", "WITH")) and "orders_sagastep" in sql.replace('"', ""):
            cut.append(orders_db.connection.info.backend_pid)
            other = connections.create_connection(alias)
            try:
                with other.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [cut[0]])
            finally:
                other.close()
        return execute(sql, params, many, context)

    with orders_db.execute_wrapper(cut_off_at_the_steps_record), pytest.raises(OperationalError):
        get_orders_api().place_order(customer_id=1, email="c@example.com", lines=[priced("MUG", 2)],
                                     payment_token="tok_visa", shipping_address="1 Road")
    assert cut, "the step's record was never written"
    order = Order.objects.get()
    saga = CheckoutSaga.objects.get(pk=order.pk)
    assert (order.status, saga.step) == ("pending", "reserve_stock")  # the record rolled back with the cut
    assert saga.waiting and saga.deadline <= timezone.now() + timedelta(seconds=2), saga.deadline
    for _ in range(5):
        resume_due()
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert stock_of("MUG") == (8, 2, 0)  # reserved once, though the step ran twice
