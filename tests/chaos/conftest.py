"""The chaos suite's own PostgreSQL (one cluster per session, a database per test) and Redis (one per test)."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest

from tests.chaos.cluster import QUEUE, ROOT, Postgres, Redis, Shop, postgres_available

_numbers = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "chaos: restarts and kills infrastructure of its own (deselect: -m 'not chaos')")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)


@pytest.fixture(scope="session")
def chaos_postgres():
    """A PostgreSQL cluster of the suite's own, with a migrated and seeded template database."""
    from django.conf import settings

    if os.environ.get("SHOP_TEST_TRANSPORT") or "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the chaos suite runs once, in the PostgreSQL pass of scripts/test")
    if not postgres_available():
        pytest.skip("needs PostgreSQL's initdb/pg_ctl and redis-server")
    pg = Postgres()
    try:
        pg.start()
        pg.sql("CREATE DATABASE chaos_template")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.chaos.settings", "CELERY_BROKER_URL": "memory://",
               "DATABASE_URL": pg.url("chaos_template"), "CELERY_TASK_DEFAULT_QUEUE": QUEUE}
        for command in (["migrate", "-v0"], ["shell", "-v0", "-c", "from tests.chaos.seed import seed; seed()"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=180)
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def chaos_redis():
    """A redis-server of this test's own."""
    redis = Redis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def chaos_shop(request, chaos_postgres, chaos_redis):
    """A factory for the shop's processes on a fresh copy of the seeded database; all stopped after the test."""
    shops = []

    def make(**env) -> Shop:
        name = f"chaos_{next(_numbers)}"
        chaos_postgres.sql(f"CREATE DATABASE {name} TEMPLATE chaos_template")
        shop = Shop(database_url=chaos_postgres.url(name), broker_url=chaos_redis.url,
                    log_dir=ROOT / "var" / "chaos" / request.node.name, **env)
        shop.database = name
        shops.append(shop)
        return shop

    yield make
    for shop in shops:
        shop.stop_all()
