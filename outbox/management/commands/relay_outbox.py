"""manage.py relay_outbox: the long-running relay; SIGTERM or Ctrl-C stops it after the current cycle."""
import signal

from django.core.management.base import BaseCommand

from outbox.relay import Relay, relay_until_idle


class Command(BaseCommand):
    help = "Deliver outbox messages to their subscribers' Celery queues until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Relay what is due now, then exit.")

    def handle(self, *args, once=False, **options):
        if once:
            self.stdout.write(f"relayed {relay_until_idle()}")
            return
        relay = Relay()
        signal.signal(signal.SIGTERM, relay.stop)
        signal.signal(signal.SIGINT, relay.stop)
        self.stdout.write("relay running; SIGTERM or Ctrl-C stops it")
        self.stdout.flush()
        relay.run()
