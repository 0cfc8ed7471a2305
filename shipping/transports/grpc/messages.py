"""Conversions between shipping's DTOs and its protobuf messages, used by the servicer and the client alike."""
from __future__ import annotations

import datetime

from ...api import Shipment
from . import shipping_pb2 as pb


def shipment_message(shipment: Shipment) -> pb.Shipment:
    return pb.Shipment(
        shipment_id=shipment.shipment_id, order_id=shipment.order_id, status=shipment.status,
        pickup_date=shipment.pickup_date.isoformat(), tracking_code=shipment.tracking_code,
    )


def shipment_dto(message: pb.Shipment) -> Shipment:
    return Shipment(
        shipment_id=message.shipment_id, order_id=message.order_id, status=message.status,
        pickup_date=datetime.date.fromisoformat(message.pickup_date), tracking_code=message.tracking_code,
    )
