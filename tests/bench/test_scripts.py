"""The benchmark scripts still run end to end (their figures are for people, not for this test)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import on_postgres
from tests.processes import ROOT
from tests.processes import test_database_url as database_url  # not collected as a test

pytestmark = pytest.mark.processes


def test_boundaries_benchmark_prints_every_row_and_a_verdict_per_target():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}  # its own SQLite file
    result = subprocess.run(
        [sys.executable, "bench/boundaries.py", "--calls", "100", "--threads", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=150,
    )
    # 1 means a target was missed: on a loaded test machine that is no defect of the script.
    assert result.returncode in (0, 1), result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    names = [row.split("|")[1].strip() for row in rows[1:]]
    assert names == [
        "direct service call", "local impl, no seam", "local transport", "of which the seam lookup",
        "floor: bare gRPC echo", "floor: bare gRPC + service", "gRPC transport",
        "floor: plain Django echo", "floor: plain Django + service", "REST transport",
    ]
    verdicts = [row for row in rows if " ok " in row or " MISSED " in row]
    assert [row.split("|")[1].strip() for row in verdicts] == ["local transport", "gRPC transport", "REST transport"]
    assert (result.returncode == 0) == all(" ok " in row for row in verdicts)


def _postgres_bench(*args: str) -> subprocess.CompletedProcess:
    """Run a benchmark bounded and tiny, on this run's own test database (no scratch database to create, migrate
    and drop) and its Redis (the benchmark's queues are its own)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the checkout and scaling benchmarks run on PostgreSQL only")
    env = dict(os.environ)
    if os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        env["BENCH_REDIS_URL"] = os.environ["CELERY_BROKER_URL"]
    return subprocess.run([sys.executable, *args, "--database-url", database_url(), "--customers", "2",
                           "--skus", "4", "--warmup", "0", "--seconds", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=150)


@pytest.mark.django_db(transaction=True)
def test_checkout_benchmark_prints_a_row_per_server_and_a_verdict_per_target():
    # The monolith only: split adds five processes to start and stop (some 20 s on a loaded machine), and
    # run_topology split is proven in tests/topology; the script treats every topology alike.
    result = _postgres_bench("bench/checkout.py", "--clients", "2", "--web-workers", "1", "--threads", "2",
                             "--together", "--topologies", "monolith")
    assert result.returncode in (0, 1), result.stdout[-2000:] + result.stderr[-3000:]
    rows = [[cell.strip() for cell in line.split("|")[1:3]] for line in result.stdout.splitlines()
            if line.startswith("| ") and "orders/s" not in line]
    assert rows == [["floor", "2"], ["floor-ctx", "2"], ["monolith", "2"]], result.stdout
    verdicts = [line for line in result.stdout.splitlines() if "of the floor's best" in line]
    assert [line.split(":")[0] for line in verdicts] == ["monolith"], result.stdout
    assert (result.returncode == 0) == all(line.endswith(": met") for line in verdicts)
    assert any(line.startswith("floor-ctx (a transaction per context, no target)") and "monolith" in line
               for line in result.stdout.splitlines()), result.stdout
    assert "errors of" not in result.stdout, result.stdout  # every order placed answered 2xx


@pytest.mark.django_db(transaction=True)
def test_checkout_benchmark_measures_cpu_per_order_in_process_for_the_checkout_and_the_floor():
    result = _postgres_bench("bench/checkout.py", "--cpu", "3")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    figures = {line.split(":")[0].strip(): line.split(":")[1].split()[0] for line in result.stdout.splitlines()
               if line.strip().startswith(("checkout (", "floor ("))}
    assert sorted(figures) == ["checkout (monolith's WSGI stack)", "floor (bench/_floor.py's view)"], result.stdout
    assert all(float(ms) > 0 for ms in figures.values()), result.stdout


@pytest.mark.django_db(transaction=True)
def test_scaling_benchmark_prints_a_row_per_level_and_the_rss_of_every_process_kind():
    result = _postgres_bench("bench/scaling.py", "--levels", "1", "--clients", "2")
    assert result.returncode in (0, 1), result.stdout[-2000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.startswith("| ") and "orders/s" not in line]
    assert len(rows) == 1 and "not drained" not in rows[0], result.stdout
    rss = [line.split()[0] for line in lines[lines.index(next(l for l in lines if l.startswith("RSS"))) + 1:]
           if line.startswith("  ")]
    assert sorted(rss) == ["beat", "relay", "web", "worker"], result.stdout


@pytest.mark.skipif(not on_postgres(), reason="its own SQLite files whatever the pass: run once, on the PostgreSQL one")
def test_tracing_benchmark_prints_every_mode_and_its_verdict():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}  # its own SQLite files
    result = subprocess.run([sys.executable, "bench/tracing.py", "--calls", "5", "--rounds", "1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=150)
    assert result.returncode in (0, 1), result.stderr[-2000:]  # 1: the target missed on a loaded machine
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "untraced", "traced, exporter off", "traced + span store", "traced + console"]
    verdicts = [row for row in rows if " ok |" in row or " MISSED |" in row]
    assert len(verdicts) == 1 and (result.returncode == 0) == (" ok |" in verdicts[0])
