"""manage.py outbox_status: the outbox's counts and lag, as a line of text or JSON (for a cron job or a probe)."""
import json

from django.conf import settings
from django.core.management.base import BaseCommand

from common.db import using
from common.management.arguments import bounded

from outbox.selectors import outbox_status


class Command(BaseCommand):
    help = "Print deliveries per state and the outbox lag (seconds the oldest runnable work has waited)."

    def add_arguments(self, parser):
        parser.add_argument("--json", dest="as_json", action="store_true", help="One JSON object.")
        parser.add_argument("--max-lag", type=bounded(float, 0, 10**9), default=None,
                            help="Exit with status 1 when the lag is above this many seconds.")
        parser.add_argument("--database", default="default", choices=list(settings.DATABASES),
                            help="Whose outbox (with a database per context, each has its own).")

    def handle(self, *args, as_json=False, max_lag=None, database="default", **options):
        with using(database):
            status = outbox_status()
        self.stdout.write(json.dumps(status) if as_json else ", ".join(f"{key} {value}" for key, value in status.items()))
        if max_lag is not None and status["lag_seconds"] > max_lag:
            raise SystemExit(1)

