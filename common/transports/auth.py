"""Service tokens: each context accepts calls bearing its own token from settings.INTERNAL_SERVICE_TOKENS."""
from __future__ import annotations

import hmac

from django.conf import settings

HEADER = "Authorization"  # "Bearer <token>"
METADATA_KEY = "authorization"  # the same, as gRPC metadata


def bearer(token: str) -> str:
    """The header (or metadata) value that presents `token`."""
    return f"Bearer {token}"


def is_authorised(context: str, presented: str | None) -> bool:
    """Whether `presented` ("Bearer <token>") is the token of `context`; a context with no token refuses all."""
    expected = settings.INTERNAL_SERVICE_TOKENS.get(context) or ""
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), bearer(expected).encode())
