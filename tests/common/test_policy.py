"""The policy layer: retries only where safe, per-try and overall timeouts, faults, fallbacks, from settings."""
import time

import pytest
from django.test import override_settings

from common.deadlines import remaining
from common.errors import BoundaryTimeout, BoundaryUnavailable, ValidationFailed
from common.models import FaultRule
from common.resilience.breaker import BreakerOpen, breaker_for
from common.resilience.config import cached_policy_for, policy_for
from common.resilience.faults import InjectedAbort
from common.resilience.proxy import invoke

pytestmark = pytest.mark.django_db  # runtime fault rules are read from the database


def resilience(**operations):
    """RESILIENCE settings for a test boundary "svc" with the given per-operation policies."""
    return {
        "defaults": {"timeout": 2.0, "per_try_timeout": 1.0,
                     "retry": {"attempts": 3, "backoff_initial": 0.01, "backoff_max": 0.02},
                     "breaker": {"minimum_number_of_calls": 100}},
        "boundaries": {"svc": {"operations": operations}},
    }


class Flaky:
    """A downstream that fails `failures` times with `error`, then answers."""

    def __init__(self, failures, error=None):
        self.failures, self.calls = failures, 0
        self.error = error or BoundaryUnavailable("svc", "connection refused")

    def __call__(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


@override_settings(RESILIENCE=resilience(read={"idempotent": True}, write={}))
def test_only_idempotent_operations_are_retried():
    read = Flaky(2)
    assert invoke("svc", "read", read, (), {}) == "ok"
    assert read.calls == 3
    write = Flaky(2)
    with pytest.raises(BoundaryUnavailable):
        invoke("svc", "write", write, (), {})
    assert write.calls == 1


@override_settings(RESILIENCE=resilience(read={"idempotent": True}))
@pytest.mark.parametrize("status,retried", [(503, True), (429, True), (502, True), (500, False), (404, False)])
def test_retries_only_the_statuses_that_say_try_again(status, retried):
    target = Flaky(1, BoundaryUnavailable("svc", f"HTTP {status}", http_status=status))
    if retried:
        assert invoke("svc", "read", target, (), {}) == "ok"
    else:
        with pytest.raises(BoundaryUnavailable):
            invoke("svc", "read", target, (), {})
    assert target.calls == (2 if retried else 1)


@override_settings(RESILIENCE=resilience(read={"idempotent": True}))
def test_grpc_unavailable_is_retried_but_not_invalid_argument():
    assert invoke("svc", "read", Flaky(1, BoundaryUnavailable("svc", "x", grpc_status="UNAVAILABLE")), (), {}) == "ok"
    with pytest.raises(BoundaryUnavailable):
        invoke("svc", "read", Flaky(1, BoundaryUnavailable("svc", "x", grpc_status="INTERNAL")), (), {})


@override_settings(RESILIENCE=resilience(read={"idempotent": True}))
def test_domain_errors_are_neither_retried_nor_counted_by_the_breaker():
    target = Flaky(5, ValidationFailed("bad"))
    with pytest.raises(ValidationFailed):
        invoke("svc", "read", target, (), {})
    assert target.calls == 1
    assert breaker_for("svc", cached_policy_for("svc", "").breaker).rates() == (0.0, 0.0)


@override_settings(RESILIENCE=resilience(read={"idempotent": True, "per_try_timeout": 0.1, "timeout": 1.0}))
def test_each_try_gets_the_per_try_deadline_and_the_whole_call_the_overall_one():
    seen = []

    def target():
        seen.append(remaining())
        raise BoundaryTimeout("svc", "slow")

    with pytest.raises(BoundaryTimeout):
        invoke("svc", "read", target, (), {})
    assert len(seen) == 3
    assert all(0 < left <= 0.1 for left in seen)


@override_settings(RESILIENCE=resilience(read={
    "idempotent": True, "per_try_timeout": 0.1, "timeout": 0.25,
    "fault": {"delay": {"percentage": 100, "fixed_delay": 5}},
}))
def test_an_injected_delay_is_cut_by_the_timeouts_and_retried():
    target = Flaky(0)
    started = time.perf_counter()
    with pytest.raises(BoundaryTimeout):
        invoke("svc", "read", target, (), {})
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5  # not 5 s: the per-try deadline cut each delay, the overall one stopped retrying
    assert target.calls == 0


@override_settings(RESILIENCE=resilience(read={
    "idempotent": True, "fault": {"abort": {"percentage": 100, "http_status": 503}},
}))
def test_an_injected_abort_is_a_retryable_boundary_failure():
    target = Flaky(0)
    with pytest.raises(InjectedAbort) as raised:
        invoke("svc", "read", target, (), {})
    assert raised.value.http_status == 503
    assert target.calls == 0
    window = breaker_for("svc", cached_policy_for("svc", "").breaker)._window
    assert len(window) == 3  # three tries, each counted as a failure


@override_settings(RESILIENCE={
    **resilience(read={"idempotent": True}),
    "defaults": {"retry": {"attempts": 1}, "breaker": {"minimum_number_of_calls": 2, "failure_rate_threshold": 50,
                                                       "wait_duration_in_open_state": 60}},
})
def test_an_open_breaker_fails_fast_without_calling():
    for _ in range(2):
        with pytest.raises(BoundaryUnavailable):
            invoke("svc", "read", Flaky(1), (), {})
    target = Flaky(0)
    started = time.perf_counter()
    with pytest.raises(BreakerOpen):
        invoke("svc", "read", target, (), {})
    assert time.perf_counter() - started < 0.01
    assert target.calls == 0


@override_settings(RESILIENCE=resilience(read={"fallback": "tests.common.test_policy.fallback_answer"}))
def test_a_fallback_answers_instead_of_failing():
    assert invoke("svc", "read", Flaky(1), (), {"sku": "X"}) == ("fallback", "X")


def fallback_answer(*, error, sku):
    assert isinstance(error, BoundaryUnavailable)
    return ("fallback", sku)


def test_policy_layers_defaults_then_boundary_then_operation():
    config = {"defaults": {"timeout": 9}, "boundaries": {"svc": {"per_try_timeout": 3, "operations": {
        "read": {"idempotent": True, "retry": {"attempts": 5}}}}}}
    with override_settings(RESILIENCE=config):
        policy = policy_for("svc", "read")
        assert (policy.timeout, policy.per_try_timeout, policy.idempotent, policy.retry.attempts) == (9, 3, True, 5)
        assert policy_for("svc", "write").idempotent is False
    with override_settings(RESILIENCE={"defaults": {"tiemout": 1}}), pytest.raises(ValueError, match="tiemout"):
        policy_for("svc", "read")


def test_runtime_fault_rules_apply_without_a_restart_and_can_be_cleared(catalog):
    from django.core.management import call_command

    from inventory.api import get_inventory_api

    inventory = get_inventory_api()
    assert [a.sku for a in inventory.get_availability(skus=["MUG"])] == ["MUG"]
    call_command("fault", "set", "inventory", "--operation", "get_availability", "--abort-percent", "100",
                 "--http-status", "503")
    from common.resilience.faults import runtime_rules

    runtime_rules.invalidate()  # what the refresh period does within a second
    # get_availability's fallback answers "unknown" (no figures) instead of failing.
    assert inventory.get_availability(skus=["MUG"]) == []
    call_command("fault", "clear", "inventory")
    runtime_rules.invalidate()
    assert [a.sku for a in inventory.get_availability(skus=["MUG"])] == ["MUG"]
    assert not FaultRule.objects.exists()


def test_fault_command_refuses_bad_percentages():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("fault", "set", "payments", "--delay-percent", "150", "--delay", "1")
    assert not FaultRule.objects.exists()
