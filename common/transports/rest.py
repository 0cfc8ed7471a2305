"""REST plumbing: the internal DRF view serving a context's local API, and the pooled urllib3 client calling it.

A context lists its operations once (`Operation("reserve_items", "POST", "reservations/")`); the same
table builds its URL patterns and drives its client, so the two sides cannot disagree on a path.
Requests and answers are the DTOs' JSON wire form (common.wire), read back by the Protocol's hints.
"""
from __future__ import annotations

import json
import re
import typing
from collections import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

import urllib3
from django.urls import path
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from common import deadlines, wire
from common.errors import (
    BoundaryConnectionFailed,
    BoundaryServerError,
    BoundaryTimeout,
    BoundaryUnauthenticated,
    DomainError,
    ValidationFailed,
    domain_error_from_json,
)
from common.runtime import runtime

from . import auth, rest_schema
from .rest_schema import InternalSchemaView
from common.http import error_response
from common.parsers import InternalJSONParser

DOMAIN_ERROR_HEADER = "X-Domain-Error"  # set on answers that carry a DomainError, so a proxy's 404/503 is not one
_PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    """One method of a context's API as an HTTP endpoint: method name, HTTP verb, path, success status."""

    name: str
    verb: str
    path: str
    status: int = 200

    def path_parameters(self) -> list[str]:
        return _PATH_PARAMETER.findall(self.path)


# --- server side ------------------------------------------------------------------------------


class ServiceTokenAuthentication(BaseAuthentication):
    """Accepts the calling service when it presents the served context's token; refuses with 401 otherwise."""

    def authenticate(self, request):
        view = request.parser_context["view"]
        if not auth.is_authorised(view.context, request.META.get("HTTP_AUTHORIZATION")):
            raise exceptions.AuthenticationFailed("a valid service token is required")
        return (None, view.context)

    def authenticate_header(self, request):
        return 'Bearer realm="internal"'


class DeadlinePassed(exceptions.APIException):
    """The caller's deadline had passed when its request arrived: nothing was done."""

    status_code = 504
    default_code = "deadline_passed"
    default_detail = "the caller's deadline has passed"


class InternalApiView(APIView):
    """Serves the operations of one path by calling the context's local implementation."""

    authentication_classes = [ServiceTokenAuthentication]
    permission_classes: list = []
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]
    parser_classes = [InternalJSONParser]

    context: str = ""
    protocol: type = object
    local_api: object = None
    operations: dict[str, Operation] = {}

    def get_operation(self, request) -> Operation:
        try:
            return self.operations[request.method]
        except KeyError:
            raise exceptions.MethodNotAllowed(request.method) from None

    def handle(self, request, **path_values):
        operation = self.get_operation(request)
        function = getattr(self.protocol, operation.name)
        data = _query_data(function, request.query_params) if request.method == "GET" else (request.data or {})
        if not isinstance(data, dict):
            raise ValidationFailed("the body must be a JSON object", field="body")
        kwargs = wire.decode_kwargs(function, {**data, **path_values})
        budget = request.META.get("HTTP_" + deadlines.HEADER.upper().replace("-", "_"))
        seconds = _seconds(budget)
        if seconds is not None and seconds <= 0:
            raise DeadlinePassed()
        with deadlines.deadline_scope(seconds):
            result = getattr(self.local_api, operation.name)(**kwargs)
        if operation.status == 204:
            return Response(status=204)
        return Response(wire.encode(result), status=operation.status)

    get = post = put = patch = delete = handle

    def perform_content_negotiation(self, request, force=False):
        # Callers are our own clients and speak JSON only: no Accept header to parse on every call.
        renderer = self.renderer_classes[0]()
        return renderer, renderer.media_type

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # With a Content-Length gunicorn sends the body as is rather than chunked, and the client reads it in one go.
        if isinstance(response, Response):
            response.render()
            response["Content-Length"] = str(len(response.content))
        return response

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.ParseError):
            exc = ValidationFailed(f"malformed request: {exc.detail}", field="body")
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            exc.auth_header = self.get_authenticate_header(self.request)
        response = error_response(exc, self.request)
        if isinstance(exc, DomainError):
            response[DOMAIN_ERROR_HEADER] = exc.code
        return response


def internal_urlpatterns(context: str, protocol: type, local_api: object, operations: Sequence[Operation]):
    """URL patterns (to mount under /internal/<context>/) serving `operations` with `local_api`."""
    by_path: dict[str, dict[str, Operation]] = {}
    for operation in operations:
        by_path.setdefault(operation.path, {})[operation.verb] = operation
    schema = path("schema/", InternalSchemaView.as_view(
        authentication_classes=[ServiceTokenAuthentication], context=context,
        document=rest_schema.openapi(context, protocol, operations),
    ), name=f"{context}-schema")
    return [schema, *(
        path(route, InternalApiView.as_view(
            context=context, protocol=protocol, local_api=local_api, operations=verbs,
        ), name=f"{context}-{next(iter(verbs.values())).name}")
        for route, verbs in by_path.items()
    )]


