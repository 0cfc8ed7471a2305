"""BOUNDARIES profiles: which transport carries each synchronous boundary, and where its server listens.

`embedded` keeps every context in-process; `rest` and `grpc` move every boundary to that transport;
`split` chooses per interaction (README, "Split profile"). Targets default to fixed loopback ports
and are overridden per context with <CONTEXT>_REST_TARGET / <CONTEXT>_GRPC_TARGET; <CONTEXT>_TRANSPORT
moves one context whatever the profile.
"""
from __future__ import annotations

CONTEXTS = ("inventory", "orders", "payments", "shipping", "reviews")
DEFAULT_PORTS = {"inventory": 1, "orders": 2, "payments": 3, "shipping": 4, "reviews": 5}  # REST 810N, gRPC 5010N

SPLIT = {  # why each: WHY below
    "inventory": "grpc",
    "payments": "rest",
    "shipping": "rest",
    "orders": "rest",
    "reviews": "rest",
}

# The seed's Scenario 3 reasoning, in one place: why each interaction talks the way it does. Keyed by
# (source, target, "sync" | "command" | "event"); ("*", "*", "event") covers every event without its own
# reason. The communication map (admin and `manage.py communication_map`) shows these beside the arrows.
WHY = {
    ("shop", "inventory", "sync"): "availability for catalog pages: a hot read on every product page, "
                                   "aggregated per page: the latency-critical, typed read gRPC is for",
    ("orders", "inventory", "sync"): "reserve / release at checkout: on the critical path, and the answer "
                                     "(held or out of stock) decides the next step: gRPC",
    ("orders", "payments", "sync"): "charge / refund: the customer waits for the verdict before we confirm; "
                                    "rare, idempotent per order, easy to inspect: REST",
    ("orders", "shipping", "sync"): "schedule / cancel: rare, simple commands whose answer the confirmation "
                                    "needs; plain JSON is enough: REST",
    ("shop", "orders", "sync"): "place / get / list / cancel: the storefront's customer waits for confirmed "
                                "or cancelled; the edge speaks JSON already: REST",
    ("orders", "notifications", "command"): "order confirmation email: nobody should wait for SMTP; stored "
                                            "with the order's confirmation (outbox), never lost, idempotent per order",
    ("orders", "orders", "command"): "resume a checkout (orders to itself): stored with the step that stalled, "
                                     "so a retry survives the process that was running it",
    ("shop", "reviews", "sync"): "reviews on the product page (Scenario 3's ProductService asking ReviewService) and "
                                 "posting one: the page waits for them but can do without: a short timeout, a "
                                 "fallback (reviews marked unavailable), plain JSON text the edge passes on: REST",
    ("reviews", "shop", "event"): "recommendations on the home list (Scenario 3's recommended items): the catalog keeps "
                                  "its own ratings, fed by ReviewPosted, so the busiest page never waits on another "
                                  "context and still recommends while reviews is down",
    ("*", "*", "event"): "an announcement that X happened: many may react, none must answer; written to the "
                         "outbox in the same transaction as the change",
}


def targets(env) -> dict[str, dict[str, str]]:
    """Per context, the base URL of its REST server and the host:port of its gRPC server."""
    result = {}
    for context in CONTEXTS:
        n = DEFAULT_PORTS[context]
        result[context] = {
            "rest": env.get(f"{context.upper()}_REST_TARGET", f"http://127.0.0.1:810{n}"),
            "grpc": env.get(f"{context.upper()}_GRPC_TARGET", f"127.0.0.1:5010{n}"),
        }
    return result


def boundaries(profile: str, env, *, tokens: dict[str, str], timeout: float, tls: dict | None = None) -> dict:
    """The BOUNDARIES setting for `profile` (embedded, rest, grpc or split)."""
    if profile == "embedded":
        transports = dict.fromkeys(CONTEXTS, "local")
    elif profile in ("rest", "grpc"):
        transports = dict.fromkeys(CONTEXTS, profile)
    elif profile == "split":
        transports = SPLIT
    else:
        raise ValueError(f"BOUNDARIES_PROFILE must be embedded, rest, grpc or split, not {profile!r}")
    # <CONTEXT>_TRANSPORT moves one boundary whatever the profile, e.g. PAYMENTS_TRANSPORT=rest.
    transports = {context: env.get(f"{context.upper()}_TRANSPORT", transport) for context, transport in transports.items()}
    where = targets(env)
    result = {}
    for context, transport in transports.items():
        config = {"transport": transport}
        if transport != "local":
            config.update(target=where[context][transport], timeout=timeout, token=tokens[context])
        if transport == "grpc" and tls:
            config["tls"] = tls
        result[context] = config
    return result
