"""Circuit breakers on pybreaker's state machine and storage, with Resilience4j's rate-based rules.

pybreaker's own ``call()`` holds a lock for the whole guarded call, so concurrent calls through one
breaker would run one at a time. Here the lock guards only the bookkeeping before and after a call,
never the call itself. State (closed / open / half-open and when it opened) lives in pybreaker's
storage: in memory, or in Redis so that every process sees the same state.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pybreaker

from common.errors import BoundaryUnavailable
from common.observers import observer
from common.runtime import runtime

from .config import BreakerPolicy
from .storage import breaker_storage, forced_state, set_forced_state

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN
FORCED_OPEN, FORCED_CLOSED = "forced-open", "forced-closed"


class BreakerOpen(BoundaryUnavailable):
    """The boundary's circuit breaker is open: the call was not attempted."""

    retryable = False


@dataclass(frozen=True)
class Permit:
    """Leave to make one call; `trial` when it is one of the half-open state's test calls."""

    trial: bool = False
    recorded: bool = True


# The three kinds of permit, shared: a permit carries no state of its own.
_CALL, _TRIAL, _UNRECORDED = Permit(), Permit(trial=True), Permit(recorded=False)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Transition:
    """A change of state, kept for the admin and for tests."""

    at: float
    old: str
    new: str


class _TransitionLog(pybreaker.CircuitBreakerListener):
    def __init__(self, log: deque):
        self.log = log

    def state_change(self, cb, old_state, new_state):
        old = old_state.name if old_state else "?"
        self.log.append(Transition(time.time(), old, new_state.name))
        logger.warning("circuit breaker %s: %s -> %s", cb.name, old, new_state.name)
        observer().breaker_changed(cb.name, old, new_state.name)


class Breaker:
    """One boundary's breaker: rate-based trips, a bounded half-open trial, no lock around calls."""

    def __init__(self, name: str, policy: BreakerPolicy, *, clock: Callable[[], datetime] | None = None):
        self.name = name
        self.policy = policy
        self._clock = clock or _utc_now  # when the wait in open state is over; tests pass a fake one
        self.transitions: deque[Transition] = deque(maxlen=50)
        self._cb = pybreaker.CircuitBreaker(
            # The failure counting is ours (rates over a window); pybreaker keeps state and storage.
            fail_max=2**31, reset_timeout=policy.wait_duration_in_open_state,
            success_threshold=policy.permitted_calls_in_half_open,
            state_storage=breaker_storage(name), name=name, listeners=[_TransitionLog(self.transitions)],
        )
        self._storage = self._cb._state_storage  # its state read directly: every call reads it twice
        self._lock = threading.Lock()
        self._window: deque[tuple[bool, bool]] = deque(maxlen=policy.sliding_window_size)
        self._failures = self._slow = 0  # counts over the window, kept as calls come and go
        self._trials_started = 0
        self._trial_successes = 0

    @property
    def state(self) -> str:
        """closed, open, half-open, forced-open or forced-closed."""
        return forced_state(self.name) or self._cb.current_state

    def acquire(self) -> Permit:
        """Leave to call, or BreakerOpen."""
        forced = forced_state(self.name)
        if forced == FORCED_OPEN:
            raise BreakerOpen(self.name, "circuit breaker forced open")
        if forced == FORCED_CLOSED or not self.policy.enabled:
            return _UNRECORDED
        if self._storage.state == CLOSED:
            return _CALL
        with self._lock:
            state = self._cb.current_state
            if state == OPEN:
                opened_at = self._cb._state_storage.opened_at
                wait = timedelta(seconds=self.policy.wait_duration_in_open_state)
                if opened_at is not None and self._clock() < opened_at + wait:
                    raise BreakerOpen(self.name, "circuit breaker open")
                self._cb.half_open()
                self._trials_started = self._trial_successes = 0
                state = HALF_OPEN
            if state == HALF_OPEN:
                if self._trials_started >= self.policy.permitted_calls_in_half_open:
                    raise BreakerOpen(self.name, "circuit breaker half-open: trial calls in flight")
                self._trials_started += 1
                return _TRIAL
            return _CALL

    def record(self, permit: Permit, *, failed: bool, duration: float) -> None:
        """Count the outcome of a permitted call and trip or close the breaker as the rules say."""
        if not permit.recorded:
            return
        slow = duration >= self.policy.slow_call_duration
        with self._lock:
            if permit.trial:
                self._record_trial(failed or slow)
                return
            if self._storage.state != CLOSED:
                return  # a call let through before the breaker tripped: its outcome is already judged
            if len(self._window) == self._window.maxlen:
                dropped_failed, dropped_slow = self._window[0]
                self._failures -= dropped_failed
                self._slow -= dropped_slow
            self._window.append((failed, slow))
            self._failures += failed
            self._slow += slow
            # A rate can only have crossed its threshold with this call if the call was bad, or if the
            # window just reached the size at which rates start to count.
            if not (failed or slow or len(self._window) == self.policy.minimum_number_of_calls):
                return
            if len(self._window) < self.policy.minimum_number_of_calls:
                return
            failure_rate, slow_rate = self.rates()
            if failure_rate >= self.policy.failure_rate_threshold or slow_rate >= self.policy.slow_call_rate_threshold:
                self._trip()

    def _record_trial(self, bad: bool) -> None:
        if self._cb.current_state != HALF_OPEN:
            return
        if bad:
            self._trip()
            return
        self._trial_successes += 1
        if self._trial_successes >= self.policy.permitted_calls_in_half_open:
            self._clear_window()
            self._cb.close()

    def _trip(self) -> None:
        self._clear_window()
        self._cb.open()
        self._storage.opened_at = self._clock()  # the wait in open state runs on our clock (trips are rare)

    def _clear_window(self) -> None:
        self._window.clear()
        self._failures = self._slow = 0

    def rates(self) -> tuple[float, float]:
        """(failure rate, slow-call rate) in percent over the calls in the window."""
        calls = len(self._window)
        if not calls:
            return 0.0, 0.0
        return 100.0 * self._failures / calls, 100.0 * self._slow / calls

    def force(self, state: str | None) -> None:
        """Pin the breaker open or closed (FORCED_OPEN / FORCED_CLOSED), or unpin it (None)."""
        observer().breaker_changed(self.name, self.state, state or self._cb.current_state)
        set_forced_state(self.name, state)

    def reset(self) -> None:
        """Unpin and close the breaker, forgetting every recorded call."""
        set_forced_state(self.name, None)
        with self._lock:
            self._clear_window()
            self._trials_started = self._trial_successes = 0
            self._cb.close()


_breakers: dict[str, Breaker] = runtime.store("breakers")
_registry_lock = threading.Lock()


def breaker_for(name: str, policy: BreakerPolicy) -> Breaker:
    """The process's breaker for a boundary (one per boundary name and policy)."""
    breaker = _breakers.get(name)
    if breaker is None or (breaker.policy is not policy and breaker.policy != policy):
        with _registry_lock:
            breaker = _breakers.get(name)
            if breaker is None or breaker.policy != policy:
                breaker = _breakers[name] = Breaker(name, policy)
    return breaker


def all_breakers() -> list[Breaker]:
    """Every breaker this process has made, by name."""
    return [_breakers[name] for name in sorted(_breakers)]


def forget_breakers() -> None:
    """Drop every breaker (tests, and settings changes)."""
    _breakers.clear()