def _seconds(milliseconds: str | None) -> float | None:
    try:
        return int(milliseconds) / 1000 if milliseconds is not None else None
    except ValueError:
        return None


def _query_data(function: Callable, query) -> dict:
    """GET parameters as JSON-like values: lists for sequences, numbers parsed, absent ones None."""
    data = {}
    for name, hint in wire.parameter_types(function).items():
        many = typing.get_origin(hint) in (list, tuple, abc.Sequence)
        if name not in query:
            data[name] = [] if many else None
        elif many:
            data[name] = query.getlist(name)
        elif hint is str:
            data[name] = query[name]
        else:
            try:
                data[name] = json.loads(query[name])
            except ValueError:
                raise ValidationFailed(f"{name} is malformed", field=name) from None
    return data


# --- client side ------------------------------------------------------------------------------
# urllib3 (the engine under requests) rather than requests.Session: measured on a kept-alive
# loopback connection to a plain Django view, requests added ~400 us per call over http.client
# and urllib3 ~120 us (bench/boundaries.py measures the whole path). urllib3 reads no proxy
# variables or .netrc per call, and retries=False leaves retrying to the resilience policy.

_pools: dict[str, urllib3.HTTPConnectionPool] = runtime.store("rest.pools", kept_on_reset=True)


def pool_for(target: str, pool_size: int = 10) -> urllib3.HTTPConnectionPool:
    """The one keep-alive connection pool of a target, shared by every client of it."""
    pool = _pools.get(target)
    if pool is None:
        pool = _pools.setdefault(target, urllib3.connection_from_url(
            target, maxsize=pool_size, block=False, retries=False,
        ))
    return pool


class RestClient:
    """Calls one context's internal REST API; answers come back as DTOs, failures as exceptions."""

    def __init__(self, boundary: str, protocol: type, operations: Sequence[Operation], *, target: str,
                 timeout: float = 2.0, token: str = "", pool_size: int = 10):
        self.boundary = boundary
        self.protocol = protocol
        self.operations = {operation.name: operation for operation in operations}
        self.prefix = urlsplit(target).path.rstrip("/") + f"/internal/{boundary}/"
        self.timeout = float(timeout)
        self.pool = pool_for(target, pool_size)
        self.headers = {auth.HEADER: auth.bearer(token), "Accept": "application/json",
                        "Content-Type": "application/json"}

    def call(self, name: str, **kwargs):
        """Invoke operation `name` with keyword arguments; returns what the Protocol says it returns."""
        operation = self.operations[name]
        timeout = deadlines.call_timeout(self.timeout, boundary=self.boundary)
        url = self.prefix + _PATH_PARAMETER.sub(lambda m: quote(str(kwargs.pop(m[1])), safe=""), operation.path)
        data = wire.encode(kwargs)
        body = None
        if operation.verb == "GET":
            query = urlencode({k: v for k, v in data.items() if v is not None}, doseq=True)
            url += f"?{query}" if query else ""
        else:
            body = json.dumps(data).encode()
        try:
            response = self.pool.urlopen(
                operation.verb, url, body=body, timeout=urllib3.Timeout(total=timeout),
                headers={**self.headers, deadlines.HEADER: str(int(timeout * 1000))},
            )
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ProtocolError) as error:
            # before TimeoutError: urllib3 makes a refused connection a kind of ConnectTimeoutError
            raise BoundaryConnectionFailed(self.boundary, f"cannot reach {self.pool.host}:{self.pool.port}: {error}") from error
        except urllib3.exceptions.TimeoutError as error:
            raise BoundaryTimeout(self.boundary, f"no answer within {timeout:.3f}s") from error
        except urllib3.exceptions.HTTPError as error:
            raise BoundaryServerError(self.boundary, str(error)) from error
        return self._read(operation, response)

    def _read(self, operation: Operation, response: urllib3.BaseHTTPResponse):
        status = response.status
        if status == operation.status or DOMAIN_ERROR_HEADER in response.headers:
            try:
                data = json.loads(response.data) if response.data else None  # DRF renders None as no body
                if status != operation.status:
                    error = domain_error_from_json(data)
                elif status != 204:
                    return wire.decode(wire.return_type(getattr(self.protocol, operation.name)), data)
                else:
                    return None
            except (ValueError, KeyError, TypeError, ValidationFailed) as unreadable:
                raise BoundaryServerError(self.boundary, f"HTTP {status}, unreadable answer: {unreadable}") from None
            raise error
        # The status travels with the error: the resilience layer retries 429/502/503/504 only.
        if status == 401:
            raise BoundaryUnauthenticated(self.boundary, "the service token was refused", http_status=status)
        if status == 504:
            raise BoundaryTimeout(self.boundary, "the far side gave up: deadline passed", http_status=status)
        if status in (502, 503):
            raise BoundaryConnectionFailed(self.boundary, f"HTTP {status}", http_status=status)
        raise BoundaryServerError(self.boundary, f"HTTP {status} from {self.prefix}", http_status=status)
