"""The relay process stops cleanly on SIGTERM, on either database."""
import select
import signal
import subprocess
import sys

import pytest

from tests.processes import ROOT, child_env

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_relay_stops_cleanly_on_sigterm():
    process = subprocess.Popen([sys.executable, "manage.py", "relay_outbox"], cwd=ROOT, env=child_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        # Its signal handlers are installed once it says so (a loaded machine can take seconds to start Django).
        assert select.select([process.stdout], [], [], 60)[0], "the relay did not start within 60 s"
        assert process.stdout.readline().startswith("relay running")
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
