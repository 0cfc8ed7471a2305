"""manage.py prune_outbox: delete delivered work older than the retention; undelivered work is never touched."""
from django.core.management.base import BaseCommand

from common.management.arguments import bounded
from outbox.retention import prune


class Command(BaseCommand):
    help = "Prune done deliveries, fully delivered messages and inbox records older than the retention."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=bounded(float, 0, 3650), default=None,
                            help="Override settings.OUTBOX['RETENTION_DAYS'].")

    def handle(self, *args, older_than_days=None, **options):
        counts = prune(older_than_days=older_than_days)
        self.stdout.write(", ".join(f"{count} {what}" for what, count in counts.items()) + " pruned")
