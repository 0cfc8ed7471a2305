"""Shipping's public surface: DTOs, errors, events, the ShippingApi protocol and its factory."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from common.boundaries import boundary_client
from common.errors import Conflict
from outbox.api import OrderEvent


@dataclass(frozen=True)
class Shipment:
    """A shipment of one order."""

    shipment_id: str
    order_id: str
    status: str
    pickup_date: datetime.date
    tracking_code: str


class ShipmentCalledOff(Conflict):
    """The order's shipment was called off; it cannot be scheduled again."""

    code = "shipment_called_off"


class ShipmentAlreadyDispatched(Conflict):
    """The shipment has left the warehouse and can no longer be cancelled."""

    code = "shipment_already_dispatched"


@dataclass(frozen=True, kw_only=True)
class ShipmentScheduled(OrderEvent):
    """A pickup was scheduled for an order."""

    name = "shipping.ShipmentScheduled"
    shipment_id: str
    pickup_date: datetime.date


@dataclass(frozen=True, kw_only=True)
class ShipmentCancelled(OrderEvent):
    """A scheduled shipment was called off."""

    name = "shipping.ShipmentCancelled"
    shipment_id: str


@dataclass(frozen=True, kw_only=True)
class ShipmentDispatched(OrderEvent):
    """A shipment left the warehouse."""

    name = "shipping.ShipmentDispatched"
    shipment_id: str


class ShippingApi(Protocol):
    """What other contexts may ask of shipping."""

    def schedule_shipment(self, *, order_id: str, address: str) -> Shipment:
        """Schedule a pickup for the order; idempotent per order."""

    def cancel_shipment(self, *, order_id: str) -> None:
        """Call off the order's shipment; idempotent. Raises ShipmentAlreadyDispatched."""


def get_shipping_api() -> ShippingApi:
    """The ShippingApi over the transport that settings.BOUNDARIES['shipping'] names."""
    return boundary_client("shipping", {
        "local": "shipping.transports.local.LocalShippingApi",
        "rest": "shipping.transports.rest.RestShippingApi",
        "grpc": "shipping.transports.grpc.client.GrpcShippingApi",
    })
