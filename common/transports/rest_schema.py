"""The OpenAPI description of a context's internal REST endpoints, built from its OPERATIONS table and
its Protocol's type hints (the same two things that build the views and the client), so it cannot drift.

Served at /internal/<context>/schema/ behind the context's token; tests/security fuzzes it with schemathesis.
"""
from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from collections.abc import Sequence

from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import QUANTITY_MAX
from common.http import error_response
from common.money import MAX_AMOUNT, Money
from common.wire import INT64_MAX, INT64_MIN, parameter_types, return_type

ERROR_STATUSES = {
    "400": "invalid input (code validation_failed or a context's own code)",
    "401": "no, another context's or a wrong service token",
    "402": "payment declined", "404": "no such thing", "409": "the current state does not allow it",
    "413": "the body is larger than the internal endpoints accept",
    "503": "a boundary further on is unavailable", "504": "the caller's deadline had passed",
}
ERROR_SCHEMA = {
    "type": "object", "required": ["code", "detail", "details", "correlation_id"],
    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}, "details": {"type": "object"},
                   "correlation_id": {"type": "string"}},
}


def json_schema(hint) -> dict:
    """The JSON schema of a value of type `hint` in the DTOs' wire form (common.wire)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return {**json_schema(inner), "nullable": True}
    if origin in (tuple, list, Sequence):
        return {"type": "array", "items": json_schema(typing.get_args(hint)[0])}
    if hint is Money:
        return {"type": "object", "required": ["amount", "currency"], "properties": {
            "amount": {"type": "string", "pattern": r"^-?\d{1,10}(\.\d{1,2})?$", "maxLength": len(str(MAX_AMOUNT)) + 1},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}
    if dataclasses.is_dataclass(hint):
        fields = typing.get_type_hints(hint)
        return {"type": "object", "required": list(fields),
                "properties": {name: _field_schema(name, tp) for name, tp in fields.items()}}
    if hint is datetime.datetime:
        return {"type": "string", "format": "date-time"}
    if hint is int:
        return {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX}
    if hint is bool:
        return {"type": "boolean"}
    return {"type": "string"}


# Integer parameters the contexts bound more tightly than int64 (common.errors.check_range at their edges).
BOUNDS = {"quantity": (-QUANTITY_MAX, QUANTITY_MAX), "limit": (0, 1000), "offset": (0, QUANTITY_MAX)}


def _field_schema(name: str, hint) -> dict:
    schema = json_schema(hint)
    if name in BOUNDS and schema.get("type") == "integer":
        schema.update(minimum=BOUNDS[name][0], maximum=BOUNDS[name][1])
    return schema


def openapi(context: str, protocol: type, operations) -> dict:
    """An OpenAPI 3.0 document for `operations` of `context` (paths relative to the server root)."""
    paths: dict[str, dict] = {}
    for operation in operations:
        function = getattr(protocol, operation.name)
        hints = parameter_types(function)
        in_path = operation.path_parameters()
        path = "/internal/" + context + "/" + operation.path
        for name in in_path:
            path = path.replace(f"<str:{name}>", "{" + name + "}")
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[^/]+$"}}
                      for name in in_path]
        body_fields = {name: hint for name, hint in hints.items() if name not in in_path}
        spec: dict = {"operationId": f"{context}_{operation.name}", "summary": (function.__doc__ or "").strip(),
                      "security": [{"serviceToken": []}], "parameters": parameters}
        if operation.verb == "GET":
            spec["parameters"] += [_query_parameter(name, hint) for name, hint in body_fields.items()]
        elif body_fields or operation.verb in ("POST", "PUT", "PATCH"):
            spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": False, "required": list(body_fields),
                "properties": {name: _field_schema(name, hint) for name, hint in body_fields.items()}}}}}
        success = {"description": "done"}
        result = return_type(function)
        if operation.status != 204 and result is not type(None) and result is not None:
            success["content"] = {"application/json": {"schema": json_schema(result)}}
        spec["responses"] = {str(operation.status): success, **{
            status: {"description": why, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
            for status, why in ERROR_STATUSES.items()}}
        paths.setdefault(path, {})[operation.verb.lower()] = spec
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{context} internal API", "version": "1.0.0"},
        "paths": paths,
        "components": {"securitySchemes": {"serviceToken": {"type": "http", "scheme": "bearer"}}},
    }


def _query_parameter(name: str, hint) -> dict:
    schema = _field_schema(name, hint)
    nullable = schema.pop("nullable", False)
    parameter = {"name": name, "in": "query", "required": not nullable and schema["type"] != "array", "schema": schema}
    if schema["type"] == "array":
        parameter.update(style="form", explode=True)
    return parameter


class InternalSchemaView(APIView):
    """GET the context's internal OpenAPI document; built with the operations' own token authentication."""

    renderer_classes = [JSONRenderer]
    permission_classes: list = []
    throttle_classes: list = []
    document: dict = {}
    context: str = ""

    def get(self, request):
        return Response(self.document)

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            exc.auth_header = 'Bearer realm="internal"'
        return error_response(exc, request=self.request)
