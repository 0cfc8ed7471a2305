"""Short runs of the seed's scenarios against real processes, asserting the qualitative result."""
import pytest
from django.conf import settings
from django.db import connection

from scenarios import payment_crash, payment_timeout

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def real_services():
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("runs the shop as several processes: PostgreSQL and the Redis broker (scripts/test sets both)")


def test_payment_timeout_keeps_the_shop_responsive_and_settles_every_order(tmp_path):
    report = payment_timeout.run(configs=("defaults",), seconds=4, clients=10, slow_ms="3000-4000",
                                 settle_timeout=60, log_dir=tmp_path, say=lambda *_: None)["defaults"]
    slow = report.slow
    assert "closed -> open" in " ".join(report.transitions), report.transitions  # the breaker opened
    assert set(slow.statuses) == {202}, slow.statuses  # accepted as payment pending, none refused or failed
    assert slow.errors == 0
    assert slow.percentile(50) < 1.0  # once open, orders no longer wait for payments' 3-4 s
    assert report.product_page.count >= 5 and report.product_page.percentile(99) < 2.0  # the healthy path
    assert report.settled and set(report.settled.values()) <= {"confirmed", "cancelled"}, report.settled


def test_payment_crash_completes_after_a_short_outage_and_compensates_after_a_long_one(tmp_path):
    outcomes = payment_crash.run(orders=2, log_dir=tmp_path, settle_timeout=45, say=lambda *_: None)
    assert {(o.mode, o.outage) for o in outcomes} == {
        (mode, outage) for mode in ("orchestrated", "choreographed") for outage in ("short", "long")}
    for o in outcomes:
        if o.outage == "short":
            assert (o.status, o.payments, o.reservation) == ("confirmed", ["charged"], "active"), o
        else:
            assert o.status == "cancelled" and o.reservation == "released", o
            assert "charged" not in o.payments, o
