from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ScheduleShipmentRequest(_message.Message):
    __slots__ = ("order_id", "address")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    address: str
    def __init__(self, order_id: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class CancelShipmentRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("shipment_id", "order_id", "status", "pickup_date", "tracking_code")
    SHIPMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PICKUP_DATE_FIELD_NUMBER: _ClassVar[int]
    TRACKING_CODE_FIELD_NUMBER: _ClassVar[int]
    shipment_id: str
    order_id: str
    status: str
    pickup_date: str
    tracking_code: str
    def __init__(self, shipment_id: _Optional[str] = ..., order_id: _Optional[str] = ..., status: _Optional[str] = ..., pickup_date: _Optional[str] = ..., tracking_code: _Optional[str] = ...) -> None: ...
