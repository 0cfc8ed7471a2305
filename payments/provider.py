"""A simulated payment provider whose declines, latency and failures come from settings.PAYMENT_PROVIDER."""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from common.money import Money

from .api import PaymentDeclined, PaymentProviderUnavailable
from .conf import payments_settings


@dataclass(frozen=True)
class ProviderCharge:
    """The provider's answer to a successful charge."""

    reference: str


def _config() -> dict:
    return payments_settings.PAYMENT_PROVIDER


def _latency_seconds(spec) -> float:
    """A latency in seconds from a number of milliseconds or a "lo-hi" range of them."""
    if isinstance(spec, str) and "-" in spec.strip("-"):
        low, high = (float(part) for part in spec.split("-", 1))
        return random.uniform(low, high) / 1000
    return float(spec or 0) / 1000


def _behave_like_a_network() -> None:
    config = _config()
    latency = _latency_seconds(config.get("latency_ms", 0))
    if latency:
        time.sleep(latency)
    if random.random() < config.get("failure_rate", 0.0):
        raise PaymentProviderUnavailable("the payment provider did not answer")


def provider_charge(*, idempotency_key: str, amount: Money, payment_token: str) -> ProviderCharge:
    """Charge a card token; raises PaymentDeclined or PaymentProviderUnavailable."""
    _behave_like_a_network()
    config = _config()
    reason = config.get("decline_tokens", {}).get(payment_token)
    if reason:
        raise PaymentDeclined(f"card declined: {reason}", reason=reason)
    if payment_token not in config.get("test_tokens", ()):
        # As a real provider answers a token it never issued: nothing is charged.
        raise PaymentDeclined("card declined: no such payment token", reason="invalid_token")
    limit = config.get("decline_over_amount")
    if limit is not None and amount.amount > Decimal(str(limit)):
        raise PaymentDeclined(f"amount over the {limit} limit", reason="amount_over_limit")
    # A real provider dedupes on the idempotency key; the reference is derived from it the same way.
    return ProviderCharge(reference=f"ch_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:20]}")


def provider_refund(*, reference: str) -> None:
    """Refund a charge by its provider reference."""
    _behave_like_a_network()
