"""Sending messages exactly once per dedupe key through Django's email backend."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError
from django.utils import timezone

from common.db import atomic_for

from .models import Notification, OrderActivity

logger = logging.getLogger(__name__)


def notification_send(
    *, kind: str, dedupe_key: str, recipient: str, subject: str, body: str, order_id: str | None = None
) -> Notification:
    """Send one message unless one with the same dedupe key was already sent."""
    try:
        with atomic_for("notifications"):
            notification = Notification.objects.create(
                kind=kind, dedupe_key=dedupe_key, recipient=recipient, subject=subject, body=body,
                order_id=order_id,
            )
    except IntegrityError:
        existing = Notification.objects.get(dedupe_key=dedupe_key)
        if existing.status != Notification.Status.FAILED:
            return existing
        notification = existing
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except Exception as error:
        Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.FAILED, error=str(error))
        raise
    sent_at = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.SENT, sent_at=sent_at)
    # The log line an operator greps for, stamped with its trace and correlation ids (config LOGGING, Celery's too).
    logger.info("sent %s %s to %s", kind, notification.pk, recipient)
    notification.status, notification.sent_at = Notification.Status.SENT, sent_at  # as written: not read back
    return notification


def order_confirmation_send(
    *, order_id: str, email: str, total: str, currency: str, lines: list[str]
) -> Notification:
    """Tell a customer their order is confirmed; once per order."""
    body = "\n".join(
        ["Thank you for your order.", "", *[f"  {line}" for line in lines], "", f"Total: {total} {currency}",
         f"Order: {order_id}"]
    )
    return notification_send(
        kind="order_confirmation", dedupe_key=f"order_confirmation:{order_id}", recipient=email,
        subject=f"Your order {str(order_id)[:8]} is confirmed", body=body, order_id=order_id,
    )


def order_activity_record(*, order_id: str, event_name: str, occurred_at, summary: str) -> OrderActivity:
    """Record that something happened to an order."""
    return OrderActivity.objects.create(
        order_id=order_id, event_name=event_name, occurred_at=occurred_at, summary=summary[:200]
    )


def stock_low_alert(*, sku: str, available: int, threshold: int, event_id: str) -> list[Notification]:
    """Email every address in settings.STAFF_ALERT_EMAILS that `sku` fell below its threshold."""
    return [
        notification_send(
            kind="stock_low", dedupe_key=f"stock_low:{event_id}:{recipient}", recipient=recipient,
            subject=f"Stock low: {sku}",
            body=f"Only {available} of {sku} left (threshold {threshold}). Time to reorder.",
        )
        for recipient in settings.STAFF_ALERT_EMAILS
    ]
