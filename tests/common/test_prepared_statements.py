"""PostgreSQL plans a statement once per connection (DB_PREPARED_STATEMENTS, on by default: config/settings/base.py),
and the switch turns it off for a pooler that cannot keep prepared statements."""
import subprocess
import sys

import pytest
from django.db import connection

from tests.processes import ROOT, child_env

pytestmark = pytest.mark.django_db


def test_a_statement_run_five_times_on_a_connection_is_prepared_there():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT count(*) FROM outbox_delivery WHERE status = %s", ["done"])
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("outbox_delivery" in statement for statement in prepared), prepared


@pytest.mark.parametrize("switch, expected", [("on", {"server_side_binding": True, "prepare_threshold": 5}),
                                              ("off", {})])
def test_the_switch_sets_or_leaves_out_the_driver_options(switch, expected):
    script = ("from django.conf import settings; o = settings.DATABASES['default'].get('OPTIONS', {}); "
              "print(sorted((k, o[k]) for k in ('server_side_binding', 'prepare_threshold') if k in o))")
    env = child_env(DB_PREPARED_STATEMENTS=switch, DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
                    DJANGO_SETTINGS_MODULE="config.settings.dev")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-v0", "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == str(sorted(expected.items()))
