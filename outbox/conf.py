"""The outbox's settings (settings.OUTBOX), declared once: read them through `outbox_settings`."""
from common.conf import AppSettings, Key, not_negative, positive

outbox_settings = AppSettings(
    "outbox",
    Key("OUTBOX", {}, "the outbox, its relay and its deliveries (docs/outbox.md, docs/operations.md)", keys=(
        Key("BATCH_SIZE", 500, "messages (and deliveries) per relay cycle", env="OUTBOX_BATCH_SIZE", check=positive),
        Key("TASK_BATCH", 100, "deliveries per Celery message", env="OUTBOX_TASK_BATCH", check=positive),
        Key("LEASE_SECONDS", 60.0, "an in-flight delivery whose worker never finished is handed out again after "
            "this (the inbox dedupes); a Celery message (TASK_BATCH deliveries) must finish well within it",
            env="OUTBOX_LEASE_SECONDS", check=positive),
        Key("HANDOFF_SECONDS", 10.0, "a delivery handed to the broker but not started within this is sent again, "
            "unless its queue still holds messages (a backlog, not a loss)", env="OUTBOX_HANDOFF_SECONDS",
            check=positive),
        Key("WAIT_SECONDS", 1800.0, "a delivery whose handler waits for an earlier message (NotYetKnown) is tried "
            "again, without spending an attempt, until the message is this old", env="OUTBOX_WAIT_SECONDS",
            check=not_negative),
        Key("WAIT_MAX_DELAY_SECONDS", 5.0, "at most this between two tries of a waiting delivery",
            env="OUTBOX_WAIT_MAX_DELAY_SECONDS", check=positive),
        Key("SYNCHRONOUS_HANDLER_COMMIT", False, "PostgreSQL: off, a handler's transaction commits without waiting "
            "for the WAL flush (a database crash only makes the last deliveries run again)",
            env="OUTBOX_SYNCHRONOUS_HANDLER_COMMIT"),
        Key("POLL_SECONDS", 1.0, "the relay's cycle when nothing wakes it", env="OUTBOX_POLL_SECONDS", check=positive),
        Key("MAX_ATTEMPTS", 8, "attempts of a delivery before it is dead-lettered", env="OUTBOX_MAX_ATTEMPTS",
            check=positive),
        Key("RETRY_BASE_SECONDS", 2.0, "the wait before a failed delivery's second attempt, doubled per attempt",
            env="OUTBOX_RETRY_BASE_SECONDS", check=not_negative),
        Key("RETRY_MAX_SECONDS", 600.0, "the longest wait between two attempts", check=positive),
        Key("RETENTION_DAYS", 1.0, "fully delivered messages (which order timelines read) are pruned after this",
            env="OUTBOX_RETENTION_DAYS", check=not_negative),
        Key("DONE_RETENTION_SECONDS", 3600.0, "done deliveries and their inbox records are pruned after this",
            env="OUTBOX_DONE_RETENTION_SECONDS", check=not_negative),
        Key("PRUNE_LIMIT", 100000, "at most this many rows of each kind pruned per run (every 5 minutes)",
            env="OUTBOX_PRUNE_LIMIT", check=positive),
        Key("QUEUE_PREFIX", "", "each context's handlers run on the Celery queue `<prefix><context>`"),
        Key("WAKE", "auto", "how the relay learns of new messages: postgres (LISTEN/NOTIFY), redis (pub/sub), "
            "poll, or auto (by database and broker)", env="OUTBOX_WAKE", choices=("auto", "postgres", "redis", "poll")),
    )),
    doc="events, commands, the relay and deliveries",
)
