"""A saga whose database goes away as a choreographed step is claimed waits seconds for it, not its whole lease.

Found by tests/chaos (a database restart mid-load, choreographed): a ResumeCheckout's delivery is recorded before its
saga runs (orders/handlers.py, after_commit), so a claim cut off by the restart lost the step until the saga's lease
ran out (30 s) and beat's sweeper resumed it."""
import pytest
from django.db import connections

from common.db import alias_for
from orders.api import get_orders_api
from tests.conftest import priced
from tests.helpers import deliver_outbox, end_session, place

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_step_whose_claim_meets_an_ended_session_runs_once_the_database_answers(catalog, checkout_here, settings,
                                                                                 monkeypatch):
    orders_db = connections[alias_for("orders")]
    if orders_db.vendor != "postgresql":
        pytest.skip("the server ends a PostgreSQL session")
    from orders import saga

    settings.CHECKOUT_MODE = "choreographed"
    order = place(priced("MUG", 1))
    assert order.status == "pending"
    claim, ended = saga.saga_claim, []

    def claim_after_a_restart(**kwargs):
        if not ended:  # the first claim runs on a connection whose session the server ended, as a restart does
            ended.append(end_session(orders_db))
        return claim(**kwargs)

    monkeypatch.setattr(saga, "saga_claim", claim_after_a_restart)
    deliver_outbox()
    assert ended
    # Before: OperationalError in the handler, logged; the saga waited for its lease and the order stayed pending.
    assert get_orders_api().get_order(order_id=order.order_id).status == "confirmed"
