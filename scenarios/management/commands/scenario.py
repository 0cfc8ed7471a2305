"""manage.py scenario payment-timeout | payment-crash: the seed's practice scenarios, run for real."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from common.management.arguments import bounded


class Command(BaseCommand):
    help = ("Run one of the seed's scenarios against the shop's own processes and print what happened. "
            "payment-timeout: Scenario 1 (payments slow; naive vs defaults). "
            "payment-crash: Scenario 2 (payments killed between reservation and charge; both checkout modes).")

    def add_arguments(self, parser):
        parser.add_argument("name", choices=["payment-timeout", "payment-crash"])
        parser.add_argument("--seconds", type=bounded(float, 0.5, 600), default=10.0, help="length of each load phase")
        parser.add_argument("--clients", type=bounded(int, 1, 200), default=12,
                            help="concurrent clients (the web server has 8 threads)")
        parser.add_argument("--slow-ms", default="5000-10000", help="payments latency while slow (ms or lo-hi)")
        parser.add_argument("--orders", type=bounded(int, 1, 200), default=6, help="payment-crash: orders per mode")

    def handle(self, *args, name, seconds, clients, slow_ms, orders, **options):
        log_dir = Path(settings.VAR_DIR) / "scenarios" / name
        self.stdout.write(f"logs of every process: {log_dir}/")
        if name == "payment-timeout":
            from scenarios import payment_timeout

            reports = payment_timeout.run(seconds=seconds, clients=clients, slow_ms=slow_ms, log_dir=log_dir,
                                          say=self.stdout.write)
            self.stdout.write("\n" + payment_timeout.table(reports))
        else:
            from scenarios import payment_crash

            reports = payment_crash.run(orders=orders, log_dir=log_dir, say=self.stdout.write)
            self.stdout.write("\n" + payment_crash.table(reports))
