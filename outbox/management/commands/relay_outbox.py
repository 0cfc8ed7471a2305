"""manage.py relay_outbox: the long-running relay; SIGTERM or Ctrl-C stops it after the current cycle."""
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from common.db import using
from outbox.relay import Relay, relay_until_idle


class Command(BaseCommand):
    help = "Deliver outbox messages to their subscribers' Celery queues until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Relay what is due now, then exit.")
        parser.add_argument("--database", default="default", choices=list(settings.DATABASES),
                            help="The database whose outbox this relay serves (one relay per database).")

    def handle(self, *args, once=False, database="default", **options):
        if once:
            with using(database):
                self.stdout.write(f"relayed {relay_until_idle()}")
            return
        relay = Relay(database)
        signal.signal(signal.SIGTERM, relay.stop)
        signal.signal(signal.SIGINT, relay.stop)
        self.stdout.write("relay running; SIGTERM or Ctrl-C stops it")
        self.stdout.flush()
        relay.run()
