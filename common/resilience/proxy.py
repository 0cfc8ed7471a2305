"""Wraps a boundary client so each call runs under its policy: deadline, retries, breaker, faults, fallback."""
from __future__ import annotations

import random
import time

from django.utils.module_loading import import_string

from common.deadlines import deadline_scope, remaining
from common.errors import BoundaryUnavailable, DomainError

from .breaker import breaker_for
from .config import Policy, RetryPolicy, cached_policy_for
from .faults import fault_for, inject


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


def invoke(boundary: str, operation: str, target, args: tuple, kwargs: dict):
    """Call `target` as `operation` of `boundary` under that operation's policy."""
    policy = cached_policy_for(boundary, operation)
    attempts = policy.retry.attempts if policy.idempotent else 1
    with deadline_scope(policy.timeout):
        for attempt in range(1, attempts + 1):
            try:
                return _one_try(boundary, operation, target, args, kwargs, policy)
            except BoundaryUnavailable as error:
                failure = error
                if attempt == attempts or not _retryable(error, policy.retry):
                    break
                wait = backoff(policy.retry, attempt)
                left = remaining()
                if left is not None and wait >= left:
                    break
                time.sleep(wait)
    if policy.fallback:
        return import_string(policy.fallback)(error=failure, **kwargs)
    raise failure


def _one_try(boundary, operation, target, args, kwargs, policy: Policy):
    # One breaker per boundary (its health is the far side's, whatever the operation).
    breaker = breaker_for(boundary, cached_policy_for(boundary, "").breaker)
    permit = breaker.acquire()
    started = time.perf_counter()
    failed = True
    try:
        with deadline_scope(policy.per_try_timeout):
            fault = fault_for(boundary, operation, policy.fault)
            if fault is not None:
                inject(fault, boundary)
            result = target(*args, **kwargs)
        failed = False
        return result
    except DomainError:
        failed = False  # the far side answered; a business "no" says nothing about its health
        raise
    finally:
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
