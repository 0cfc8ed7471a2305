"""PostgreSQL, Redis and the shop's processes of a chaos test's own, on free loopback ports, stopped by PID."""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common.net import free_port
from tests.processes import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _as_postgres_user(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: drop to the `postgres` account when we are root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found or not found[-1]:
        raise FileNotFoundError(name)
    return found[-1]


def postgres_available() -> bool:
    try:
        _pg_bin("initdb")
    except FileNotFoundError:
        return False
    return shutil.which("redis-server") is not None


class Postgres:
    """A PostgreSQL cluster in a temporary directory: initdb once, then start, stop (fast or crash), start."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.dir / "data"
        self.log = ROOT / "var" / f"chaos-postgres-{self.port}.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        subprocess.run(_as_postgres_user([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                          "--no-sync"]), check=True, capture_output=True)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres_user([_pg_bin("pg_ctl"), "-D", str(self.data), *args]), check=True,
                       capture_output=True, timeout=60)

    def start(self) -> None:
        if os.geteuid() == 0 and not self.log.exists():
            self.log.touch()
            shutil.chown(self.log, "postgres")
        # fsync off: a test cluster on a shared 2-core VM; the restarts here are of the server, not the machine.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._ctl("start", "-w", "-l", str(self.log), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`fast`: a clean restart (sessions terminated); `immediate`: a crash, recovered on the next start."""
        self._ctl("stop", "-w", "-m", mode)

    def sql(self, statement: str, *, database: str = "postgres", params=None) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A redis-server on a port of its own; stop() loses every message, as a broker restart without persistence."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = open(ROOT / "var" / f"chaos-redis-{self.port}.log", "a")
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: _pings(client), timeout=10, message=f"redis on {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=2)


def _pings(client) -> bool:
    import redis

    try:
        return client.ping()
    except redis.RedisError:
        return False


QUEUE = "chaos"  # Celery's default queue in the chaos shop; each context's queue is "chaos.<context>"


class Shop:
    """The shop's processes on the chaos PostgreSQL database and Redis: web, worker, relay, beat; each restartable."""

    def __init__(self, *, database_url: str, broker_url: str, log_dir: Path, **env):
        self.web_port = free_port()
        self.serve_ports = (free_port(), free_port())  # serve_context's HTTP and gRPC
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        # Logs are appended to (a killed process starts again); this shop's part starts where they end now.
        self._log_starts = {path.name: path.stat().st_size for path in log_dir.glob("*.log")}
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "tests.chaos.settings", "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url, "CELERY_TASK_DEFAULT_QUEUE": QUEUE, "PYTHONUNBUFFERED": "1",
            "SHOP_TEST_TRANSPORT": "", **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def args(self, kind: str) -> list[str]:
        python = sys.executable
        if kind == "web":
            return [python, "-m", "gunicorn", "config.wsgi:application", "--worker-class", "gthread", "--workers",
                    "1", "--threads", "8", "--bind", f"127.0.0.1:{self.web_port}", "--timeout", "60"]
        if kind.startswith("worker"):
            queues = subprocess.run([python, "manage.py", "outbox_queues"], cwd=ROOT, env=self.env, check=True,
                                    capture_output=True, text=True).stdout.strip()
            return [python, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2",
                    "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queues,
                    "-n", f"{kind}-{self.web_port}@%h"]
        if kind.startswith("relay"):
            return [python, "manage.py", "relay_outbox"]
        if kind.startswith("serve_"):  # serve_<context>: its REST and gRPC endpoints
            context = kind.removeprefix("serve_")
            return [python, "manage.py", "serve_context", context, "--http", f"127.0.0.1:{self.serve_ports[0]}",
                    "--grpc", f"127.0.0.1:{self.serve_ports[1]}"]
        if kind == "beat":
            return [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                    "-s", str(self.log_dir / "beat-schedule")]
        raise ValueError(kind)

    def start(self, *kinds: str) -> None:
        for kind in kinds:
            log = open(self.log_dir / f"{kind}.log", "a")
            self.processes[kind] = subprocess.Popen(self.args(kind), cwd=ROOT, env=self.env, stdout=log,
                                                    stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
        if "web" in kinds:
            from scenarios.processes import wait_listening

            wait_listening(self.web_port, timeout=60)

    def stop(self, kind: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(kind, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def kill(self, kind: str) -> None:
        """SIGKILL the process group, as a crash (or the OOM killer) would."""
        self.stop(kind, signal.SIGKILL)

    def stop_all(self) -> None:
        for kind in list(self.processes):
            self.stop(kind)

    def log(self, kind: str) -> str:
        path = self.log_dir / f"{kind}.log"
        if not path.exists():
            return ""
        with open(path, "rb") as file:
            file.seek(self._log_starts.get(path.name, 0))
            return file.read().decode(errors="replace")

    def diagnose(self, lines: int = 25) -> str:
        """What a failed settle needs to be understood after CI has thrown var/ away: the broker's queues and
        each process's state and last warnings."""
        import redis

        parts = []
        try:
            client = redis.Redis.from_url(self.env["CELERY_BROKER_URL"], socket_connect_timeout=1, socket_timeout=2)
            depths = {key.decode(): client.llen(key) for key in client.keys(f"{QUEUE}*") if client.type(key) == b"list"}
            parts.append(f"queues: {depths}; unacked: {client.hlen('unacked')}")
        except Exception as error:  # noqa: BLE001  (a diagnosis never hides the failure it explains)
            parts.append(f"queues: unreadable ({error})")
        for kind, process in self.processes.items():
            state = "running" if process.poll() is None else f"exited {process.returncode}"
            noteworthy = [line for line in self.log(kind).splitlines()
                          if any(word in line for word in ("WARNING", "ERROR", "CRITICAL", "Connected", "Error:"))]
            parts.append(f"--- {kind} ({state}), last warnings:\n" + "\n".join(line[:300] for line in noteworthy[-lines:]))
        return "\n".join(parts)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"
