"""The storefront's settings, declared once: read them through `shop_settings`."""
import re

from common.conf import AppSettings, Key, positive

RATE = re.compile(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)")


def _rate(value) -> str | None:
    return None if RATE.fullmatch(value) else 'must be "<n>/<sec|min|hour|day>", e.g. "20/min"'


shop_settings = AppSettings(
    "shop",
    Key("API_THROTTLE", {}, "the storefront's rate limits (shop/throttling.py, docs/edges.md)", keys=(
        Key("enabled", True, "off: no rate limits (load tests, benchmarks)", env="API_THROTTLE"),
        Key("cache", "throttle", "the cache the counts live in (CACHES; THROTTLE_CACHE_URL makes it Redis, shared "
            "by every web process)"),
        Key("rates", {}, "requests per scope; the suffix says whom a scope counts", keys=(
            Key("auth_ip", "20/min", "token requests per client address", env="THROTTLE_AUTH_IP", check=_rate),
            Key("auth_username", "10/min", "token requests per account tried", env="THROTTLE_AUTH_USERNAME",
                check=_rate),
            Key("order_user", "20/min", "orders placed per customer", env="THROTTLE_ORDER_USER", check=_rate),
            Key("order_ip", "60/min", "orders placed per client address", env="THROTTLE_ORDER_IP", check=_rate),
            Key("cancel_user", "20/min", "cancellations per customer", env="THROTTLE_CANCEL_USER", check=_rate),
            Key("review_user", "10/min", "reviews posted per customer", env="THROTTLE_REVIEW_USER", check=_rate),
        )),
    )),
    Key("IDEMPOTENCY", {}, "Idempotency-Key claims (shop/idempotency.py)", keys=(
        Key("lease_seconds", 60.0, "a request owns its key this long (longer than any request may run); a key whose "
            "request died is then bound to the order it created, or released", env="IDEMPOTENCY_LEASE_SECONDS",
            check=positive),
    )),
    doc="the storefront API",
)
