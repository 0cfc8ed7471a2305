"""manage.py outbox_queues: the Celery queues a worker must consume (default, and every subscribing context's)."""
from django.conf import settings
from django.core.management.base import BaseCommand

from outbox.registry import all_subscribers


class Command(BaseCommand):
    help = "Print the comma-separated queue list for `celery worker -Q`."

    def handle(self, *args, **options):
        default = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        self.stdout.write(",".join([default, *sorted({s.queue for s in all_subscribers()})]))
