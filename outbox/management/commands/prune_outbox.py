"""manage.py prune_outbox: delete delivered work past its retention, in bounded batches; undelivered work stays."""
from django.core.management.base import BaseCommand

from common.management.arguments import bounded
from outbox.retention import prune_every_database


class Command(BaseCommand):
    help = "Prune done deliveries with their inbox records, and fully delivered messages, past their retention."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=bounded(float, 0, 3650), default=None,
                            help="Messages: override settings.OUTBOX['RETENTION_DAYS'].")
        parser.add_argument("--done-older-than-seconds", type=bounded(float, 0, 3650 * 86400), default=None,
                            help="Done deliveries and inbox records: override OUTBOX['DONE_RETENTION_SECONDS'].")
        parser.add_argument("--limit", type=bounded(int, 1, 100_000_000), default=None,
                            help="At most this many rows of each kind.")

    def handle(self, *args, older_than_days=None, done_older_than_seconds=None, limit=None, **options):
        every = prune_every_database(older_than_days=older_than_days, done_older_than_seconds=done_older_than_seconds,
                                     limit=limit)
        for alias, counts in every.items():
            where = f" ({alias})" if len(every) > 1 else ""
            self.stdout.write(", ".join(f"{count} {what}" for what, count in counts.items()) + f" pruned{where}")
