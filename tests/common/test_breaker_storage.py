"""Breaker state shared by processes through real Redis, and a local fallback when Redis is gone."""
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.test import override_settings

from common.resilience.breaker import Breaker, BreakerOpen, forget_breakers
from common.resilience.config import BreakerPolicy
from tests.processes import ROOT, own_redis_server

POLICY = BreakerPolicy(minimum_number_of_calls=2, failure_rate_threshold=50, wait_duration_in_open_state=60)

TRIP_IN_ANOTHER_PROCESS = """
import django; django.setup()
from common.resilience.breaker import Breaker
from common.resilience.config import BreakerPolicy
breaker = Breaker("payments", BreakerPolicy(minimum_number_of_calls=2, failure_rate_threshold=50,
                                            wait_duration_in_open_state=60))
for _ in range(2):
    breaker.record(breaker.acquire(), failed=True, duration=0.0)
print(breaker.state)
"""


def redis_storage(url: str, namespace: str) -> dict:
    return {"breaker_storage": {"backend": "redis", "url": url, "namespace": namespace,
                                "state_cache_seconds": 0, "down_retry_seconds": 5}}


def test_a_breaker_opened_in_one_process_is_open_in_another():
    namespace = f"test-{uuid.uuid4().hex}"
    url = os.environ.get("TEST_BREAKER_REDIS_URL", "redis://127.0.0.1:6379/15")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "BREAKER_STORAGE": "redis",
           "BREAKER_REDIS_URL": url, "BREAKER_NAMESPACE": namespace}
    with override_settings(RESILIENCE=redis_storage(url, namespace)):
        here = Breaker("payments", POLICY)
        assert here.state == "closed"
        result = subprocess.run([sys.executable, "-c", TRIP_IN_ANOTHER_PROCESS], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.stdout.strip().endswith("open"), result.stderr
        assert here.state == "open"
        with pytest.raises(BreakerOpen):
            here.acquire()
        here.reset()  # and a reset here closes it for everyone
        there = Breaker("payments", POLICY)
        assert there.state == "closed"


def test_redis_going_away_falls_back_to_local_state_without_hanging():
    with own_redis_server() as (process, port):
        with override_settings(RESILIENCE=redis_storage(f"redis://127.0.0.1:{port}/0", "fallback")):
            forget_breakers()
            breaker = Breaker("inventory", POLICY)
            for _ in range(2):
                breaker.record(breaker.acquire(), failed=True, duration=0.0)
            assert breaker.state == "open"
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

            started = time.perf_counter()
            states = set()
            for _ in range(200):
                try:
                    permit = breaker.acquire()
                    breaker.record(permit, failed=False, duration=0.0)
                    states.add("allowed")
                except BreakerOpen:
                    states.add("refused")
            elapsed = time.perf_counter() - started
            # The documented fallback: this process's copy of the last state it saw (open), no waiting.
            assert states == {"refused"}
            assert breaker.state == "open"
            assert elapsed < 1.0, f"200 calls took {elapsed:.2f}s with Redis down"


def test_redis_unreachable_from_the_start_costs_no_hang():
    from tests.processes import free_port

    with override_settings(RESILIENCE=redis_storage(f"redis://127.0.0.1:{free_port()}/0", "never-up")):
        started = time.perf_counter()
        breaker = Breaker("shipping", POLICY)
        for _ in range(100):
            breaker.record(breaker.acquire(), failed=False, duration=0.0)
        assert breaker.state == "closed"
        assert time.perf_counter() - started < 1.0
