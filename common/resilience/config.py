"""Resilience policies read from settings.RESILIENCE: defaults, per boundary, per operation."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace


from common.runtime import runtime

from ..conf import common_settings


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try again."""

    attempts: int = 3
    backoff_initial: float = 0.05
    backoff_max: float = 1.0
    backoff_multiplier: float = 2.0
    jitter: float = 0.5  # +-50% of each wait, so callers that failed together do not retry together
    retry_on_http: tuple[int, ...] = (429, 502, 503, 504)
    retry_on_grpc: tuple[str, ...] = ("UNAVAILABLE",)


@dataclass(frozen=True)
class BreakerPolicy:
    """A circuit breaker in Resilience4j's vocabulary."""

    failure_rate_threshold: float = 50.0  # percent of the window's calls that failed
    slow_call_rate_threshold: float = 100.0  # percent of the window's calls that were slow
    slow_call_duration: float = 2.0  # seconds
    sliding_window_size: int = 20  # calls
    minimum_number_of_calls: int = 10
    wait_duration_in_open_state: float = 30.0  # seconds
    permitted_calls_in_half_open: int = 3
    enabled: bool = True


@dataclass(frozen=True)
class Policy:
    """Everything that applies to one operation of one boundary."""

    timeout: float | None = 5.0  # the whole call, retries included
    per_try_timeout: float | None = 2.0
    idempotent: bool = False  # only idempotent operations are retried
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    fallback: str | None = None  # dotted path of a function(*, error, **call_kwargs) giving the answer instead
    fault: dict = field(default_factory=dict)  # Istio's vocabulary: {"delay": {...}, "abort": {...}}


def _merge(policy: Policy, overrides: dict) -> Policy:
    changes = {}
    for f in fields(Policy):
        if f.name not in overrides:
            continue
        value = overrides[f.name]
        if f.name == "retry":
            value = replace(policy.retry, **{k: tuple(v) if isinstance(v, list) else v for k, v in value.items()})
        elif f.name == "breaker":
            value = replace(policy.breaker, **value)
        changes[f.name] = value
    unknown = set(overrides) - {f.name for f in fields(Policy)} - {"operations"}
    if unknown:
        raise ValueError(f"unknown resilience settings: {sorted(unknown)}")
    return replace(policy, **changes)


def check_overrides(overrides: dict) -> None:
    """Raise ValueError or TypeError naming the key when `overrides` holds one no policy has."""
    _merge(Policy(), overrides)


def policy_for(boundary: str, operation: str) -> Policy:
    """The policy of one operation: defaults, then the boundary's settings, then the operation's."""
    config = common_settings.RESILIENCE
    policy = _merge(Policy(), config.get("defaults", {}))
    boundary_config = config.get("boundaries", {}).get(boundary, {})
    policy = _merge(policy, boundary_config)
    return _merge(policy, boundary_config.get("operations", {}).get(operation, {}))


_cache: dict[tuple[str, str], Policy] = runtime.store("resilience.policies", built_from={"RESILIENCE"})


def cached_policy_for(boundary: str, operation: str) -> Policy:
    """policy_for, computed once per operation until RESILIENCE changes."""
    key = (boundary, operation)
    policy = _cache.get(key)
    if policy is None:
        policy = _cache[key] = policy_for(boundary, operation)
    return policy
