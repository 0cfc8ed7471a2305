"""Fixtures for the topology tests: a customer's API token over the catalog, and a broker other processes reach."""
import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token


@pytest.fixture
def token(customer, catalog):
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        pytest.skip("needs a broker other processes reach (scripts/test sets CELERY_BROKER_URL)")
    return Token.objects.create(user=customer).key
