"""The payments context's settings, declared once: read them through `payments_settings`."""
import re

from common.conf import AppSettings, Key, decimal_text

LATENCY = re.compile(r"\d+(\.\d+)?(-\d+(\.\d+)?)?")


def _latency(value) -> str | None:
    return None if LATENCY.fullmatch(str(value).strip()) else "must be milliseconds, a number or \"lo-hi\""


def _rate(value) -> str | None:
    return None if 0 <= value <= 1 else "must be between 0 and 1"


payments_settings = AppSettings(
    "payments",
    Key("PAYMENT_PROVIDER", {}, "the simulated payment provider (payments/provider.py)", keys=(
        Key("test_tokens", ["tok_visa", "tok_visa_debit", "tok_mastercard", "tok_amex"],
            "card tokens that are charged (as Stripe publishes them); any token not listed here or in "
            "decline_tokens is declined as invalid_token"),
        Key("decline_tokens", {"tok_declined": "card_declined", "tok_insufficient_funds": "insufficient_funds"},
            "card tokens that are declined, with the reason given"),
        Key("decline_over_amount", "5000.00", "charges above this amount are declined (a fraud rule); None disables it",
            type=str, nullable=True, check=decimal_text),
        Key("latency_ms", "0", "milliseconds per call: a number, or \"lo-hi\" for a uniform random latency "
            "(Scenario 1 uses 5000-10000)", type=(str, int, float), env="PAYMENT_LATENCY_MS", check=_latency),
        Key("failure_rate", 0.0, "the share of calls that fail as if the provider were down",
            env="PAYMENT_FAILURE_RATE", check=_rate),
    )),
    doc="charges, refunds, the simulated provider",
)
