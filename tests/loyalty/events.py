"""Messages published by the tests (the publisher here is the test itself)."""
from dataclasses import dataclass

from outbox.api import Event


@dataclass(frozen=True, kw_only=True)
class Probe(Event):
    """A probe for ordered delivery: sleeps or fails when asked."""

    name = "tests.Probe"
    aggregate_type = "probe"
    aggregate_field = "key"
    key: str
    n: int
    sleep: float = 0.0
    fail: bool = False


@dataclass(frozen=True, kw_only=True)
class Bench(Event):
    """A message for the benchmark and the bulk tests: one unordered subscriber."""

    name = "tests.Bench"
    aggregate_type = "bench"
    aggregate_field = "key"
    key: str
    n: int
    fail: bool = False


@dataclass(frozen=True, kw_only=True)
class Poison(Event):
    """A message whose handler always fails."""

    name = "tests.Poison"
    aggregate_type = "poison"
    aggregate_field = "key"
    key: str


@dataclass(frozen=True, kw_only=True)
class Follower(Event):
    """A message that follows another one (its leader, a ProbeEffect keyed "leader:<key>"); waits until it is seen."""

    name = "tests.Follower"
    aggregate_type = "follower"
    aggregate_field = "key"
    key: str


@dataclass(frozen=True, kw_only=True)
class Afterwards(Event):
    """A message for an after_commit subscriber: its handler runs once the delivery is recorded; fails when asked."""

    name = "tests.Afterwards"
    aggregate_type = "afterwards"
    aggregate_field = "key"
    key: str
    fail: bool = False
