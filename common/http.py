"""The HTTP edge the storefront and the internal endpoints share: bounded JSON bodies, one error shape, a correlation id.

Every 4xx and 5xx answered under /api/ and /internal/ is `common.errors.error_json` (docs/edges.md):
DRF's exceptions, domain errors, Django's 404/400/403/500 handlers and any unexpected exception,
which is logged with the request's correlation id (also sent back in the X-Correlation-ID header).
"""
from __future__ import annotations

import logging
import re
import sys
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import BoundaryUnavailable, DomainError, bounded, error_json
from common.parsers import PayloadTooLarge



logger = logging.getLogger("shop.errors")
CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_META = "HTTP_X_CORRELATION_ID"
_SAFE_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # anything else is replaced, never echoed
JSON_PREFIXES = ("/api/", "/internal/")


# --- correlation id ---------------------------------------------------------------------------


class CorrelationIdMiddleware:
    """Gives every request a correlation id (the caller's X-Correlation-ID when sane, else a new one) and echoes it;
    refuses a NUL character in the path or query under the API prefixes (no database text column takes one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        correlation_id = correlation_id_of(request)
        request.META[_CORRELATION_META] = correlation_id  # later middleware (the outbox's) reads the same id
        if request.path.startswith(JSON_PREFIXES) and ("\x00" in request.path or any(
                "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())):
            return _json(request, 400, "invalid", "NUL characters are not accepted.")
        response = self.get_response(request)
        response[CORRELATION_HEADER] = correlation_id
        return response


def correlation_id_of(request) -> str:
    """The request's correlation id; a fresh one when it sent none or one unfit to echo."""
    presented = request.META.get(_CORRELATION_META, "")
    return presented if _SAFE_CORRELATION.match(presented) else str(uuid.uuid4())


# --- one error shape --------------------------------------------------------------------------


def flatten_field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested validation errors as {"lines.0.quantity": ["message", ...]}: one shape, however deep."""
    non_field = api_settings.NON_FIELD_ERRORS_KEY
    flat: dict[str, list[str]] = {}

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                # A nested serializer's own errors belong to its field ("lines", not "lines.non_field_errors").
                walk(value, path if key == non_field and path else f"{path}.{key}" if path else str(key))
        elif isinstance(node, list) and any(isinstance(item, (dict, list)) for item in node):
            for index, value in enumerate(node):
                walk(value, f"{path}.{index}" if path else str(index))
        elif node not in ({}, [], None, ""):  # an empty entry is a list item that was fine
            messages = node if isinstance(node, list) else [node]
            flat.setdefault(path or non_field, []).extend(bounded(str(message)) for message in messages)

    walk(detail, "")
    return flat


def error_response(exc, request) -> Response:
    """The answer for any exception raised while serving an API request, in the one error shape."""
    correlation_id = correlation_id_of(request) if request is not None else str(uuid.uuid4())
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request could not be read.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, DomainError):
        return Response(error_json(code=exc.code, detail=exc.message, details=_bounded_details(exc.details),
                                   correlation_id=correlation_id), status=exc.http_status)
    if isinstance(exc, BoundaryUnavailable):
        logger.warning("boundary unavailable [correlation_id=%s]: %s", correlation_id, exc)
        return Response(error_json(code="boundary_unavailable", detail=f"{exc.boundary} is unavailable; retry shortly.",
                                   details={"boundary": exc.boundary}, correlation_id=correlation_id),
                        status=503, headers={"Retry-After": "5"})
    if isinstance(exc, exceptions.APIException):
        drf_answer = drf_exception_handler(exc, {"request": request, "view": None})
        headers = {k: v for k, v in (drf_answer.headers.items() if drf_answer else ()) if k in ("WWW-Authenticate", "Retry-After")}
        return Response(_api_exception_json(exc, correlation_id), status=exc.status_code, headers=headers)
    logger.error("unexpected error [correlation_id=%s]", correlation_id, exc_info=(type(exc), exc, exc.__traceback__))
    return Response(_server_error_json(correlation_id), status=500)


def _api_exception_json(exc: exceptions.APIException, correlation_id: str) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        return error_json(code="invalid", detail="The request is invalid; details.fields says what is wrong.",
                          details={"fields": flatten_field_errors(exc.detail)}, correlation_id=correlation_id)
    details = {"retry_after": exc.wait} if isinstance(exc, exceptions.Throttled) and exc.wait is not None else {}
    code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else exc.default_code
    return error_json(code=str(code or exc.default_code), detail=str(exc.detail), details=details,
                      correlation_id=correlation_id)


def _server_error_json(correlation_id: str) -> dict:
    return error_json(code="server_error", detail="Something went wrong on our side; quote the correlation id.",
                      correlation_id=correlation_id)


def _bounded_details(details: dict) -> dict:
    return {key: bounded(value) if isinstance(value, str) else value for key, value in details.items()}


# --- Django's own error views, JSON under the API prefixes --------------------------------------


def _wants_json(request) -> bool:
    return request.path.startswith(JSON_PREFIXES) or not settings.ROOT_URLCONF.startswith("config.")


def _json(request, status: int, code: str, detail: str) -> JsonResponse:
    correlation_id = correlation_id_of(request)
    response = JsonResponse(error_json(code=code, detail=detail, correlation_id=correlation_id), status=status)
    response[CORRELATION_HEADER] = correlation_id
    return response


def not_found(request, exception=None):
    """handler404: JSON under /api/ and /internal/, Django's page elsewhere."""
    if _wants_json(request):
        return _json(request, 404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """handler400: JSON under /api/ and /internal/ (e.g. a body over Django's upload limit)."""
    if _wants_json(request):
        return _json(request, 400, "bad_request", "The request could not be read.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    """handler403."""
    if _wants_json(request):
        return _json(request, 403, "permission_denied", "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def server_error(request):
    """handler500: JSON with a correlation id (logged with the exception) under /api/ and /internal/."""
    correlation_id = correlation_id_of(request)
    logger.error("unexpected error [correlation_id=%s] %s %s", correlation_id, request.method, request.path,
                 exc_info=sys.exc_info()[0] is not None)
    if _wants_json(request):
        response = JsonResponse(_server_error_json(correlation_id), status=500)
        response[CORRELATION_HEADER] = correlation_id
        return response
    return defaults.server_error(request)
