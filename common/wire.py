"""The JSON wire form of the internal APIs' DTOs, read back strictly by their type hints.

`encode` turns dataclasses, Money, dates and sequences into JSON values; `decode(type_hint, value)`
rebuilds them and raises ValidationFailed naming the field when the value does not fit the type.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import inspect
import types
import typing
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .errors import ValidationFailed
from .money import Money

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def encode(value: Any) -> Any:
    """A JSON-ready form of a DTO, Money, date, Decimal, sequence, dict or plain value."""
    if isinstance(value, Money):
        return value.to_dict()
    if dataclasses.is_dataclass(value):
        return {field.name: encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """The resolved type hints of a dataclass's fields."""
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


@functools.cache
def parameter_types(function) -> dict[str, Any]:
    """The resolved type hints of a function's keyword parameters, in order (`self` and the return left out)."""
    hints = typing.get_type_hints(function)
    names = [name for name in inspect.signature(function).parameters if name != "self"]
    return {name: hints[name] for name in names}


@functools.cache
def return_type(function) -> Any:
    """The resolved return type hint of a function."""
    return typing.get_type_hints(function).get("return")


def decode_kwargs(function, data: Any) -> dict[str, Any]:
    """The keyword arguments of `function` read from a JSON object; missing or extra keys are refused."""
    if not isinstance(data, dict):
        raise ValidationFailed("a JSON object is required", field="body")
    types_ = parameter_types(function)
    unknown = set(data) - set(types_)
    missing = set(types_) - set(data)
    if unknown or missing:
        field = sorted(unknown or missing)[0]
        raise ValidationFailed(f"{'unknown' if unknown else 'missing'} field {field!r}", field=field)
    return {name: decode(tp, data[name], field=name) for name, tp in types_.items()}


def decode(tp: Any, value: Any, *, field: str = "value") -> Any:
    """`value` read as type `tp`; ValidationFailed naming `field` when it does not fit."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return decode(inner, value, field=field)
    if origin in (tuple, list, Sequence):
        if not isinstance(value, list):
            raise _bad(field, "a list")
        item_type = typing.get_args(tp)[0]
        items = [decode(item_type, item, field=field) for item in value]
        return items if origin is list else tuple(items)
    if tp is Money:
        try:
            return Money.from_dict(value)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            raise _bad(field, "an amount and a currency") from None
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise _bad(field, "an object")
        hints = field_types(tp)
        try:
            return tp(**{name: decode(hint, value[name], field=name) for name, hint in hints.items()})
        except KeyError as missing:
            raise _bad(str(missing.args[0]), "present") from None
    if tp is datetime.datetime or tp is datetime.date:
        try:
            return tp.fromisoformat(value)
        except (TypeError, ValueError):
            raise _bad(field, "an ISO date") from None
    if tp is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise _bad(field, "an integer")
    if tp is int and not INT64_MIN <= value <= INT64_MAX:
        raise _bad(field, "a 64-bit integer")  # as gRPC's int64 and the database's bigint: never an overflow
    if tp in (str, bool) and not isinstance(value, tp):
        raise _bad(field, f"a {tp.__name__}")
    return value


def _bad(field: str, expected: str) -> ValidationFailed:
    return ValidationFailed(f"{field} must be {expected}", field=field)
