"""The relay process stops cleanly on SIGTERM, on either database."""
import signal
import subprocess
import sys
import time

import pytest

from tests.processes import ROOT, child_env

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_relay_stops_cleanly_on_sigterm():
    process = subprocess.Popen([sys.executable, "manage.py", "relay_outbox"], cwd=ROOT, env=child_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(3)  # started and waiting for work
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
