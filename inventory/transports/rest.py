"""Inventory's internal REST endpoints (mounted at /internal/inventory/) and the RestInventoryApi client."""
from __future__ import annotations

from collections.abc import Sequence

from common.transports.rest import Operation, RestClient, internal_urlpatterns

from ..api import Availability, InventoryApi, Reservation, StockLine
from .local import LocalInventoryApi

OPERATIONS = (
    Operation("reserve_items", "POST", "reservations/", status=201),
    Operation("release_items", "DELETE", "reservations/<str:order_id>/", status=204),
    Operation("keep_reservation", "POST", "reservations/<str:order_id>/keep/", status=204),
    Operation("get_availability", "GET", "availability/"),
    Operation("restock", "POST", "stock/<str:sku>/restock/"),
)

urlpatterns = internal_urlpatterns("inventory", InventoryApi, LocalInventoryApi(), OPERATIONS)


class RestInventoryApi:
    """InventoryApi over HTTP; configured by settings.BOUNDARIES['inventory'] (target, timeout, token)."""

    def __init__(self, **config):
        self._http = RestClient("inventory", InventoryApi, OPERATIONS, **config)

    def reserve_items(self, *, order_id: str, lines: Sequence[StockLine]) -> Reservation:
        return self._http.call("reserve_items", order_id=order_id, lines=lines)

    def release_items(self, *, order_id: str) -> None:
        self._http.call("release_items", order_id=order_id)

    def keep_reservation(self, *, order_id: str) -> None:
        self._http.call("keep_reservation", order_id=order_id)

    def get_availability(self, *, skus: Sequence[str]) -> list[Availability]:
        return self._http.call("get_availability", skus=skus)

    def restock(self, *, sku: str, quantity: int, reason: str) -> Availability:
        return self._http.call("restock", sku=sku, quantity=quantity, reason=reason)
