"""The orders context's settings, declared once: read them through `orders_settings`."""
from common.conf import AppSettings, Key, not_negative, positive

orders_settings = AppSettings(
    "orders",
    Key("CHECKOUT_MODE", "orchestrated", "how the checkout runs: orchestrated (every step in the placing call) or "
        "choreographed (one step each time the previous step's event arrives); stored on each order when placed",
        env="CHECKOUT_MODE", choices=("orchestrated", "choreographed")),
    Key("CHECKOUT_SAGA", {}, "the checkout saga (orders/saga.py, docs/checkout.md)", keys=(
        Key("step_deadline", 30.0, "seconds a step may take before the saga counts as stuck",
            env="CHECKOUT_SAGA_STEP_DEADLINE", check=positive),
        Key("give_up_after", 600.0, "the one give-up timeout of both modes: seconds after the order was placed "
            "during which a charge that cannot be made is retried; then the checkout is undone",
            env=("CHECKOUT_GIVE_UP_AFTER", "CHECKOUT_SAGA_CHARGE_WINDOW"), check=not_negative),
        Key("backoff_initial", 1.0, "seconds before a failed step's first retry", env="CHECKOUT_SAGA_BACKOFF_INITIAL",
            check=not_negative),
        Key("backoff_max", 60.0, "the longest wait between two retries", env="CHECKOUT_SAGA_BACKOFF_MAX",
            check=positive),
    )),
    Key("CHECKOUT_SWEEP_SECONDS", 2.0, "how often beat sends ResumeCheckout for every saga whose retry is due or "
        "whose runner died", env="CHECKOUT_SWEEP_SECONDS", check=positive),
    Key("ORDER_MAX_LINES", 50, "lines per order at most", check=positive),
    Key("ORDER_MAX_QUANTITY", 1000, "units per order line at most", check=positive),
    doc="orders and the checkout",
)
