"""gRPC plumbing: one channel per target, the client call wrapper, and the server guard and builder.

The server guard (an interceptor) refuses calls without the context's token (UNAUTHENTICATED), opens a
deadline scope from the call's deadline, hands Django fresh database connections, and turns a
DomainError into its status code with the error's wire form in the `domain-error-bin` trailer. The
client turns that trailer back into the same exception, and any other failure into Boundary*.
"""
from __future__ import annotations

import json
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path

import grpc
from django.db import close_old_connections
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from common import deadlines
from common.errors import (
    BoundaryConnectionFailed,
    BoundaryServerError,
    BoundaryTimeout,
    BoundaryUnauthenticated,
    DomainError,
    ValidationFailed,
    bounded,
)
from common.runtime import runtime

from . import auth
from .status import grpc_code

ERROR_TRAILER = "domain-error-bin"  # "-bin": gRPC carries the UTF-8 JSON as bytes

# --- client side ------------------------------------------------------------------------------

_channels: dict[tuple, grpc.Channel] = runtime.store("grpc.channels", kept_on_reset=True)


@contextmanager
def request_values_checked(method: str):
    """Build a request message inside: a value its field cannot hold (past an int32's or int64's range) is the
    caller's ValidationFailed, as over REST and in process, instead of protobuf's ValueError."""
    try:
        yield
    except ValueError as error:
        raise ValidationFailed(bounded(f"{method}: {error}"), request=method) from None


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


def channel_for(target: str, tls: dict | None = None) -> grpc.Channel:
    """The one channel (HTTP/2 connection) of a target, shared by every client of it.

    `tls`: {"ca": path, "cert": path, "key": path, "server_name": name}; cert and key only for mTLS.
    """
    key = (target, tuple(sorted((tls or {}).items())))
    channel = _channels.get(key)
    if channel is None:
        options = [("grpc.enable_retries", 0)]  # retries belong to the resilience policy, not the channel
        if tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_read(tls.get("ca")), private_key=_read(tls.get("key")),
                certificate_chain=_read(tls.get("cert")),
            )
            if tls.get("server_name"):
                options.append(("grpc.ssl_target_name_override", tls["server_name"]))
            channel = grpc.secure_channel(target, credentials, options=options)
        else:
            channel = grpc.insecure_channel(target, options=options)
        channel = _channels.setdefault(key, channel)
    return channel


class GrpcClient:
    """Calls one context's gRPC service; a DomainError comes back as itself, anything else as Boundary*."""

    def __init__(self, boundary: str, stub_class, *, target: str, timeout: float = 2.0, token: str = "",
                 tls: dict | None = None):
        self.boundary = boundary
        self.timeout = float(timeout)
        self.stub = stub_class(channel_for(target, tls))
        self.metadata = ((auth.METADATA_KEY, auth.bearer(token)),)

    def call(self, method: str, request):
        """Invoke RPC `method` with a deadline of min(timeout, what the caller's deadline leaves)."""
        timeout = deadlines.call_timeout(self.timeout, boundary=self.boundary)
        try:
            return getattr(self.stub, method)(request, timeout=timeout, metadata=self.metadata)
        except grpc.RpcError as error:
            raise self._translate(error, timeout) from error

    def _translate(self, error: grpc.RpcError, timeout: float) -> Exception:
        for key, value in error.trailing_metadata() or ():
            if key == ERROR_TRAILER:
                return DomainError.from_dict(json.loads(value))
        code = error.code()
        # The status travels with the error: the resilience layer retries UNAVAILABLE only.
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return BoundaryTimeout(self.boundary, f"no answer within {timeout:.3f}s")  # retryable, like any timeout
        if code == grpc.StatusCode.UNAVAILABLE:
            return BoundaryConnectionFailed(self.boundary, error.details() or "unavailable", grpc_status=code.name)
        if code == grpc.StatusCode.UNAUTHENTICATED:
            return BoundaryUnauthenticated(self.boundary, error.details() or "the service token was refused",
                                           grpc_status=code.name)
        return BoundaryServerError(self.boundary, f"{code.name}: {error.details()}", grpc_status=code.name)


# --- server side ------------------------------------------------------------------------------

MAX_TRAILER_BYTES = 2048  # well inside gRPC's 8 KiB metadata limit, with the status message beside it


def trailer_bytes(error: DomainError) -> bytes:
    """The error's wire form for the trailer, every string cut short, so input echoed in it never
    pushes the answer past the metadata limit (the caller would get RESOURCE_EXHAUSTED, not the error)."""
    wire = error.to_dict()
    wire["message"] = bounded(wire["message"])
    wire["details"] = {k: bounded(v, 200) if isinstance(v, str) else v for k, v in wire["details"].items()}
    data = json.dumps(wire).encode()
    if len(data) > MAX_TRAILER_BYTES:  # many or large details: keep the code and message, which say what happened
        data = json.dumps({"code": wire["code"], "message": wire["message"], "details": {}}).encode()
    return data


_UNGUARDED = ("/grpc.health.v1.Health/", "/grpc.reflection.")  # probes and tooling need no token


class ServiceGuard(grpc.ServerInterceptor):
    """Authenticates each call, opens its deadline scope, and maps DomainError to a status with details."""

    def __init__(self, context: str):
        self.context = context

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None or handler_call_details.method.startswith(_UNGUARDED):
            return handler
        presented = dict(handler_call_details.invocation_metadata or ()).get(auth.METADATA_KEY)
        authorised = auth.is_authorised(self.context, presented)
        behaviour = handler.unary_unary

        def guarded(request, context):
            if not authorised:
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid service token is required")
            close_old_connections()
            try:
                with deadlines.deadline_scope(context.time_remaining()):
                    return behaviour(request, context)
            except DomainError as error:
                context.set_trailing_metadata(((ERROR_TRAILER, trailer_bytes(error)),))
                context.abort(grpc_code(error), bounded(error.message))
            finally:
                close_old_connections()

        return grpc.unary_unary_rpc_method_handler(
            guarded, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def build_server(context: str, address: str, register, *, tls: dict | None = None, threads: int = 16,
                 reuse_port: bool = False) -> tuple[grpc.Server, int]:
    """A started gRPC server for one context, with health checking and reflection; returns it and its port.

    `register(server)` adds the context's servicers and returns their full service names. `tls`:
    {"cert": path, "key": path, "client_ca": path}; with client_ca, clients must present a certificate.
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"grpc-{context}"),
        interceptors=[ServiceGuard(context)], options=[("grpc.so_reuseport", int(reuse_port))],
    )
    names = list(register(server))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ["", *names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    if tls and tls.get("cert"):
        credentials = grpc.ssl_server_credentials(
            [(_read(tls["key"]), _read(tls["cert"]))], root_certificates=_read(tls.get("client_ca")),
            require_client_auth=bool(tls.get("client_ca")),
        )
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    server.start()
    return server, port
