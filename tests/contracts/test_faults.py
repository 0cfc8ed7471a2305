"""Fault injection, timeouts and retries apply on the caller's side whatever the transport (Istio-style)."""
import time
import uuid

import pytest

from common.errors import BoundaryTimeout
from common.resilience.faults import InjectedAbort
from inventory.api import StockLine, get_inventory_api

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inventory_policy(settings):
    base = settings.RESILIENCE

    def set_policy(**policy):
        boundaries = {**base["boundaries"], "inventory": {"operations": {
            "reserve_items": {"idempotent": True, **policy}, "get_availability": {"idempotent": True, **policy}}}}
        settings.RESILIENCE = {**base, "boundaries": boundaries}

    return set_policy


def test_an_injected_abort_fails_the_call_without_reaching_the_far_side(transport, catalog, inventory_policy):
    inventory_policy(fault={"abort": {"percentage": 100, "http_status": 503}},
                     retry={"attempts": 2, "backoff_initial": 0.01})
    with pytest.raises(InjectedAbort) as raised:
        get_inventory_api().reserve_items(order_id=str(uuid.uuid4()), lines=[StockLine("MUG", 1)])
    assert raised.value.http_status == 503
    inventory_policy()
    assert {a.sku: a.available for a in get_inventory_api().get_availability(skus=["MUG"])} == {"MUG": 10}


def test_an_injected_delay_is_cut_by_the_per_try_timeout_and_retried(transport, catalog, inventory_policy):
    inventory_policy(fault={"delay": {"percentage": 100, "fixed_delay": 2.0}}, per_try_timeout=0.1, timeout=0.35,
                     retry={"attempts": 3, "backoff_initial": 0.01, "backoff_max": 0.01})
    started = time.perf_counter()
    with pytest.raises(BoundaryTimeout):
        get_inventory_api().reserve_items(order_id=str(uuid.uuid4()), lines=[StockLine("MUG", 1)])
    assert time.perf_counter() - started < 1.0  # three tries of 0.1 s, not 2 s each


def test_a_delay_below_the_timeout_just_slows_the_call(transport, catalog, inventory_policy):
    inventory_policy(fault={"delay": {"percentage": 100, "fixed_delay": 0.2}}, per_try_timeout=1.0)
    started = time.perf_counter()
    reservation = get_inventory_api().reserve_items(order_id=str(uuid.uuid4()), lines=[StockLine("MUG", 2)])
    assert time.perf_counter() - started >= 0.2
    assert reservation.status == "active"
