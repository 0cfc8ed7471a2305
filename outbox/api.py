"""The outbox's public surface: messages, the envelope, publish()/send(), subscribing by name, and upcasting."""
from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime
from typing import ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .envelope import Envelope, current_correlation_id, current_headers, message_context
from .registry import Subscriber, all_subscribers, queue_for, subscriber, subscribers_for, upcaster

__all__ = [
    "Command", "Envelope", "Event", "Message", "OutsideTransaction", "Subscriber", "all_subscribers",
    "current_correlation_id", "current_headers",
    "message_context", "publish", "queue_for", "send", "subscriber", "subscribers_for", "upcaster",
]


_ENVELOPE_FIELDS = frozenset({"event_id", "occurred_at"})


def _plain(value):
    # Nested DTOs (Money, lines) become dicts; the JSON encoder takes care of Decimal, UUID and dates.
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


class OutsideTransaction(RuntimeError):
    """publish() was called with no open transaction, so the event could outlive a rolled-back change."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Message:
    """A record stored in the outbox: a stable name and version, and small fields of ids and values."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate_type: ClassVar[str]
    aggregate_field: ClassVar[str]

    event_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)
    occurred_at: datetime = dataclasses.field(default_factory=timezone.now)

    def payload(self) -> dict:
        """The message's own fields, without the envelope."""
        return {
            field.name: _plain(getattr(self, field.name))
            for field in dataclasses.fields(self) if field.name not in _ENVELOPE_FIELDS
        }

    @property
    def aggregate_id(self) -> str:
        """The id of the aggregate the message is about."""
        return str(getattr(self, self.aggregate_field))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event(Message):
    """Something that happened, named in the past tense; any number of subscribers react to it."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Command(Message):
    """Something to do, named in the imperative; exactly one context handles it."""


_COLUMNS = ("event_id", "name", "version", "aggregate_type", "aggregate_id", "payload", "headers", "occurred_at",
            "created_at")


def _insert(vendor: str) -> str:
    # On PostgreSQL the two JSON documents go in as text for `json` columns: validated, not converted.
    cast = "::json" if vendor == "postgresql" else ""
    values = ", ".join(f"%s{cast}" if column in ("payload", "headers") else "%s" for column in _COLUMNS)
    return f"INSERT INTO outbox_outboxevent ({', '.join(_COLUMNS)}) VALUES ({values})"


_INSERT = {vendor: _insert(vendor) for vendor in ("postgresql", "sqlite")}


def publish(event: Message, *, headers: dict | None = None) -> None:
    """Write `event` to the outbox inside the caller's transaction; refuse when there is none."""
    from .wake import wake_after_commit

    if not connection.in_atomic_block:
        raise OutsideTransaction(f"publish({event.name}) must run inside transaction.atomic()")
    # One plain INSERT, nothing else: deliveries are fanned out later by the relay, not in this transaction.
    ops = connection.ops
    event_id = event.event_id if connection.features.has_native_uuid_field else event.event_id.hex
    with connection.cursor() as cursor:
        cursor.execute(_INSERT.get(connection.vendor) or _insert(connection.vendor), [
            event_id, event.name, event.version, event.aggregate_type, event.aggregate_id,
            json.dumps(event.payload(), cls=DjangoJSONEncoder),
            json.dumps({**current_headers(), **(headers or {})}, cls=DjangoJSONEncoder),
            ops.adapt_datetimefield_value(event.occurred_at), ops.adapt_datetimefield_value(timezone.now()),
        ])
    wake_after_commit()


def send(command: Command, *, headers: dict | None = None) -> None:
    """Store a command for its one handler, in the caller's transaction (opened here if there is none)."""
    with transaction.atomic():
        publish(command, headers=headers)


def messages_about(*, aggregate_type: str, aggregate_id: str) -> list[Envelope]:
    """Every stored message about one aggregate, in publication order (for timelines and audits)."""
    from .delivery import envelope_of
    from .models import OutboxEvent

    return [envelope_of(row) for row in
            OutboxEvent.objects.filter(aggregate_type=aggregate_type, aggregate_id=aggregate_id).order_by("id")]
