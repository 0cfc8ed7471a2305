"""bench/deliveries.py still runs end to end (its figures are for people, not for this test)."""
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import on_postgres
from tests.processes import ROOT

pytestmark = [pytest.mark.processes, pytest.mark.django_db]


@pytest.mark.skip(reason="bench/deliveries.py's relay + worker phase does not finish since the checkout merge "
                         "(choreographed orders now advance through orders' saga; the bench starts no beat): "
                         "to be rebuilt with issue 15's capacity work")
def test_the_real_subscriber_benchmark_prints_its_figures():
    if not on_postgres() or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the benchmark needs PostgreSQL and Redis")
    result = subprocess.run([sys.executable, "-m", "bench.deliveries", "--orders", "10", "--events", "100"],
                            cwd=ROOT, env={**os.environ, "BENCH_REDIS_URL": settings.CELERY_BROKER_URL},
                            capture_output=True, text=True, timeout=170)
    assert result.returncode == 0, result.stderr[-3000:]
    for line in ("deliveries/s of the real subscribers", "real subscribers:", "synthetic subscriber:",
                 "floor, plain task:", "orders.confirm_when_shipment_scheduled"):
        assert line in result.stdout, result.stdout
