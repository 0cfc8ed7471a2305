"""Service tokens: each context accepts calls bearing its own token from settings.INTERNAL_SERVICE_TOKENS."""
from __future__ import annotations

import hmac

from ..conf import common_settings


HEADER = "Authorization"  # "Bearer <token>"
METADATA_KEY = "authorization"  # the same, as gRPC metadata


def bearer(token: str) -> str:
    """The header (or metadata) value that presents `token`."""
    return f"Bearer {token}"


def is_authorised(context: str, presented: str | None) -> bool:
    """Whether `presented` ("Bearer <token>", the scheme in any case: RFC 7235) is the token of `context`,
    compared in constant time; a context with no token refuses all."""
    expected = common_settings.INTERNAL_SERVICE_TOKENS.get(context) or ""
    if not expected or not presented:
        return False
    scheme, _, token = presented.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


MIN_TOKEN_LENGTH = 32
DEV_TOKEN_PREFIX = "dev-"


def token_problem(context: str, token: str | None) -> str | None:
    """Why `token` must not guard `context` in production (unset, a development default, too short), or None."""
    if not token:
        return f"{context.upper()}_SERVICE_TOKEN is not set"
    if token.startswith(DEV_TOKEN_PREFIX) or token == f"dev-{context}-service-token":
        return f"{context.upper()}_SERVICE_TOKEN is a development default"
    if len(token) < MIN_TOKEN_LENGTH:
        return f"{context.upper()}_SERVICE_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters"
    return None
