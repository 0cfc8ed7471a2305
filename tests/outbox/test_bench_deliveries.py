"""bench/deliveries.py still runs end to end with the real subscribers (its figures are for people, not this test)."""
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import on_postgres
from tests.processes import ROOT

pytestmark = [pytest.mark.processes, pytest.mark.django_db]


def test_the_real_subscriber_benchmark_prints_its_figures():
    if not on_postgres() or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the benchmark needs PostgreSQL and Redis")
    result = subprocess.run(
        [sys.executable, "-m", "bench.deliveries", "--orders", "6", "--events", "60", "--warmup", "0",
         "--profile-orders", "2", "--timeout", "60"],
        cwd=ROOT, env={**os.environ, "BENCH_REDIS_URL": settings.CELERY_BROKER_URL}, capture_output=True, text=True,
        timeout=170)
    assert result.returncode == 0, result.stderr[-3000:]
    for line in ("synthetic subscriber:", "real subscribers, choreographed:", "real subscribers, orchestrated:",
                 "orders.resume_checkout"):
        assert line in result.stdout, result.stdout
