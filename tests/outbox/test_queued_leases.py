"""A long-running relay judges expired hand-off leases only when one may have expired, and never re-sends one
it has not judged."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from outbox import relay
from outbox.api import publish
from outbox.models import Delivery
from outbox.relay import QueuedLeases, claim, fan_out
from tests.loyalty.events import Bench

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def judgements(monkeypatch):
    """The times keep_queued_leases() ran at."""
    times = []
    real = relay.keep_queued_leases

    def counted(*, now=None):
        times.append(now)
        return real(now=now)

    monkeypatch.setattr(relay, "keep_queued_leases", counted)
    return times


def handed_off(key: str) -> tuple[int, str]:
    with transaction.atomic():
        publish(Bench(key=key, n=1))
    _, [delivery] = fan_out(batch=10)  # leased for HANDOFF_SECONDS, never sent: its message is "lost"
    return delivery


def test_a_lease_expiring_after_the_last_judgement_is_not_taken_until_judged(judgements):
    handoff = timedelta(seconds=settings.OUTBOX["HANDOFF_SECONDS"])
    delivery = handed_off("j")
    leases, start = QueuedLeases(), timezone.now()
    assert leases.judge(start) == start and judgements == [start]
    # A lease that expires after the judgement (as one written late by another process would): not judged yet.
    Delivery.objects.update(leased_until=start + timedelta(milliseconds=1))
    later = start + timedelta(milliseconds=500)
    assert leases.judge(later) == start and judgements == [start]  # not due: the soonest lease was ~HANDOFF away
    assert claim(batch=10, now=later, judged_at=start) == []
    # Judged at least every HANDOFF_SECONDS / 2: then found lost (not queued, not held) and sent again.
    again = start + handoff / 2 + timedelta(milliseconds=1)
    assert leases.judge(again) == again and judgements == [start, again]
    assert claim(batch=10, now=again, judged_at=again) == [delivery]


def test_the_relay_judges_again_as_soon_as_the_soonest_lease_expires(judgements):
    handed_off("s")
    leases, start = QueuedLeases(), timezone.now()
    soonest = start + timedelta(milliseconds=300)  # sooner than HANDOFF_SECONDS / 2
    Delivery.objects.update(leased_until=soonest)
    leases.judge(start)
    assert leases.judge(soonest) == start  # not expired at its own instant
    after = soonest + timedelta(microseconds=1)
    assert leases.judge(after) == after and judgements == [start, after]


def test_a_clock_set_back_judges_again(judgements):
    leases, start = QueuedLeases(), timezone.now()
    leases.judge(start)
    back = start - timedelta(seconds=1)
    assert leases.judge(back) == back and judgements == [start, back]


def test_leases_expiring_every_cycle_are_judged_at_most_every_tenth_of_the_handoff_lease(judgements):
    handoff = timedelta(seconds=settings.OUTBOX["HANDOFF_SECONDS"])
    handed_off("f")
    leases, start = QueuedLeases(), timezone.now()
    Delivery.objects.update(leased_until=start + timedelta(milliseconds=1))  # a backlog: one expires every cycle
    leases.judge(start)
    assert leases.judge(start + handoff / 10) == start and judgements == [start]
    after = start + handoff / 10 + timedelta(microseconds=1)
    assert leases.judge(after) == after and judgements == [start, after]
