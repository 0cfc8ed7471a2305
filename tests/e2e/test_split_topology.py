"""The split topology as real processes, each context on a PostgreSQL database of its own: `run_topology split`
places 100 orders in each checkout mode, and every one ends confirmed or cancelled with its email sent once
(bench/split_databases.py does the work and the checks; this runs it in the e2e pass with a database per context)."""
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.processes import ROOT

# Bounded: the script's own waits are 240 s to be ready and 240 s to settle per mode; a run takes about a minute.
pytestmark = [pytest.mark.processes, pytest.mark.timeout(900)]


def postgres_server_url() -> str:
    """The URL of this run's PostgreSQL server's maintenance database, where the script creates its own."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/postgres"


def test_split_with_a_database_per_context_settles_100_orders_of_each_mode_with_one_email_each():
    if len(settings.DATABASES) == 1:
        pytest.skip("one database: run with SHOP_TEST_DATABASE_PER_CONTEXT=1 on PostgreSQL (scripts/test does)")
    env = {**os.environ, "BENCH_POSTGRES_URL": postgres_server_url(), "BENCH_REDIS_URL": settings.CELERY_BROKER_URL}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the topology's processes run the dev settings, as a user's would
    result = subprocess.run([sys.executable, "-m", "bench.split_databases", "--orders", "100"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=840)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    rows = {line.split("|")[0].strip(): [cell.strip() for cell in line.split("|")]
            for line in result.stdout.splitlines() if line.startswith(("orchestrated ", "choreographed "))}
    assert set(rows) == {"orchestrated", "choreographed"}, result.stdout
    for mode, cells in rows.items():
        placed, confirmed, cancelled, still_open, email_once = (int(cells[i]) for i in (1, 3, 4, 5, 6))
        assert placed == 100 and confirmed + cancelled == 100 and still_open == 0, (mode, cells)
        assert confirmed > 0 and email_once == confirmed, (mode, cells)
    assert "all orders settled, every confirmation emailed once" in result.stdout
