"""Maps domain and boundary errors to clear JSON error responses for the storefront API."""
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.errors import BoundaryUnavailable, DomainError


def error_body(error: DomainError) -> dict:
    """The JSON body for a domain error: a stable code, a sentence, and field-level details."""
    return {"code": error.code, "detail": error.message, "details": error.details}


def api_exception_handler(exc, context):
    """DRF's handler, plus domain errors by their HTTP status and boundary failures as 503."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc), status=exc.http_status)
    if isinstance(exc, BoundaryUnavailable):
        return Response(
            {"code": "boundary_unavailable", "detail": str(exc), "details": {"boundary": exc.boundary}},
            status=503, headers={"Retry-After": "5"},
        )
    return exception_handler(exc, context)
