"""Inject, list or clear faults on a boundary while the shop runs (Istio's delay/abort vocabulary)."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from common.management.arguments import bounded
from common.models import FaultRule


class Command(BaseCommand):
    help = (
        "Change fault injection at run time. Examples:\n"
        "  manage.py fault set payments --delay 7 --delay-percent 100\n"
        "  manage.py fault set inventory --operation get_availability --abort-percent 50 --http-status 503\n"
        "  manage.py fault list\n  manage.py fault clear [payments]"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["set", "list", "clear"])
        parser.add_argument("boundary", nargs="?")
        parser.add_argument("--operation", default="")
        parser.add_argument("--delay", type=bounded(float, 0, 3600), default=0.0, help="fixed delay in seconds")
        parser.add_argument("--delay-percent", type=bounded(float, 0, 100), default=0.0)
        parser.add_argument("--abort-percent", type=bounded(float, 0, 100), default=0.0)
        parser.add_argument("--http-status", type=bounded(int, 100, 599))
        parser.add_argument("--grpc-status", default="")

    def handle(self, *args, action, boundary, operation, **options):
        if action == "list":
            for rule in FaultRule.objects.order_by("boundary", "operation"):
                self.stdout.write(f"{'on ' if rule.enabled else 'off'} {rule}")
            return
        if action == "clear":
            rules = FaultRule.objects.all()
            if boundary:
                rules = rules.filter(boundary=boundary)
            count, _ = rules.delete()
            self.stdout.write(f"cleared {count} fault rule(s); running processes drop them within a second")
            return
        if not boundary:
            raise CommandError("set needs a boundary, e.g. `fault set payments --delay 5 --delay-percent 100`")
        rule = FaultRule.objects.filter(boundary=boundary, operation=operation).first() or FaultRule(
            boundary=boundary, operation=operation
        )
        rule.enabled = True
        rule.fixed_delay, rule.delay_percentage = options["delay"], options["delay_percent"]
        rule.abort_percentage = options["abort_percent"]
        rule.http_status, rule.grpc_status = options["http_status"], options["grpc_status"]
        try:
            rule.full_clean()
        except ValidationError as error:
            raise CommandError(error.message_dict) from None
        rule.save()
        self.stdout.write(f"set {rule}; running processes pick it up within a second")
