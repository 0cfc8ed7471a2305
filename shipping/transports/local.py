"""In-process ShippingApi: calls the services directly and returns DTOs."""
from __future__ import annotations

from .. import services
from ..api import Shipment
from ..models import Shipment as ShipmentModel


class LocalShippingApi:
    """ShippingApi in the caller's process."""

    def schedule_shipment(self, *, order_id: str, address: str) -> Shipment:
        return _shipment_dto(services.shipment_schedule(order_id=order_id, address=address))

    def cancel_shipment(self, *, order_id: str) -> None:
        services.shipment_cancel(order_id=order_id)


def _shipment_dto(shipment: ShipmentModel) -> Shipment:
    return Shipment(
        shipment_id=str(shipment.id),
        order_id=str(shipment.order_id),
        status=shipment.status,
        pickup_date=shipment.pickup_date,
        tracking_code=shipment.tracking_code,
    )
