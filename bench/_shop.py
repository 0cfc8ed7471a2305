"""Shared by the checkout and scaling benchmarks: a scratch database, demo-like data, a topology started by
run_topology, the load generator in its own process, and CPU/RSS of processes read from /proc."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- the scratch database ------------------------------------------------------------------------------


@contextmanager
def scratch_database(prefix: str, given: str | None = None):
    """A PostgreSQL database of this run's own, dropped afterwards; yields its URL. With `given` (a URL), that
    database instead, left as it is (the smoke tests pass their own test database: no CREATE/DROP DATABASE,
    which wait for a checkpoint, no migrations to run)."""
    import psycopg

    if given:
        yield given
        return
    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        database_backends(name)  # opens the run's monitoring connection now, while there are connections to spare
        yield PG.rsplit("/", 1)[0] + f"/{name}"
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001  (Django may not be set up yet)
            pass
        with _monitor.pop() as conn:  # the connection we are sure of
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def base_env(database_url: str, **extra) -> dict:
    """The environment of every process of a run: this run's database, Redis db, queues; logging and limits off."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_QUEUE": f"bench-{os.getpid()}",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS,
        "API_THROTTLE": "off",  # thousands of orders per customer
        "PYTHONUNBUFFERED": "1",
        "GRPC_VERBOSITY": "ERROR",
        **extra,
    }


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(*, customers: int, skus: int) -> tuple[list[str], list[str]]:
    """Migrate, then customers with API tokens and products with stock enough for any run; (tokens, skus)."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from inventory.api import get_inventory_api
    from shop.models import Product

    call_command("migrate", verbosity=0)
    names = [f"BENCH-{n:03d}" for n in range(skus)]
    for sku in names:  # again on a database a run already filled: what is there stays
        _, created = Product.objects.get_or_create(
            sku=sku, defaults={"name": f"Bench item {sku}", "price_amount": Decimal("12.50"), "price_currency": "EUR"})
        if created:
            get_inventory_api().restock(sku=sku, quantity=1_000_000, reason="benchmark")
    users = get_user_model()
    tokens = []
    for n in range(customers):
        user, _ = users.objects.get_or_create(username=f"bench{n}", defaults={"email": f"bench{n}@example.com"})
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return tokens, names


# --- processes -----------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Every live descendant of pid."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes (live ones) so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


_monitor = []  # one connection for the whole run: a PostgreSQL shared by many may have none to spare later


def database_backends(database_name: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to this run's database (their CPU is the database's work)."""
    import psycopg

    if not _monitor:
        _monitor.append(psycopg.connect(PG, autocommit=True))
    return [row[0] for row in _monitor[0].execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database_name,))]


class Topology:
    """`manage.py run_topology FILE` as a child process: started, waited for until ready, stopped by PID."""

    def __init__(self, name: str, toml: str, env: dict, log_dir: Path):
        self.name, self.env, self.log_dir = name, env, log_dir
        self.file = log_dir / f"{name}.toml"
        self.file.write_text(toml)
        self.process: subprocess.Popen | None = None
        self.output = log_dir / f"{name}.launcher.log"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_topology", str(self.file), "--log-dir", str(self.log_dir / self.name)],
            cwd=ROOT, env=self.env, stdout=open(self.output, "w"), stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            text = self.output.read_text()
            if "==> ready in" in text:
                return
            if self.process.poll() is not None or "not ready after" in text:
                break
            time.sleep(0.3)
        raise RuntimeError(f"topology {self.name} did not start:\n{self.output.read_text()[-3000:]}")

    def __enter__(self) -> Topology:
        start_all([self])
        return self

    def pids(self) -> dict[str, list[int]]:
        """Each process of the topology (by its name in the file) -> its PID and its children's (gunicorn workers,
        Celery pool processes)."""
        result = {}
        for child in children(self.process.pid):
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
            name = self.process_name(cmdline)
            if name and child not in [pid for pids in result.values() for pid in pids]:
                result.setdefault(name, []).extend([child, *children(child)])
        return result

    @staticmethod
    def process_name(cmdline: str) -> str | None:
        if "serve_context" in cmdline:
            return re.search(r"serve_context (\w+)", cmdline)[1]
        if "gunicorn" in cmdline:
            return "web"
        if "celery" in cmdline and " worker " in cmdline:
            return re.search(r"--hostname=([\w-]+?)-", cmdline)[1]
        if "celery" in cmdline and " beat " in cmdline:
            return "beat"
        if "relay_outbox" in cmdline:
            return "relay"
        return None

    def __exit__(self, *exc) -> None:
        stop(self.process)


def start_all(servers) -> None:
    """Start every server (anything with start(), wait_ready() and .process), then wait until each is ready; stop
    them all if one is not."""
    servers = list(servers)
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
    except BaseException:
        stop(*(getattr(server, "process", None) for server in servers))
        raise


def stop(*processes: subprocess.Popen | None, timeout: float = 40) -> None:
    """SIGTERM to each (run_topology and gunicorn stop their children and wait for them), all at once, then wait;
    SIGKILL to the process group of any still running after `timeout`."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def topology_toml(base: str, *, web: str, web_workers: int, threads: int, served: dict[str, str],
                  workers: dict[str, dict] | None = None, relay: bool = False, beat: bool = False) -> str:
    """A topology file: `base`'s contexts (served ones on the given addresses), the web under gunicorn gthread,
    and only the workers, relay and beat asked for (none: the request path alone)."""
    import tomllib

    with open(ROOT / "config" / "topologies" / f"{base}.toml", "rb") as handle:
        data = tomllib.load(handle)
    lines = [f'description = "bench: {base}"', f'logs = "bench-{base}"', "[web]", f'address = "{web}"',
             'server = "gunicorn"', f"workers = {web_workers}", f"threads = {threads}"]
    for context, declared in data["contexts"].items():
        lines.append(f"[contexts.{context}]")
        if declared.get("serve"):
            lines += [f'serve = "{declared["serve"]}"', f'address = "{served[context]}"']
        lines.append(f'database = "{declared.get("database", "default")}"')
    for name, declared in (workers or {}).items():
        lines += [f"[workers.{name}]", f"queues = {json.dumps(declared['queues'])}",
                  f"concurrency = {declared.get('concurrency', 1)}"]
    if relay:
        lines += ["[relays.relay]", 'database = "default"']
    if beat:
        lines.append("[beat]")
    return "\n".join(lines) + "\n"


def served_contexts(base: str) -> list[str]:
    import tomllib

    with open(ROOT / "config" / "topologies" / f"{base}.toml", "rb") as handle:
        return [name for name, ctx in tomllib.load(handle)["contexts"].items() if ctx.get("serve")]


def load(address: str, *, clients: int, seconds: float, tokens: list[str], skus: list[str],
         path: str = "/api/orders/") -> dict:
    """Run the load generator (bench/_load.py) in a process of its own; its JSON result."""
    config = {"address": address, "path": path, "clients": clients, "seconds": seconds, "tokens": tokens,
              "skus": skus}
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "_load.py"), json.dumps(config)],
                            capture_output=True, text=True, timeout=seconds + 90)
    if result.returncode:
        raise RuntimeError(f"load generator failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout)


def scratch_logs(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=ROOT / "var"))
