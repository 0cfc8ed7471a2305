"""In-process InventoryApi: calls the services directly and returns DTOs, never models."""
from __future__ import annotations

from collections.abc import Sequence

from common.errors import QUANTITY_MAX, STOCK_MAX, ValidationFailed, check_range

from .. import selectors, services
from ..api import Availability, Reservation, StockLine
from ..models import Reservation as ReservationModel
from ..models import StockItem

SKU_MAX_LENGTH = StockItem._meta.get_field("sku").max_length


class LocalInventoryApi:
    """InventoryApi in the caller's process."""

    def reserve_items(self, *, order_id: str, lines: Sequence[StockLine]) -> Reservation:
        for line in lines:  # bounded here, at the edge every transport passes, before any arithmetic on stock
            check_range(line.quantity, field="quantity", low=-QUANTITY_MAX, high=QUANTITY_MAX, sku=line.sku)
        return _reservation_dto(services.stock_reserve(order_id=order_id, lines=lines))

    def release_items(self, *, order_id: str) -> None:
        services.stock_release(order_id=order_id)

    def keep_reservation(self, *, order_id: str) -> None:
        services.stock_keep_for_sale(order_id=order_id)

    def get_availability(self, *, skus: Sequence[str]) -> list[Availability]:
        return [_availability_dto(item) for item in selectors.stock_availability(skus=skus)]

    def restock(self, *, sku: str, quantity: int, reason: str) -> Availability:
        if quantity <= 0:
            raise ValidationFailed("restock quantity must be positive", field="quantity", sku=sku)
        check_range(quantity, field="quantity", low=1, high=QUANTITY_MAX, sku=sku)
        if not 0 < len(sku) <= SKU_MAX_LENGTH:  # a restock creates the sku: never a value its column cannot hold
            raise ValidationFailed(f"a sku is 1 to {SKU_MAX_LENGTH} characters", field="sku")
        on_hand = StockItem.objects.filter(sku=sku).values_list("on_hand", flat=True).first() or 0
        if on_hand + quantity > STOCK_MAX:
            raise ValidationFailed(f"stock of a sku may not exceed {STOCK_MAX} units", field="quantity", sku=sku)
        return _availability_dto(services.stock_adjust(sku=sku, delta=quantity, reason=reason, actor="restock"))


def _reservation_dto(reservation: ReservationModel) -> Reservation:
    return Reservation(
        reservation_id=str(reservation.id),
        order_id=str(reservation.order_id),
        status=reservation.status,
        lines=getattr(reservation, "reserved_lines", None)
        or tuple(StockLine(line.sku, line.quantity) for line in reservation.lines.order_by("sku")),
    )


def _availability_dto(item: StockItem) -> Availability:
    return Availability(sku=item.sku, available=item.on_hand, reserved=item.reserved)
