"""A kept connection is tested before a task or a request only when the server said something on it (common.db)."""
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import close_old_connections, connection

from common.db import close_old_connections_trusting_quiet_ones, trust_quiet_connections
from tests.helpers import end_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL connection's socket")
    connection.ensure_connection()
    yield connection
    connection.close()


def test_a_quiet_connection_skips_the_select_1(postgres):
    close_old_connections_trusting_quiet_ones()
    assert postgres.health_check_done  # the next query goes straight out


@pytest.fixture
def server_order():
    """request_started's receivers in a server process's order: Django's close_old_connections (connected when
    django.db is imported) before common.apps' trust_quiet_connections. Django's test client disconnects and
    reconnects close_old_connections around each of its requests, which moves it last in a test process."""
    uid = "common.db.trust_quiet_connections"
    assert any(key[0] == uid for key, *_ in request_started.receivers), "common.apps connects it"
    request_started.disconnect(dispatch_uid=uid)
    request_started.disconnect(close_old_connections)
    request_started.connect(close_old_connections)
    request_started.connect(trust_quiet_connections, dispatch_uid=uid)


def test_a_request_on_a_quiet_connection_skips_the_select_1(postgres, server_order):
    request_started.send(sender=WSGIHandler, environ={})  # as gunicorn's requests do (Django's receiver first)
    assert postgres.health_check_done


@pytest.mark.parametrize("boundary", ["task", "request"])
def test_a_connection_the_server_ended_is_checked_and_replaced(postgres, server_order, boundary):
    pid = end_session(postgres)
    if boundary == "task":
        close_old_connections_trusting_quiet_ones()
    else:
        request_started.send(sender=WSGIHandler, environ={})
    assert not postgres.health_check_done
    with postgres.cursor() as cursor:  # Django's check found it dead: this query runs on a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
