"""Celery beat tasks of inventory."""
from celery import shared_task

from . import services


@shared_task(name="inventory.release_expired_reservations")
def release_expired_reservations() -> int:
    """Periodic: release reservations not sold within their hold time (each owner hears ReservationExpired)."""
    return len(services.reservations_release_expired())
