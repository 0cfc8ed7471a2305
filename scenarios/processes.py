"""The shop as separate processes on free loopback ports: web (gunicorn), payments (serve_context), worker, relay."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from common.net import free_port
from outbox.api import queue_for

ROOT = Path(__file__).resolve().parents[1]


def queues(*contexts: str) -> str:
    """The Celery queues of these contexts' handlers, comma-separated."""
    return ",".join(queue_for(context) for context in contexts)


def default_queue() -> str:
    """Celery's default queue in this process's settings (commands such as orders.resume_saga go there)."""
    return getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")


def database_url(alias: str = "default") -> str:
    """A DATABASE_URL for the database this process uses (under `alias`), so the children share it."""
    db = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_listening(port: int, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Process:
    """One child process in its own process group, logging to a file; stopped (or killed) by PID."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path):
        self.name, self.args, self.env = name, args, env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        log = open(self.log_path, "a")
        self.popen = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        log.close()
        return self

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self.stop(signal.SIGKILL)

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


class Shop:
    """The processes of one scenario run; `env` applies to all of them (e.g. RESILIENCE_PROFILE)."""

    def __init__(self, *, log_dir: Path, env: dict | None = None, payments_env: dict | None = None,
                 payments_worker: bool = False):
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        for old in log_dir.glob("*.log"):  # each run's logs are its own (restarts append)
            old.unlink()
        self.web_port, self.payments_port = free_port(), free_port()
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
            "DEBUG": "0", "DATABASE_URL": database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "PAYMENTS_TRANSPORT": "rest", "PAYMENTS_REST_TARGET": f"http://127.0.0.1:{self.payments_port}",
            "PYTHONUNBUFFERED": "1", "API_THROTTLE": "off",  # a load test, not an attack
            **(env or {}),
        }
        self.env["CELERY_TASK_DEFAULT_QUEUE"] = default_queue()
        self.payments_env = payments_env or {}
        self.processes: dict[str, Process] = {}
        self.payments_worker = payments_worker

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start_payments(self, **env) -> Process:
        """payments' internal endpoints as their own process (and, for choreography, its handler worker)."""
        penv = {**self.env, **self.payments_env, **env}
        process = Process("payments", [sys.executable, "manage.py", "serve_context", "payments", "--http",
                                       f"127.0.0.1:{self.payments_port}"], penv, self.log_dir).start()
        self.processes["payments"] = process
        if self.payments_worker:
            self.processes["payments-worker"] = Process("payments-worker", self._worker_args(queues("payments")),
                                                        penv, self.log_dir).start()
        wait_listening(self.payments_port)
        return process

    def stop_payments(self, *, crash: bool = False) -> None:
        for name in ("payments", "payments-worker"):
            process = self.processes.pop(name, None)
            if process is not None:
                process.kill() if crash else process.stop()

    def _worker_args(self, worker_queues: str) -> list[str]:
        default = default_queue()
        return [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=2",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", f"{default},{worker_queues}",
                "-n", f"w{free_port()}@%h"]

    def __enter__(self) -> Shop:
        self.start_payments()
        contexts = ["orders", "inventory", "shipping", "notifications"] + ([] if self.payments_worker else ["payments"])
        self.processes["worker"] = Process("worker", self._worker_args(queues(*contexts)), self.env,
                                           self.log_dir).start()
        self.processes["relay"] = Process("relay", [sys.executable, "manage.py", "relay_outbox"], self.env,
                                          self.log_dir).start()
        self.processes["web"] = Process("web", [
            sys.executable, "-m", "gunicorn", "config.wsgi:application", "--worker-class", "gthread",
            "--workers", "1", "--threads", "8", "--bind", f"127.0.0.1:{self.web_port}", "--timeout", "120",
        ], self.env, self.log_dir).start()
        wait_listening(self.web_port)
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        self.processes.clear()


def database_urls() -> str:
    """DATABASE_URLS for the databases of this process's contexts (empty with one database), for the children."""
    return ",".join(f"{alias}={database_url(alias)}" for alias in settings.DATABASES if alias != "default")
