"""Domain errors that keep their identity across every transport, and the transport failure family."""
from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A business rule said no. Carries a stable code and details so any transport can rebuild it."""

    code: ClassVar[str] = "domain_error"
    http_status: ClassVar[int] = 409
    _registry: ClassVar[dict[str, type[DomainError]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            DomainError._registry[cls.code] = cls

    def __init__(self, message: str = "", **details: Any):
        self.message = message or self.__class__.__doc__ or self.code
        self.details = details
        super().__init__(self.message)

    def to_dict(self) -> dict:
        """The wire form of the error."""
        return {"code": self.code, "message": self.message, "details": self.details}

    @classmethod
    def for_code(cls, code: str) -> type[DomainError] | None:
        """The error class of a code (OrderNotFound for "order_not_found"), or None for a code nobody defines."""
        return DomainError._registry.get(code)

    @classmethod
    def every_class(cls) -> list[type[DomainError]]:
        """Every error class that defines a code, DomainError itself first."""
        return [DomainError, *DomainError._registry.values()]

    @classmethod
    def from_dict(cls, data: dict) -> DomainError:
        """Rebuild the error a remote side raised; unknown codes become a plain DomainError."""
        error_class = cls.for_code(data.get("code", "")) or DomainError
        return error_class(data.get("message", ""), **(data.get("details") or {}))

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash((type(self), self.message))


class NotFound(DomainError):
    """The thing asked for does not exist (or is not yours to see)."""

    code = "not_found"
    http_status = 404


class ValidationFailed(DomainError):
    """The request broke a rule of the receiving context; details name the fields."""

    code = "validation_failed"
    http_status = 400


QUANTITY_MAX = 1_000_000  # units in one line, reservation or restock: far below any integer column's limit
STOCK_MAX = 1_000_000_000  # units of a sku on hand: below PostgreSQL's integer (2**31 - 1) with room for one more restock


def check_range(value: int, *, field: str, low: int, high: int, **details: Any) -> None:
    """Refuse an integer outside [low, high] with ValidationFailed naming the field, before it reaches a database."""
    if not low <= value <= high:
        raise ValidationFailed(f"{field} must be between {low} and {high}", field=field, **details)


class Conflict(DomainError):
    """The request is valid but the current state does not allow it."""

    code = "conflict"
    http_status = 409


class NotYetKnown(Exception):
    """A message arrived before the one it follows (e.g. ItemsReserved before OrderPlaced); retry it later."""


class BoundaryUnavailable(Exception):
    """A call across a boundary failed in transport: refused, timed out, or the far side broke."""

    retryable = True  # worth another try, if the operation is safe to repeat

    def __init__(self, boundary: str, reason: str, *, http_status: int | None = None,
                 grpc_status: str | None = None):
        self.boundary = boundary
        self.reason = reason
        self.http_status = http_status
        self.grpc_status = grpc_status
        super().__init__(f"{boundary} unavailable: {reason}")


class BoundaryTimeout(BoundaryUnavailable):
    """The call ran out of time (its timeout or the caller's deadline); the far side may still have acted."""


class BoundaryConnectionFailed(BoundaryUnavailable):
    """No connection could be made or kept (refused, reset, gRPC UNAVAILABLE)."""


class BoundaryServerError(BoundaryUnavailable):
    """The far side answered with a failure of its own (5xx, INTERNAL) or an answer this side cannot read."""


class BoundaryUnauthenticated(BoundaryUnavailable):
    """The far side refused this side's service credentials: a configuration error, not worth retrying."""

    retryable = False


# --- The one JSON shape of every error answer, public and internal (docs/edges.md) -------------

MAX_DETAIL_CHARS = 300  # a message echoes input at most this long, so an error never grows with the attack


def bounded(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """`text` cut to `limit` characters (with an ellipsis), so hostile input is never echoed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_json(*, code: str, detail: str, details: dict | None = None, correlation_id: str = "") -> dict:
    """{"code", "detail", "details", "correlation_id"}: the body of every 4xx and 5xx the shop answers."""
    return {"code": code, "detail": bounded(detail), "details": details or {}, "correlation_id": correlation_id}


def domain_error_from_json(body: dict) -> DomainError:
    """The DomainError an internal endpoint answered with, rebuilt from its error_json body."""
    return DomainError.from_dict({"code": body["code"], "message": body["detail"], "details": body["details"]})
