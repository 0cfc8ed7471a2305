"""Conversions between orders' DTOs and its protobuf messages, used by the servicer and the client alike."""
from __future__ import annotations

import datetime
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from common.money import Money

from ...api import Order, OrderLine, OrderPage, PricedLine, TimelineEntry
from . import orders_pb2 as pb


def money_message(money: Money) -> pb.Money:
    return pb.Money(amount=str(money.amount), currency=money.currency)


def money_dto(message: pb.Money) -> Money:
    return Money(Decimal(message.amount), message.currency)


def timestamp(moment: datetime.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def priced_line_message(line: PricedLine) -> pb.PricedLine:
    return pb.PricedLine(sku=line.sku, name=line.name, quantity=line.quantity, unit_price=money_message(line.unit_price))


def priced_line_dto(message: pb.PricedLine) -> PricedLine:
    return PricedLine(sku=message.sku, name=message.name, quantity=message.quantity,
                      unit_price=money_dto(message.unit_price))


def order_message(order: Order) -> pb.Order:
    return pb.Order(
        order_id=order.order_id, customer_id=order.customer_id, status=order.status,
        lines=[
            pb.OrderLine(sku=line.sku, name=line.name, quantity=line.quantity,
                         unit_price=money_message(line.unit_price), line_total=money_message(line.line_total))
            for line in order.lines
        ],
        total=money_message(order.total), cancel_reason=order.cancel_reason, cancel_code=order.cancel_code,
        created_at=timestamp(order.created_at), updated_at=timestamp(order.updated_at),
        timeline=[pb.TimelineEntry(at=timestamp(e.at), kind=e.kind, name=e.name, outcome=e.outcome, detail=e.detail)
                  for e in order.timeline],
        shipping_address=order.shipping_address,
    )


def order_dto(message: pb.Order) -> Order:
    return Order(
        order_id=message.order_id, customer_id=message.customer_id, status=message.status,
        lines=tuple(
            OrderLine(sku=line.sku, name=line.name, quantity=line.quantity,
                      unit_price=money_dto(line.unit_price), line_total=money_dto(line.line_total))
            for line in message.lines
        ),
        total=money_dto(message.total), cancel_reason=message.cancel_reason, cancel_code=message.cancel_code,
        created_at=message.created_at.ToDatetime(tzinfo=datetime.timezone.utc),
        updated_at=message.updated_at.ToDatetime(tzinfo=datetime.timezone.utc),
        timeline=tuple(
            TimelineEntry(at=e.at.ToDatetime(tzinfo=datetime.timezone.utc), kind=e.kind, name=e.name,
                          outcome=e.outcome, detail=e.detail)
            for e in message.timeline
        ),
        shipping_address=message.shipping_address,
    )


def page_message(page: OrderPage) -> pb.OrderPage:
    return pb.OrderPage(orders=[order_message(order) for order in page.orders], count=page.count)


def page_dto(message: pb.OrderPage) -> OrderPage:
    return OrderPage(orders=tuple(order_dto(order) for order in message.orders), count=message.count)
