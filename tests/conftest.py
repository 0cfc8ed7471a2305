"""Fixtures shared by every test: a small catalog with stock, customers, API clients, context servers."""
import os
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from inventory.api import get_inventory_api
from orders.api import PricedLine
from common.money import Money
from tests.helpers import deliver_outbox  # noqa: F401  (the one in-process relay driver; imported from here too)

CATALOG = {
    # sku: (name, price, stock)
    "MUG": ("Mug", "12.50", 10),
    "TEE": ("Tee", "24.00", 5),
    "LAST": ("Last one", "99.99", 1),
}


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def catalog(db):
    """Products MUG, TEE, LAST in the catalog with 10, 5 and 1 units in stock."""
    from shop.models import Product

    inventory = get_inventory_api()
    for sku, (name, price, stock) in CATALOG.items():
        Product.objects.create(sku=sku, name=name, price_amount=Decimal(price))
        inventory.restock(sku=sku, quantity=stock, reason="test")
    return CATALOG


def priced(sku: str, quantity: int) -> PricedLine:
    """A PricedLine for a catalog sku, at its catalog price."""
    name, price, _ = CATALOG[sku]
    return PricedLine(sku=sku, name=name, quantity=quantity, unit_price=Money(Decimal(price)))


def stock_of(sku: str):
    """(on_hand, reserved, sold) of a sku, read straight from inventory's table."""
    from inventory.models import StockItem

    item = StockItem.objects.get(sku=sku)
    return item.on_hand, item.reserved, item.sold


@pytest.fixture
def customer(db):
    return get_user_model().objects.create_user("carol", "carol@example.com", "carol-pass")


@pytest.fixture
def other_customer(db):
    return get_user_model().objects.create_user("dave", "dave@example.com", "dave-pass")


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("sam", "sam@example.com", "sam-pass", is_staff=True)


@pytest.fixture
def api(customer):
    """An API client signed in as `customer` with a real auth token."""
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer).key}")
    return client


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def eager_celery():
    """Run Celery commands in the calling process (for tests that are not about the worker)."""
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: register every context's tasks
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


# What POST /api/orders/ requires besides the lines: a test card that is charged, and an address.
CHECKOUT = {"payment_token": "tok_visa", "shipping_address": "1 Test Street, 1000 Testville"}


def order_body(*lines: tuple[str, int], **fields) -> dict:
    """A POST /api/orders/ body: (sku, quantity) lines, a test card and an address (`fields` override them)."""
    return {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines], **CHECKOUT, **fields}


def place_order_via_api(user, sku: str, quantity: int) -> dict:
    """Place an order through the storefront API as `user`; returns the response JSON."""
    response = client_for(user).post("/api/orders/", order_body((sku, quantity)), format="json")
    assert response.status_code in (201, 202, 402, 409), response.content
    return response.json()


@pytest.fixture(autouse=True)
def one_database_per_query(settings):
    """With a database per context, a query that names another database's table fails the test (tests/dbguard.py)."""
    if len(settings.DATABASES) == 1:
        yield
        return
    from tests.dbguard import no_cross_database_queries

    with no_cross_database_queries():
        yield


@pytest.fixture(autouse=True)
def fresh_resilience_state():
    """Every test starts with closed breakers, no pinned states, new clients and re-read fault rules."""
    from common.runtime import runtime

    runtime.reset()
    yield
    runtime.reset()


# --- Boundaries over the wire ------------------------------------------------------------------
# SHOP_TEST_TRANSPORT=rest|grpc (scripts/test sets it for its extra passes) moves every boundary of
# the selected tests onto that transport, served by real serve_context processes. Those see only
# committed data, so the tests' database access becomes transactional.
REMOTE_TRANSPORT = os.environ.get("SHOP_TEST_TRANSPORT", "")


# --- Suites that run once per scripts/test -----------------------------------------------------
# These are about processes, tools, transports or a browser, and start their own SQLite or use no
# database of the run: the same on either database. scripts/test sets SHOP_TEST_REPEAT_PASS=1 on its
# SQLite pass, which skips them (they ran in the PostgreSQL pass) to keep CI well under 20 minutes.
ONCE_PER_RUN = (
    "tests/bench/", "tests/browser/", "tests/topology/", "tests/security/test_schema_fuzz.py",
    "tests/security/test_service_tokens.py", "tests/contracts/test_split_profile.py",
    "tests/common/test_serve_context.py", "tests/scenarios/",
)


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if len(settings.DATABASES) > 1:  # a database per context: every test may use each of them
        for item in items:
            marker = item.get_closest_marker("django_db")
            if marker is not None and "databases" not in marker.kwargs:
                item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "databases": "__all__"}),
                                append=False)
    if os.environ.get("SHOP_TEST_REPEAT_PASS"):
        root = str(config.rootpath)
        for item in items:
            if str(item.fspath)[len(root) + 1:].startswith(ONCE_PER_RUN):
                item.add_marker(pytest.mark.skip(reason="runs once, in the PostgreSQL pass of scripts/test"))
    if not REMOTE_TRANSPORT:
        return
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and not marker.kwargs.get("transaction"):
            item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "transaction": True}), append=False)
        if item.get_closest_marker("in_process_only"):
            item.add_marker(pytest.mark.skip(reason=f"changes settings the serving processes cannot see ({REMOTE_TRANSPORT})"))


@pytest.fixture(scope="session")
def context_servers(django_db_setup, django_db_blocker):
    """serve_context processes for every context on free loopback ports, for the whole session."""
    from tests.servers import context_servers as start

    with django_db_blocker.unblock(), start(profile=REMOTE_TRANSPORT or "embedded",
                                            CELERY_TASK_ALWAYS_EAGER="1") as servers:
        yield servers


@pytest.fixture(autouse=True)
def _remote_boundaries(request, settings):
    """In a SHOP_TEST_TRANSPORT pass, every boundary goes over the wire to the context servers."""
    if REMOTE_TRANSPORT and request.node.get_closest_marker("django_db"):
        from tests.servers import remote_boundaries

        settings.BOUNDARIES = remote_boundaries(request.getfixturevalue("context_servers"), REMOTE_TRANSPORT)
