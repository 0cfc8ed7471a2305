"""The outbox's public surface: messages, the envelope, publish()/send(), subscribing by name, and upcasting."""
from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime
from typing import ClassVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.utils import timezone

from common.db import alias_for, current_alias

from .dialects import dialect
from .envelope import Envelope, current_correlation_id, current_headers, message_context
from .registry import Subscriber, all_subscribers, queue_for, subscriber, subscribers_for, upcaster

__all__ = [
    "Command", "Envelope", "Event", "Message", "OrderCommand", "OrderEvent", "OutsideTransaction", "Subscriber",
    "all_subscribers", "current_correlation_id", "current_headers", "message_context", "outbox_lag_seconds",
    "outbox_status", "publish", "queue_for", "send", "subscriber", "subscribers_for", "upcaster",
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


# The checkout's messages, whichever context publishes them, are about one order: keyed by its id, which
# ordered subscribers, an order's timeline (messages_about) and the handler's span (tracing) go by.

@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderEvent(Event):
    """An event about one order, keyed by its order_id."""

    aggregate_type = "order"
    aggregate_field = "order_id"
    order_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderCommand(Command):
    """A command about one order, keyed by its order_id."""

    aggregate_type = "order"
    aggregate_field = "order_id"
    order_id: str


def publish(event: Message, *, headers: dict | None = None) -> None:
    """Write `event` to the outbox inside the caller's transaction (on its database); refuse when there is none."""
    from .wake import wake_after_commit

    connection = connections[current_alias()]  # the database of the transaction publish() runs in
    if not connection.in_atomic_block:
        raise OutsideTransaction(f"publish({event.name}) must run inside transaction.atomic()")
    # One plain INSERT, nothing else: deliveries are fanned out later by the relay, not in this transaction.
    dialect(connection).insert_message(
        event_id=event.event_id, name=event.name, version=event.version, aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id, payload=json.dumps(event.payload(), cls=DjangoJSONEncoder),
        headers=json.dumps({**current_headers(), **(headers or {})}, cls=DjangoJSONEncoder),
        occurred_at=event.occurred_at, created_at=timezone.now(),
    )
    wake_after_commit()


def send(command: Command, *, headers: dict | None = None) -> None:
    """Store a command for its one handler, in the caller's transaction (opened here if there is none)."""
    # In the caller's transaction when there is one: no savepoint round trips.
    with transaction.atomic(using=current_alias(), savepoint=False):
        publish(command, headers=headers)


def messages_about(*, context: str, aggregate_type: str, aggregate_id: str) -> list[Envelope]:
    """Every message about one aggregate in `context`'s outbox (those it published, and those delivered to it
    from other databases), in the order they reached it (for timelines and audits)."""
    from .delivery import envelope_of
    from .models import OutboxEvent

    return [envelope_of(row) for row in OutboxEvent.objects.using(alias_for(context))
            .filter(aggregate_type=aggregate_type, aggregate_id=aggregate_id).order_by("id")]


def outbox_lag_seconds() -> float:
    """Seconds the oldest runnable outbox work has waited (0.0 when nothing waits): the lag to export and alert on."""
    from .selectors import outbox_lag_seconds as lag

    return lag()


def outbox_status() -> dict:
    """Deliveries per state and the lag in seconds (outbox.selectors.outbox_status): for probes and metrics."""
    from .selectors import outbox_status as read

    return read()
