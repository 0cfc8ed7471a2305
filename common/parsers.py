"""JSON parsers with limits: bodies past a size answer 413, past a nesting depth 400, never a 500 (RecursionError)."""
from __future__ import annotations

import json

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

from common.errors import bounded

from .conf import common_settings


# --- bounded JSON -----------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    """The request body is larger than this endpoint accepts."""

    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class BoundedJSONParser(JSONParser):
    """JSON bodies of at most settings.<limits_setting> bytes and nesting depth: 413 or 400 beyond, never a 500."""

    limits_setting = "JSON_LIMITS"

    def parse(self, stream, media_type=None, parser_context=None):
        limits = getattr(common_settings, self.limits_setting)
        max_bytes, max_depth = limits["max_bytes"], limits["max_depth"]
        request = (parser_context or {}).get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > max_bytes:
            raise PayloadTooLarge(f"The request body may be at most {max_bytes} bytes.")
        raw = stream.read(max_bytes + 1) if stream is not None else b""
        if len(raw) > max_bytes:
            raise PayloadTooLarge(f"The request body may be at most {max_bytes} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant if api_settings.STRICT_JSON else None)
        except RecursionError:
            raise exceptions.ParseError(f"JSON nested deeper than {max_depth} levels.") from None
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {bounded(str(error), 120)}") from None
        problem = _problem(data, max_depth)
        if problem:
            raise exceptions.ParseError(problem)
        return data


class InternalJSONParser(BoundedJSONParser):
    """The internal endpoints' JSON: bounded by settings.INTERNAL_JSON_LIMITS."""

    limits_setting = "INTERNAL_JSON_LIMITS"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _problem(value, limit: int) -> str | None:
    """Why a parsed body is refused: nesting past `limit` levels, or a NUL character (no text column takes
    one); None when it is fine. Iterative, so depth cannot exhaust the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "NUL characters are not accepted."
        elif isinstance(item, (dict, list)):
            if depth > limit:
                return f"JSON nested deeper than {limit} levels."
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None
