"""Idempotency-Key handling with Stripe's semantics: replay the first response, refuse a changed body."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import Conflict, DomainError

from .models import IdempotencyRecord

MAX_KEY_LENGTH = 255
KEY_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")  # fullmatch: printable ASCII, no spaces (a UUID)


class IdempotencyKeyReused(DomainError):
    """This Idempotency-Key was used with a different request."""

    code = "idempotency_key_reused"
    http_status = 422


class IdempotencyKeyInProgress(Conflict):
    """A request with this Idempotency-Key is still being processed; retry shortly."""

    code = "idempotency_key_in_progress"


@dataclass(frozen=True)
class Replay:
    """The stored first response to replay."""

    status: int
    body: dict


def request_fingerprint(*, method: str, path: str, data) -> str:
    """A stable hash of what the request asks for."""
    canonical = json.dumps([method, path, data], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_begin(*, user_id: int, key: str, fingerprint: str) -> tuple[IdempotencyRecord | None, Replay | None]:
    """Claim the key for this request, or say what to answer instead (a replay or an error)."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user_id=user_id, key=key, fingerprint=fingerprint), None
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.get(user_id=user_id, key=key)
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request", key=key)
    if existing.response_status is None:
        raise IdempotencyKeyInProgress("a request with this Idempotency-Key is in progress", key=key)
    return None, Replay(existing.response_status, existing.response_body)


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: dict) -> None:
    """Store the response so repeats of the request replay it."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body, completed_at=timezone.now()
    )


def idempotency_abandon(*, record: IdempotencyRecord) -> None:
    """Free the key after a request that changed nothing (bad input or a crash), so it may be retried."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()
