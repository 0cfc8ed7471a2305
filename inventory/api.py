"""Inventory's public surface: DTOs, errors, events, the InventoryApi protocol and its factory."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from common.boundaries import boundary_client
from common.errors import Conflict, DomainError, NotFound, ValidationFailed
from outbox.api import Event, OrderEvent


@dataclass(frozen=True)
class StockLine:
    """A quantity of one sku."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    """Stock held for one order."""

    reservation_id: str
    order_id: str
    status: str
    lines: tuple[StockLine, ...]


@dataclass(frozen=True)
class Availability:
    """How many units of a sku can be reserved now."""

    sku: str
    available: int
    reserved: int


class OutOfStock(DomainError):
    """Not enough stock to reserve."""

    code = "out_of_stock"
    http_status = 409


class UnknownSku(ValidationFailed):
    """Inventory keeps no stock for this sku."""

    code = "unknown_sku"


class ReservationNotFound(NotFound):
    """No reservation has this id."""

    code = "reservation_not_found"


class ReservationClosed(Conflict):
    """The order's reservation was already released; it cannot be reserved again."""

    code = "reservation_closed"


@dataclass(frozen=True, kw_only=True)
class ItemsReserved(OrderEvent):
    """Stock was reserved for an order."""

    name = "inventory.ItemsReserved"
    reservation_id: str
    lines: tuple[StockLine, ...]


@dataclass(frozen=True, kw_only=True)
class ItemsReleased(OrderEvent):
    """A reservation was given back to stock."""

    name = "inventory.ItemsReleased"
    reservation_id: str


@dataclass(frozen=True, kw_only=True)
class ReservationExpired(OrderEvent):
    """A reservation was not turned into a sale within its hold time, so its stock was released."""

    name = "inventory.ReservationExpired"
    reservation_id: str


@dataclass(frozen=True, kw_only=True)
class StockLow(Event):
    """A sku's free stock fell below its threshold."""

    name = "inventory.StockLow"
    aggregate_type = "stock"
    aggregate_field = "sku"
    sku: str
    available: int
    threshold: int


class InventoryApi(Protocol):
    """What other contexts may ask of inventory."""

    def reserve_items(self, *, order_id: str, lines: Sequence[StockLine]) -> Reservation:
        """Reserve every line or none; idempotent per order, and asking again renews the hold.

        Raises OutOfStock, UnknownSku, ReservationClosed (released, or its hold ran out)."""

    def release_items(self, *, order_id: str) -> None:
        """Give an order's reservation back; idempotent, and a later reserve for it is refused."""

    def keep_reservation(self, *, order_id: str) -> None:
        """The order was paid: keep its reservation until it ships (no hold time any more); idempotent.

        Raises ReservationClosed if it was released first (its hold ran out), ReservationNotFound if none."""

    def get_availability(self, *, skus: Sequence[str]) -> list[Availability]:
        """Availability of the known skus among `skus`."""

    def restock(self, *, sku: str, quantity: int, reason: str) -> Availability:
        """Receive `quantity` units of `sku` into stock."""


def availability_unknown(*, error: Exception, skus: Sequence[str]) -> list[Availability]:
    """Fallback while inventory is unreachable: no figures, so the storefront shows "unknown"."""
    return []


def get_inventory_api() -> InventoryApi:
    """The InventoryApi over the transport that settings.BOUNDARIES['inventory'] names."""
    return boundary_client("inventory", {
        "local": "inventory.transports.local.LocalInventoryApi",
        "rest": "inventory.transports.rest.RestInventoryApi",
        "grpc": "inventory.transports.grpc.client.GrpcInventoryApi",
    })
