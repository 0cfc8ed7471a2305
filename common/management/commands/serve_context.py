"""manage.py serve_context <context> [--http ADDR] [--grpc ADDR]: one context's internal endpoints as a process."""
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from common.management.arguments import bounded
from common.transports.serve import SERVABLE, serve


class Command(BaseCommand):
    help = "Serve one context's internal REST (/internal/<context>/) and gRPC endpoints until SIGTERM or Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("context", choices=SERVABLE)
        parser.add_argument("--http", metavar="HOST:PORT", help="where to serve REST (e.g. 127.0.0.1:8101)")
        parser.add_argument("--grpc", metavar="HOST:PORT", help="where to serve gRPC (e.g. 127.0.0.1:50101)")
        parser.add_argument("--workers", type=bounded(int, 1, 64), default=1, help="gunicorn worker processes (default 1)")
        parser.add_argument("--threads", type=bounded(int, 1, 256), default=8, help="threads per worker for REST, and for gRPC (default 8)")

    def handle(self, *args, context, http, grpc, workers, threads, **options):
        if not (http or grpc):
            raise CommandError("give --http, --grpc or both")
        try:
            serve(context, http=http, grpc_address=grpc, workers=workers, threads=threads)
        except ImproperlyConfigured as error:  # a weak token in production: say so plainly, start nothing
            raise CommandError(str(error)) from None
