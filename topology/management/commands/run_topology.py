"""manage.py run_topology NAME: start every process of a topology (config/topologies/NAME.toml) and keep them running."""
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from topology import spec
from topology.launcher import Launcher


class Command(BaseCommand):
    help = ("Start a topology (web, context servers, Celery workers, relays, beat) under honcho, wait until "
            "every process is ready, and stop them all on Ctrl-C or SIGTERM.")

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"a topology in config/topologies/ ({', '.join(spec.available())}) or a .toml path")
        parser.add_argument("--web", metavar="HOST:PORT", help="where the web server listens (default: the file's)")
        parser.add_argument("--web-server", choices=("runserver", "gunicorn"), help="override the file's web server")
        parser.add_argument("--free-ports", action="store_true", help="put the web and every context server on free ports")
        parser.add_argument("--log-dir", help="where each process's <name>.log goes (default: the file's `logs`)")
        parser.add_argument("--migrate", action="store_true", help="migrate the database first")
        parser.add_argument("--demo", action="store_true", help="load the demo data first (and print the logins)")
        parser.add_argument("--ready-timeout", type=float, default=120.0, help="seconds to wait for readiness")
        parser.add_argument("--procfile", action="store_true",
                            help="print the topology as a Procfile (for honcho, foreman or an exporter) and exit")

    def handle(self, *args, name, web, web_server, free_ports, log_dir, migrate, demo, ready_timeout, procfile, **options):
        try:
            topology = spec.load(name)
        except spec.TopologyError as error:
            raise CommandError(str(error)) from error
        if free_ports:
            topology = spec.with_free_ports(topology)
        if web or web_server:
            topology = replace(topology, web={**topology.web, **({"address": web} if web else {}),
                                              **({"server": web_server} if web_server else {})})
        logs = Path(log_dir) if log_dir else topology.logs
        logs.mkdir(parents=True, exist_ok=True)
        processes = spec.processes(topology, log_dir=logs)
        boundaries = {**spec.boundary_env(topology), **spec.metrics_env(logs)}
        if procfile:
            for process in processes:
                env = shlex.join(f"{k}={v}" for k, v in {**boundaries, **process.env}.items())
                self.stdout.write(f"{process.name}: env {env} {shlex.join(process.args)}")
            return
        if migrate:
            for alias in connections:  # each context's tables on its database, the outbox's on every one
                self.stdout.write(f"==> migrating the database {alias}" if len(connections.settings) > 1
                                  else "==> migrating the database")
                call_command("migrate", interactive=False, verbosity=0, database=alias)
        if demo:
            self.stdout.write("==> loading demo data")
            call_command("load_demo", stdout=self.stdout)
        spec.fresh_metrics_dir(Path(boundaries["PROMETHEUS_MULTIPROC_DIR"]))
        connections.close_all()  # the children open their own; honcho forks its readers from this process
        self.stdout.write(f"==> starting topology {topology.name} ({topology.description}): "
                          f"{len(processes)} processes, logs in {logs}/")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "config.settings.dev"), **boundaries}
        base = f"http://{topology.web['address']}"
        banner = (f"\n  Storefront API (browsable): {base}/api/\n  Admin:                      {base}/admin/\n"
                  f"  OpenAPI schema / Swagger:   {base}/api/schema/  {base}/api/docs/")
        self.stdout.flush()
        code = Launcher(processes, env=env, log_dir=logs, ready_timeout=ready_timeout, banner=banner).run()
        if code:
            sys.exit(code)
