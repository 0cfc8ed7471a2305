"""Messages published by the tests (the publisher here is the test itself)."""
from dataclasses import dataclass

from outbox.api import Event


@dataclass(frozen=True, kw_only=True)
class KeyedEvent(Event):
    """A test message about the aggregate its `key` names, within its class's aggregate type."""

    aggregate_field = "key"
    key: str


@dataclass(frozen=True, kw_only=True)
class Probe(KeyedEvent):
    """A probe for ordered delivery: sleeps or fails when asked."""

    name = "tests.Probe"
    aggregate_type = "probe"
    n: int
    sleep: float = 0.0
    fail: bool = False


@dataclass(frozen=True, kw_only=True)
class Bench(KeyedEvent):
    """A message for the benchmark and the bulk tests: one unordered subscriber."""

    name = "tests.Bench"
    aggregate_type = "bench"
    n: int
    fail: bool = False


@dataclass(frozen=True, kw_only=True)
class Poison(KeyedEvent):
    """A message whose handler always fails."""

    name = "tests.Poison"
    aggregate_type = "poison"


@dataclass(frozen=True, kw_only=True)
class Follower(KeyedEvent):
    """A message that follows another one (its leader, a ProbeEffect keyed "leader:<key>"); waits until it is seen."""

    name = "tests.Follower"
    aggregate_type = "follower"


@dataclass(frozen=True, kw_only=True)
class Afterwards(KeyedEvent):
    """A message for an after_commit subscriber: its handler runs once the delivery is recorded; fails when asked."""

    name = "tests.Afterwards"
    aggregate_type = "afterwards"
    fail: bool = False
