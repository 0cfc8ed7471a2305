"""Conversions between inventory's DTOs and its protobuf messages, used by the servicer and the client alike."""
from __future__ import annotations

from ...api import Availability, Reservation, StockLine
from . import inventory_pb2 as pb


def line_items(lines) -> list[pb.LineItem]:
    return [pb.LineItem(product_id=line.sku, quantity=line.quantity) for line in lines]


def stock_lines(items) -> tuple[StockLine, ...]:
    return tuple(StockLine(sku=item.product_id, quantity=item.quantity) for item in items)


def reservation_message(reservation: Reservation) -> pb.ReservationResponse:
    return pb.ReservationResponse(
        success=True, reservation_id=reservation.reservation_id, order_id=reservation.order_id,
        status=reservation.status, items=line_items(reservation.lines),
    )


def reservation_dto(message: pb.ReservationResponse) -> Reservation:
    return Reservation(
        reservation_id=message.reservation_id, order_id=message.order_id, status=message.status,
        lines=stock_lines(message.items),
    )


def availability_message(availability: Availability) -> pb.Availability:
    return pb.Availability(sku=availability.sku, available=availability.available, reserved=availability.reserved)


def availability_dto(message: pb.Availability) -> Availability:
    return Availability(sku=message.sku, available=message.available, reserved=message.reserved)
