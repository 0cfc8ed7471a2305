"""Wraps a boundary client so each call runs under its policy: deadline, retries, breaker, faults, fallback."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

from django.utils.module_loading import import_string

from common.deadlines import pop_deadline, push_deadline, remaining
from common.errors import BoundaryUnavailable, DomainError
from common.observers import observe_try, observer
from common.runtime import runtime

from .breaker import breaker_for
from .config import BreakerPolicy, Policy, RetryPolicy, cached_policy_for
from .faults import Fault, fault_for, inject


class ResilientClient:
    """The same API as the client it wraps; every public method goes through the policy layer."""

    def __init__(self, boundary: str, client):
        self.boundary = boundary
        self.client = client

    def __getattr__(self, operation: str):
        target = getattr(self.client, operation)
        if operation.startswith("_") or not callable(target):
            return target
        boundary = self.boundary

        def call(*args, **kwargs):
            return invoke(boundary, operation, target, args, kwargs)

        call.__name__ = operation
        self.__dict__[operation] = call  # later lookups skip __getattr__
        return call

    def __repr__(self):
        return f"<ResilientClient {self.boundary} over {self.client!r}>"


@dataclass(frozen=True)
class _Plan:
    """What one operation's calls need from settings, worked out once: every boundary call reads it."""

    policy: Policy
    attempts: int
    breaker: BreakerPolicy  # the boundary's: one breaker per boundary, whatever the operation
    fault: Fault | None  # from settings; a runtime FaultRule wins over it


_plans: dict[tuple[str, str], _Plan] = runtime.store("resilience.plans", built_from={"RESILIENCE"})


def _plan_for(boundary: str, operation: str) -> _Plan:
    policy = cached_policy_for(boundary, operation)
    plan = _plans[(boundary, operation)] = _Plan(
        policy=policy, attempts=policy.retry.attempts if policy.idempotent else 1,
        breaker=cached_policy_for(boundary, "").breaker, fault=Fault.from_dict(policy.fault),
    )
    return plan


def invoke(boundary: str, operation: str, target, args: tuple, kwargs: dict):
    """Call `target` as `operation` of `boundary` under that operation's policy (observed: common/observers.py)."""
    return observer().boundary_call(boundary, operation, _invoke, target, args, kwargs)


def _invoke(boundary: str, operation: str, target, args: tuple, kwargs: dict):
    plan = _plans.get((boundary, operation)) or _plan_for(boundary, operation)
    policy = plan.policy
    # The whole call's timeout is a time to give up at; each try opens one deadline scope cut to it
    # (rather than a scope for the call with one per try inside: every boundary call pays for these).
    give_up_at = None if policy.timeout is None else time.monotonic() + policy.timeout
    for attempt in range(1, plan.attempts + 1):
        budget = policy.per_try_timeout  # cut to what the whole call has left
        if give_up_at is not None:
            left = max(give_up_at - time.monotonic(), 0.0)
            budget = left if budget is None else min(budget, left)
        try:
            with observe_try(boundary, operation, target, attempt) as watch:  # a span per try (observability)
                return _one_try(boundary, operation, target, args, kwargs, plan, budget, watch)
        except BoundaryUnavailable as error:
            failure = error
            if attempt == plan.attempts or not _retryable(error, policy.retry):
                break
            wait = backoff(policy.retry, attempt)
            left = _time_left(give_up_at)
            if left is not None and wait >= left:
                break
            observer().boundary_retry(boundary, operation)
            time.sleep(wait)
    if policy.fallback:
        observer().boundary_fallback(boundary, operation)
        return import_string(policy.fallback)(error=failure, **kwargs)
    raise failure


def _time_left(give_up_at: float | None) -> float | None:
    """Seconds until the call's own timeout or its caller's deadline, whichever comes first."""
    outer = remaining()
    if give_up_at is None:
        return outer
    own = max(give_up_at - time.monotonic(), 0.0)
    return own if outer is None else min(own, outer)


def _one_try(boundary, operation, target, args, kwargs, plan: _Plan, budget: float | None, watch):
    breaker = watch.breaker = breaker_for(boundary, plan.breaker)
    permit = breaker.acquire()
    started = time.perf_counter()
    failed = True
    deadline = push_deadline(budget)  # deadline_scope(budget), inlined into the try/finally we need anyway
    try:
        fault = watch.fault = fault_for(boundary, operation, plan.fault)
        if fault is not None:
            inject(fault, boundary)
        result = target(*args, **kwargs)
        failed = False
        return result
    except DomainError:
        failed = False  # the far side answered; a business "no" says nothing about its health
        raise
    finally:
        pop_deadline(deadline)
        breaker.record(permit, failed=failed, duration=time.perf_counter() - started)


def _retryable(error: BoundaryUnavailable, retry: RetryPolicy) -> bool:
    if not error.retryable:
        return False
    if error.http_status is not None:
        return error.http_status in retry.retry_on_http
    if error.grpc_status is not None:
        return error.grpc_status in retry.retry_on_grpc
    return True  # refused, reset, timed out: nothing reached the far side's business logic for sure


def backoff(retry: RetryPolicy, attempt: int) -> float:
    """Exponential backoff before try `attempt + 1`, with jitter."""
    base = min(retry.backoff_max, retry.backoff_initial * retry.backoff_multiplier ** (attempt - 1))
    return max(0.0, base * (1 + random.uniform(-retry.jitter, retry.jitter)))
