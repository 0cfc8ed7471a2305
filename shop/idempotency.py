"""Idempotency-Key handling with Stripe's semantics: replay the first outcome, refuse a changed body.

A key is claimed with a lease (settings.IDEMPOTENCY["lease_seconds"], longer than any request may run).
It ends bound to the order its request created (a replay answers with that order's current state) or,
when that request committed nothing, released. A request that dies mid-way (its database went away,
its process was killed) leaves the claim until the lease ends; the next request with the key then
settles it: bound to the order the dead request had committed, or released.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from common.errors import Conflict, DomainError
from orders.api import get_orders_api

from .conf import shop_settings
from .models import IdempotencyRecord

MAX_KEY_LENGTH = 255
KEY_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")  # fullmatch: printable ASCII, no spaces (a UUID)
CLOCK_SKEW = datetime.timedelta(seconds=2)  # orders may stamp its rows from another process's clock
logger = logging.getLogger("shop.idempotency")


class IdempotencyKeyReused(DomainError):
    """This Idempotency-Key was used with a different request."""

    code = "idempotency_key_reused"
    http_status = 422


class IdempotencyKeyInProgress(Conflict):
    """A request with this Idempotency-Key is still being processed; retry shortly."""

    code = "idempotency_key_in_progress"


@dataclass(frozen=True)
class Replay:
    """What to answer instead of running the request again: the stored response, or the bound order's state."""

    status: int | None = None
    body: dict | None = None
    order_id: str = ""


def request_fingerprint(*, method: str, path: str, data) -> str:
    """A stable hash of what the request asks for."""
    canonical = json.dumps([method, path, data], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lease_end() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=shop_settings.IDEMPOTENCY["lease_seconds"])


def idempotency_begin(*, user_id: int, key: str, fingerprint: str) -> tuple[IdempotencyRecord | None, Replay | None]:
    """Claim the key for this request, or say what to answer instead (a replay or an error)."""
    for _ in range(2):  # a second round after settling a claim whose lease ran out
        try:
            # The INSERT is atomic by itself: outside a transaction it commits alone (one round trip, not BEGIN,
            # INSERT, COMMIT); inside one (a caller's, a test's) a savepoint keeps a taken key from breaking it.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                record = IdempotencyRecord.objects.create(
                    user_id=user_id, key=key, fingerprint=fingerprint, lease_until=_lease_end())
                return record, None
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if existing is None:
            continue  # released in between: claim it
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was used with a different request", key=key)
        if existing.response_status is not None or existing.order_id:
            return None, Replay(existing.response_status, existing.response_body, existing.order_id)
        if existing.lease_until and existing.lease_until > timezone.now():
            raise IdempotencyKeyInProgress("a request with this Idempotency-Key is in progress", key=key)
        order_id = idempotency_settle(record=existing)  # its request died: bind or release, then look again
        if order_id:
            return None, Replay(order_id=order_id)
    raise IdempotencyKeyInProgress("a request with this Idempotency-Key is in progress", key=key)


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: dict, order_id: str = "") -> None:
    """Store the outcome (and the order it created) so repeats of the request replay it."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body, order_id=order_id, completed_at=timezone.now(), lease_until=None
    )


def idempotency_abandon(*, record: IdempotencyRecord) -> None:
    """Free the key of a request that placed nothing (its input was refused), so it may be retried."""
    IdempotencyRecord.objects.filter(pk=record.pk, order_id="").delete()


def idempotency_settle(*, record: IdempotencyRecord) -> str:
    """Bind the key of a request that died mid-way to the order it committed, or release it; returns the order id
    ("" when released). The order is the customer's first one placed after the claim that no other key holds."""
    since = record.created_at - CLOCK_SKEW
    page = get_orders_api().list_orders(customer_id=record.user_id, limit=50, offset=0)  # newest first
    candidates = [order.order_id for order in reversed(page.orders) if order.created_at >= since]
    taken = set(IdempotencyRecord.objects.filter(user_id=record.user_id, order_id__in=candidates)
                .exclude(pk=record.pk).values_list("order_id", flat=True))
    free = [order_id for order_id in candidates if order_id not in taken]
    if free:
        IdempotencyRecord.objects.filter(pk=record.pk).update(order_id=free[0], lease_until=None,
                                                              completed_at=timezone.now())
        return free[0]
    IdempotencyRecord.objects.filter(pk=record.pk, order_id="", response_status__isnull=True).delete()
    return ""


def idempotency_settle_after_failure(*, record: IdempotencyRecord, far_side_may_act: bool) -> None:
    """After the request failed mid-way: settle its key now if the database answers (on a fresh connection when
    the old one broke); else, or when the order may still be being placed elsewhere, the lease settles it later."""
    if far_side_may_act:
        return  # a timed-out remote call may still commit an order: only after the lease can we tell
    try:
        if connection.errors_occurred and not connection.in_atomic_block and not connection.is_usable():
            connection.close()  # the next query opens a fresh connection, if the database is back
        idempotency_settle(record=record)
    except Exception as error:  # noqa: BLE001  (the database is still away: the lease ends the claim)
        logger.warning("Idempotency-Key %s of user %s left to its lease: %s", record.key, record.user_id, error)
