"""An Idempotency-Key survives its database dying mid-request: a PostgreSQL of the test's own is stopped
(immediate mode, like a crash) while an order is being placed, then started again. The key must not stay
"in progress" forever, and a retry with it must not place a second order."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest
import requests

from common.net import free_port
from tests.processes import ROOT, running, wait_for

pytestmark = pytest.mark.processes
PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
BODY = {"lines": [{"sku": "MUG", "quantity": 1}], "payment_token": "tok_visa", "shipping_address": "1 Test Street"}


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    # PostgreSQL refuses to run as root; the tests may run as root.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + args, check=True, capture_output=True, text=True, timeout=60, **kwargs)


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a free loopback port, stopped and started by this test only."""

    def __init__(self, root: str):
        self.bin, self.data, self.port = PG_BIN[-1], os.path.join(root, "data"), free_port()
        self.log = os.path.join(root, "postgres.log")
        _as_postgres([f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"])

    def start(self):
        options = f"-p {self.port} -k {os.path.dirname(self.data)} -c listen_addresses=127.0.0.1 -c fsync=off"
        _as_postgres([f"{self.bin}/pg_ctl", "-D", self.data, "-o", options, "-l", self.log, "-w", "start"])

    def crash(self):
        _as_postgres([f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def own_postgres():
    if not PG_BIN or not shutil.which("runuser"):
        pytest.skip("needs PostgreSQL's server binaries (initdb, pg_ctl)")
    root = tempfile.mkdtemp(prefix="shop-pg-")
    os.chmod(root, 0o777)  # the postgres user writes its cluster here
    server = OwnPostgres(root)
    server.start()
    try:
        yield server
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{server.bin}/pg_ctl", "-D", server.data, "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


SETUP = """
from decimal import Decimal
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from inventory.api import get_inventory_api
from shop.models import Product
user = get_user_model().objects.create_user("carol", "carol@example.com", "carol-pass")
Product.objects.create(sku="MUG", name="Mug", price_amount=Decimal("12.50"))
get_inventory_api().restock(sku="MUG", quantity=10, reason="test")
print(Token.objects.create(user=user).key)
"""


def test_a_key_whose_database_died_mid_request_ends_bound_to_the_order_it_created(own_postgres):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "0", "DATABASE_URL": own_postgres.url,
           "CELERY_BROKER_URL": "memory://", "CELERY_TASK_ALWAYS_EAGER": "1", "API_THROTTLE": "off",
           "IDEMPOTENCY_LEASE_SECONDS": "3", "BOUNDARIES_PROFILE": "embedded", "PYTHONUNBUFFERED": "1"}
    manage = [sys.executable, "manage.py"]
    subprocess.run(manage + ["migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=180)
    token = subprocess.run(manage + ["shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True,
                           text=True, timeout=60).stdout.strip().splitlines()[-1]
    # The checkout's reservation waits 2 s after the order is committed: the database dies in that window.
    subprocess.run(manage + ["fault", "set", "inventory", "--operation", "reserve_items", "--delay", "2",
                             "--delay-percent", "100"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Token {token}", "Idempotency-Key": str(uuid.uuid4())}
    with running(manage + ["runserver", "--noreload", f"127.0.0.1:{port}"], log_name="idempotency-web", env=env):
        wait_for(lambda: _answers(url), timeout=60, message="the web server")
        answers = {}
        request = threading.Thread(target=lambda: answers.setdefault("first", requests.post(
            url + "/api/orders/", json=BODY, headers=headers, timeout=30)))
        request.start()
        time.sleep(1.0)  # the order is committed; the reservation is waiting on its injected delay
        own_postgres.crash()
        request.join(timeout=30)
        first = answers["first"]
        assert first.status_code >= 500 and first.headers["Content-Type"] == "application/json", first.text
        assert first.json()["correlation_id"]
        own_postgres.start()

        deadline = time.monotonic() + 20  # the 3 s lease, then the key is settled
        while time.monotonic() < deadline:
            retry = requests.post(url + "/api/orders/", json=BODY, headers=headers, timeout=30)
            if retry.status_code != 409:
                break
            assert retry.json()["code"] == "idempotency_key_in_progress"
            time.sleep(0.5)
        assert retry.status_code in (200, 201, 202, 402, 409), retry.text
        assert retry.headers.get("Idempotent-Replayed") == "true", retry.text
        orders = requests.get(url + "/api/orders/", headers={"Authorization": f"Token {token}"}, timeout=30).json()
        assert orders["count"] == 1, json.dumps(orders)[:500]  # the retry answered with that order: none placed twice
        body = retry.json()
        assert (body.get("order_id") or body["details"]["order"]["order_id"]) == orders["results"][0]["order_id"]


def _answers(url: str) -> bool:
    try:
        requests.get(url + "/api/products/", timeout=2)
        return True
    except requests.RequestException:
        return False
