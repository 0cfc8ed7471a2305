"""Circuit breaker rules in Resilience4j's vocabulary, on pybreaker's state machine."""
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from common.errors import BoundaryUnavailable
from common.resilience.breaker import Breaker, BreakerOpen, FORCED_CLOSED, FORCED_OPEN
from common.resilience.config import BreakerPolicy

POLICY = BreakerPolicy(
    failure_rate_threshold=50, slow_call_rate_threshold=60, slow_call_duration=0.05, sliding_window_size=10,
    minimum_number_of_calls=4, wait_duration_in_open_state=0.2, permitted_calls_in_half_open=2,
)


class FakeClock:
    """Wall-clock time moved forward by hand, so waiting out the open state takes no real time."""

    def __init__(self):
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += timedelta(seconds=seconds)


def call(breaker, *, failed=False, duration=0.0):
    permit = breaker.acquire()
    breaker.record(permit, failed=failed, duration=duration)


def test_waits_for_the_minimum_number_of_calls_before_judging():
    breaker = Breaker("b-fail", POLICY)
    for _ in range(3):
        call(breaker, failed=True)
    assert breaker.state == "closed"  # 3 of 3 failed, but the minimum is 4
    call(breaker, failed=True)
    assert breaker.state == "open"


def test_opens_at_exactly_the_threshold():
    breaker = Breaker("b-exact", POLICY)
    for failed in (False, False, True, True):
        call(breaker, failed=failed)
    assert breaker.state == "open"
    with pytest.raises(BreakerOpen):
        breaker.acquire()


def test_stays_closed_below_the_threshold():
    breaker = Breaker("b-below", POLICY)
    for failed in (False, False, False, True, False, False):
        call(breaker, failed=failed)
    assert breaker.state == "closed"
    assert breaker.rates() == (pytest.approx(100 / 6), 0.0)


def test_reaching_the_minimum_with_a_success_still_judges_the_failures_before_it():
    breaker = Breaker("b-min-ok", POLICY)
    for failed in (True, True, True, False):
        call(breaker, failed=failed)
    assert breaker.state == "open"  # 3 of 4 failed: judged when the 4th call, a success, reached the minimum


def test_calls_leaving_the_window_leave_the_rates():
    breaker = Breaker("b-slide", POLICY)
    call(breaker, failed=True, duration=0.1)
    for _ in range(9):
        call(breaker)
    assert breaker.rates() == (pytest.approx(10.0), pytest.approx(10.0))  # 1 of 10 failed and slow
    call(breaker)  # the window holds 10: the first call drops out
    assert breaker.rates() == (0.0, 0.0)
    assert breaker.state == "closed"


def test_opens_on_the_slow_call_rate():
    breaker = Breaker("b-slow", POLICY)
    for duration in (0.1, 0.1, 0.01, 0.1):
        call(breaker, duration=duration)
    assert breaker.state == "open"  # 3 of 4 slow = 75% >= 60%, though none failed


def test_half_open_permits_exactly_n_trial_calls_then_closes_on_success():
    clock = FakeClock()
    breaker = Breaker("b-half", POLICY, clock=clock)
    for _ in range(4):
        call(breaker, failed=True)
    assert breaker.state == "open"
    with pytest.raises(BreakerOpen):
        breaker.acquire()  # still within the 0.2 s wait
    clock.advance(0.25)
    first, second = breaker.acquire(), breaker.acquire()
    assert (first.trial, second.trial) == (True, True)
    assert breaker.state == "half-open"
    with pytest.raises(BreakerOpen):
        breaker.acquire()  # a third trial is refused while two are in flight
    breaker.record(first, failed=False, duration=0.0)
    assert breaker.state == "half-open"
    breaker.record(second, failed=False, duration=0.0)
    assert breaker.state == "closed"
    assert [(t.old, t.new) for t in breaker.transitions] == [
        ("closed", "open"), ("open", "half-open"), ("half-open", "closed")]


def test_a_failed_trial_reopens():
    clock = FakeClock()
    breaker = Breaker("b-reopen", POLICY, clock=clock)
    for _ in range(4):
        call(breaker, failed=True)
    clock.advance(0.25)
    permit = breaker.acquire()
    breaker.record(permit, failed=True, duration=0.0)
    assert breaker.state == "open"
    with pytest.raises(BreakerOpen):
        breaker.acquire()


def test_forced_states_and_reset():
    breaker = Breaker("b-forced", POLICY)
    breaker.force(FORCED_OPEN)
    assert breaker.state == "forced-open"
    with pytest.raises(BreakerOpen):
        breaker.acquire()
    breaker.force(FORCED_CLOSED)
    for _ in range(10):
        call(breaker, failed=True)  # not even counted while pinned closed
    assert breaker.state == "forced-closed"
    breaker.reset()
    assert breaker.state == "closed"
    assert breaker.rates() == (0.0, 0.0)


def test_breaker_open_is_a_boundary_failure_that_is_not_retried():
    assert issubclass(BreakerOpen, BoundaryUnavailable)
    assert BreakerOpen.retryable is False


def test_concurrent_calls_through_one_breaker_do_not_serialise():
    breaker = Breaker("b-concurrent", POLICY)
    barrier = threading.Barrier(8)

    def slow_call():
        barrier.wait(timeout=5)
        permit = breaker.acquire()
        time.sleep(0.2)
        breaker.record(permit, failed=False, duration=0.2)

    threads = [threading.Thread(target=slow_call) for _ in range(8)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert time.perf_counter() - started < 8 * 0.2 / 2  # serialised calls would take 1.6 s


def test_calls_finishing_after_the_trip_do_not_trip_it_again():
    breaker = Breaker("b-late", POLICY)
    late = [breaker.acquire() for _ in range(6)]  # six calls in flight
    for permit in late[:4]:
        breaker.record(permit, failed=True, duration=0.0)
    assert breaker.state == "open"
    opened = [(t.old, t.new) for t in breaker.transitions]
    for permit in late[4:]:
        breaker.record(permit, failed=True, duration=0.0)
    assert [(t.old, t.new) for t in breaker.transitions] == opened == [("closed", "open")]
