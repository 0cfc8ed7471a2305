"""How a domain error's HTTP status maps to a gRPC status code (each client maps its own transport failures)."""
from __future__ import annotations

import grpc

from common.errors import DomainError

GRPC_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    402: grpc.StatusCode.FAILED_PRECONDITION,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def grpc_code(error: DomainError) -> grpc.StatusCode:
    """The gRPC status code that carries `error` (its details travel in trailing metadata)."""
    return GRPC_CODES.get(error.http_status, grpc.StatusCode.FAILED_PRECONDITION)
