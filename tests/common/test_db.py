"""A worker's connection is tested before a task only when the server said something on it (common.db)."""
import pytest
from django.db import connection, connections

from common.db import close_old_connections_trusting_quiet_ones

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


def test_a_connection_the_server_ended_is_checked_and_replaced(postgres):
    with postgres.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # as a restart does: the server ends the session and says so
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()
    close_old_connections_trusting_quiet_ones()
    assert not postgres.health_check_done
    with postgres.cursor() as cursor:  # Django's check found it dead: this query runs on a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
