from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProductReviewsRequest(_message.Message):
    __slots__ = ("sku", "limit")
    SKU_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    limit: int
    def __init__(self, sku: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ProductReviewsReply(_message.Message):
    __slots__ = ("sku", "available", "count", "rating_sum", "reviews")
    SKU_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    RATING_SUM_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    sku: str
    available: bool
    count: int
    rating_sum: int
    reviews: _containers.RepeatedCompositeFieldContainer[Review]
    def __init__(self, sku: _Optional[str] = ..., available: _Optional[bool] = ..., count: _Optional[int] = ..., rating_sum: _Optional[int] = ..., reviews: _Optional[_Iterable[_Union[Review, _Mapping]]] = ...) -> None: ...

class PostReviewRequest(_message.Message):
    __slots__ = ("sku", "customer_id", "rating", "text")
    SKU_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    customer_id: int
    rating: int
    text: str
    def __init__(self, sku: _Optional[str] = ..., customer_id: _Optional[int] = ..., rating: _Optional[int] = ..., text: _Optional[str] = ...) -> None: ...

class Review(_message.Message):
    __slots__ = ("review_id", "sku", "customer_id", "rating", "text", "created_at")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    sku: str
    customer_id: int
    rating: int
    text: str
    created_at: str
    def __init__(self, review_id: _Optional[str] = ..., sku: _Optional[str] = ..., customer_id: _Optional[int] = ..., rating: _Optional[int] = ..., text: _Optional[str] = ..., created_at: _Optional[str] = ...) -> None: ...
