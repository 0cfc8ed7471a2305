"""The split profile end to end: each context its own process, inventory over gRPC, the rest over REST."""
import pytest
from django.conf import settings as django_settings

from config.settings.boundaries import SPLIT, boundaries
from inventory.api import get_inventory_api
from orders.api import get_orders_api
from tests.conftest import priced, stock_of
from tests.servers import context_servers

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_a_checkout_crosses_every_split_boundary(catalog, settings):
    with context_servers(profile="split", CELERY_TASK_ALWAYS_EAGER="1") as servers:
        env = {f"{c.upper()}_{t.upper()}_TARGET": where[t] for c, where in servers.items() for t in ("rest", "grpc")}
        settings.BOUNDARIES = boundaries("split", env, tokens=django_settings.INTERNAL_SERVICE_TOKENS, timeout=10)
        assert {c: b["transport"] for c, b in settings.BOUNDARIES.items()} == SPLIT

        order = get_orders_api().place_order(
            customer_id=1, email="c@example.com", lines=[priced("MUG", 2)], payment_token="tok_visa",
            shipping_address="1 Road",
        )
        assert order.status == "confirmed"
        assert [a.available for a in get_inventory_api().get_availability(skus=["MUG"])] == [8]
        assert stock_of("MUG") == (8, 2, 0)
