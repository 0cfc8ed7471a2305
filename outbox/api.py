"""The outbox's public surface: the Event base class and publish(), which writes in the caller's transaction."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import ClassVar

from django.db import connection
from django.utils import timezone


class OutsideTransaction(RuntimeError):
    """publish() was called with no open transaction, so the event could outlive a rolled-back change."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened: a small record of ids and values, named in the past tense."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]
    aggregate_field: ClassVar[str]

    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    occurred_at: datetime = dataclasses.field(default_factory=timezone.now)

    def payload(self) -> dict:
        """The event's own fields, without the envelope."""
        data = dataclasses.asdict(self)
        data.pop("event_id")
        data.pop("occurred_at")
        return data

    @property
    def aggregate_id(self) -> str:
        """The id of the aggregate the event is about."""
        return str(getattr(self, self.aggregate_field))


def publish(event: Event, *, headers: dict | None = None) -> None:
    """Write `event` to the outbox inside the caller's transaction; refuse when there is none."""
    from .models import OutboxEvent

    if not connection.in_atomic_block:
        raise OutsideTransaction(f"publish({event.name}) must run inside transaction.atomic()")
    OutboxEvent.objects.create(
        event_id=event.event_id,
        name=event.name,
        version=event.version,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        payload=event.payload(),
        headers=headers or {},
        occurred_at=event.occurred_at,
    )
