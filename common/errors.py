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
    def from_dict(cls, data: dict) -> DomainError:
        """Rebuild the error a remote side raised; unknown codes become a plain DomainError."""
        error_class = cls._registry.get(data.get("code", ""), DomainError)
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
