"""Who subscribes to what, by stable message name and version, and how older versions are upcast."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps

from common.runtime import runtime

from .conf import outbox_settings
from .envelope import Envelope

Handler = Callable[[Envelope], None]
Upcaster = Callable[[dict], dict]


@dataclass(frozen=True)
class Subscriber:
    """One handler of one message name, run in its own context's queue."""

    name: str  # "<context>.<function>", stored on each delivery: keep it stable
    message: str  # e.g. "orders.OrderPlaced"
    version: int  # the payload version the handler understands; older ones are upcast to it
    handler: Handler
    context: str
    ordered: bool = False  # deliver one aggregate's messages one at a time, in publication order
    max_attempts: int | None = None  # None: outbox_settings.OUTBOX["MAX_ATTEMPTS"]
    # True when every effect of the handler is in this database: a batch of deliveries then shares one
    # transaction (a failure rolls it all back and they run one by one). Never for emails or HTTP calls.
    batch: bool = False
    # True when the handler writes nothing in the delivery's transaction and does its work after it commits (a
    # saga calling other contexts with no transaction open). Its inbox row then commits first, with the delivery
    # marked done, in one statement with no transaction around it; the handler runs after, and a failure there is
    # logged, not retried: the handler's own state must bring its work back (the checkout saga's lease).
    after_commit: bool = False

    @property
    def queue(self) -> str:
        return queue_for(self.context)


# Filled once by the handlers modules' decorators at start-up, so reset() keeps them.
_subscribers: dict[str, Subscriber] = runtime.store("outbox.subscribers", kept_on_reset=True)
_by_message: dict[str, list[Subscriber]] = runtime.store("outbox.subscribers_by_message", kept_on_reset=True)
_upcasters: dict[tuple[str, int], Upcaster] = runtime.store("outbox.upcasters", kept_on_reset=True)


def subscriber(message: str, *, version: int = 1, ordered: bool = False, max_attempts: int | None = None,
               batch: bool = False, after_commit: bool = False, name: str | None = None):
    """Decorator for a handler in a context's handlers.py: run it for every `message`, upcast to `version`."""

    def register(handler: Handler) -> Handler:
        context = apps.get_containing_app_config(handler.__module__).label
        entry = Subscriber(
            name=name or f"{context}.{handler.__name__}", message=message, version=version, handler=handler,
            context=context, ordered=ordered, max_attempts=max_attempts, batch=batch, after_commit=after_commit,
        )
        known = _subscribers.get(entry.name)
        if known is not None and known.handler.__qualname__ != handler.__qualname__:
            raise ValueError(f"two subscribers are named {entry.name!r}")
        if known is None:
            _by_message.setdefault(message, []).append(entry)
        else:  # a module imported twice re-registers the same handler
            _by_message[message] = [entry if s.name == entry.name else s for s in _by_message[message]]
        _subscribers[entry.name] = entry
        return handler

    return register


def subscribers_for(message: str) -> list[Subscriber]:
    """The subscribers of one message name."""
    return list(_by_message.get(message, ()))


def subscriber_named(name: str) -> Subscriber:
    """The subscriber stored on a delivery. Raises LookupError when none is registered under that name."""
    try:
        return _subscribers[name]
    except KeyError:
        raise LookupError(f"no subscriber named {name!r} is registered") from None


def all_subscribers() -> list[Subscriber]:
    """Every registered subscriber."""
    return list(_subscribers.values())


def queue_for(context: str) -> str:
    """The Celery queue of a context's handlers (per test run in the test profile)."""
    return f"{outbox_settings.OUTBOX['QUEUE_PREFIX']}{context}"


def upcaster(message: str, *, from_version: int):
    """Decorator for a function turning a `from_version` payload of `message` into the next version's."""

    def register(function: Upcaster) -> Upcaster:
        _upcasters[(message, from_version)] = function
        return function

    return register


def upcast(envelope: Envelope, to_version: int) -> Envelope:
    """The envelope with its payload raised to `to_version`, one registered step at a time."""
    if envelope.version > to_version:
        raise LookupError(f"{envelope.name} v{envelope.version} is newer than the v{to_version} its handler reads")
    payload, version = envelope.payload, envelope.version
    while version < to_version:
        try:
            payload = _upcasters[(envelope.name, version)](dict(payload))
        except KeyError:
            raise LookupError(f"no upcaster for {envelope.name} v{version}") from None
        version += 1
    if version == envelope.version:
        return envelope
    return Envelope(
        event_id=envelope.event_id, name=envelope.name, version=version, aggregate_type=envelope.aggregate_type,
        aggregate_id=envelope.aggregate_id, occurred_at=envelope.occurred_at, payload=payload,
        headers=envelope.headers, sequence=envelope.sequence,
    )
