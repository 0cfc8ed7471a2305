"""Faults for the checkout tests that reach the process running the checkout, in-process or a served orders."""
import time

import pytest

from tests.conftest import REMOTE_TRANSPORT


@pytest.fixture(scope="session")
def context_servers(django_db_setup, django_db_blocker):
    """The session's serve_context processes, with breakers that half-open after 0.5 s: a test's injected
    failures must not leave the next test facing an open breaker in the served orders process."""
    from tests.servers import context_servers as start

    with django_db_blocker.unblock(), start(profile=REMOTE_TRANSPORT or "embedded", CELERY_TASK_ALWAYS_EAGER="1",
                                            BREAKER_WAIT_SECONDS="0.5") as servers:
        yield servers


@pytest.fixture
def fault():
    """Put a fault on one operation of one boundary (None clears it) as a FaultRule row, which every process
    reads: this one at once, the serving processes within their refresh period (waited for)."""
    from common.models import FaultRule
    from common.resilience.faults import runtime_rules

    def set_fault(boundary, operation, spec):
        if spec:
            abort, delay = spec.get("abort") or {}, spec.get("delay") or {}
            FaultRule.objects.update_or_create(boundary=boundary, operation=operation, defaults={
                "enabled": True, "abort_percentage": abort.get("percentage", 0),
                "http_status": abort.get("http_status"), "delay_percentage": delay.get("percentage", 0),
                "fixed_delay": delay.get("fixed_delay", 0)})
        else:
            FaultRule.objects.filter(boundary=boundary, operation=operation).delete()
        runtime_rules.invalidate()
        if REMOTE_TRANSPORT:
            time.sleep(1.2)  # the served orders re-reads fault rules every second (and its breaker half-opens)

    yield set_fault
    FaultRule.objects.all().delete()
    runtime_rules.invalidate()
    if REMOTE_TRANSPORT:
        time.sleep(1.2)


@pytest.fixture
def checkout_here(request, settings):
    """The checkout (orders) runs in this process, so a test may change its settings: a policy, a breaker, the
    give-up time. In scripts/test's REST and gRPC passes its calls to inventory, payments and shipping still
    go over the wire to the served contexts."""
    request.getfixturevalue("_remote_boundaries")
    settings.BOUNDARIES = {**settings.BOUNDARIES, "orders": {"transport": "local"}}
