"""Starting and stopping real processes (Celery workers, servers) for tests, always by PID."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from common.net import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """A DATABASE_URL that reaches the database this test run is using."""
    from scenarios.processes import database_url

    return database_url()


def test_database_urls() -> str:
    """DATABASE_URLS that reach this test run's database of each context (empty with one database)."""
    from scenarios.processes import database_urls

    return database_urls()


def child_env(**extra) -> dict:
    """The environment for a process that must share this test run's database and queues."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "DATABASE_URLS": test_database_urls(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


@contextmanager
def running(args: list[str], *, log_name: str, env: dict | None = None):
    """Run `args` in its own process group for the duration of the block; stop it by PID after."""
    log_path = ROOT / "var" / f"{log_name}-{os.getpid()}.log"
    log = open(log_path, "w")
    process = subprocess.Popen(args, cwd=ROOT, env=env or child_env(), stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()


def all_queues() -> str:
    """This run's default queue and every context's handler queue, comma-separated for `celery -Q`."""
    from outbox.registry import all_subscribers

    return ",".join([settings.CELERY_TASK_DEFAULT_QUEUE, *sorted({s.queue for s in all_subscribers()})])


@contextmanager
def celery_worker(*, concurrency: int = 1, log_name: str = "worker", env: dict | None = None):
    """A real Celery worker on this run's queues (the default one and every context's)."""
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
            f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-Q", all_queues()]
    with running(args, log_name=log_name, env=env) as process:
        yield process


@contextmanager
def relay(*, log_name: str = "relay", env: dict | None = None, database: str = "default"):
    """A real `manage.py relay_outbox` process on this run's database (`database`: the alias it serves)."""
    with running([sys.executable, "manage.py", "relay_outbox", "--database", database], log_name=log_name,
                 env=env) as process:
        yield process


def kill_relays_until(stop, *, env: dict, pause: tuple[float, float] = (0.3, 0.8)) -> int:
    """Start a relay, SIGKILL it after a random pause, again and again until `stop` is set; the number of kills."""
    import random

    kills = 0
    while not stop.is_set():
        process = subprocess.Popen([sys.executable, "manage.py", "relay_outbox"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(random.uniform(*pause))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
    return kills


def wait_for(predicate, *, timeout: float, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@contextmanager
def own_redis_server(port: int | None = None):
    """A private redis-server on a free loopback port (never the shared one), stopped by PID after."""
    import shutil

    binary = shutil.which("redis-server")
    if binary is None:
        import pytest

        pytest.skip("redis-server is not installed")
    port = port or free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with running(args, log_name=f"redis-{port}", env=dict(os.environ)) as process:
        import redis

        client = redis.Redis(port=port, socket_connect_timeout=0.2)
        wait_for(lambda: _pings(client), timeout=10, message=f"redis-server on port {port}")
        yield process, port


def _pings(client) -> bool:
    import redis

    try:
        return client.ping()
    except redis.RedisError:
        return False
