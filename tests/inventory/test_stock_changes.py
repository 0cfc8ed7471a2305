"""Stock shows when it last changed: every reserve, release, adjustment and commit moves updated_at."""
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory import services
from inventory.api import StockLine
from inventory.models import StockItem

pytestmark = pytest.mark.django_db
ORDER = "00000000-0000-0000-0000-0000000000aa"


def _age(sku: str):
    """Push the sku's updated_at an hour back, returning that time."""
    past = timezone.now() - timedelta(hours=1)
    StockItem.objects.filter(sku=sku).update(updated_at=past)
    return past


@pytest.mark.parametrize("change", [
    lambda: services.stock_reserve(order_id=ORDER, lines=[StockLine("MUG", 1)]),
    lambda: services.stock_adjust(sku="MUG", delta=3, reason="delivery"),
])
def test_a_stock_change_moves_updated_at(catalog, change):
    past = _age("MUG")
    change()
    assert StockItem.objects.get(sku="MUG").updated_at > past


def test_release_and_commit_move_updated_at(catalog):
    services.stock_reserve(order_id=ORDER, lines=[StockLine("MUG", 1)])
    past = _age("MUG")
    services.stock_release(order_id=ORDER)
    assert StockItem.objects.get(sku="MUG").updated_at > past
    other = "00000000-0000-0000-0000-0000000000bb"
    services.stock_reserve(order_id=other, lines=[StockLine("MUG", 1)])
    past = _age("MUG")
    services.stock_commit(order_id=other)
    assert StockItem.objects.get(sku="MUG").updated_at > past
