"""scripts/run as a new user runs it (SQLite, the filesystem broker, demo data) in a folder of its own: it
prints the logins and URLs, serves the shop, and SIGTERM stops it and everything it started (issue 12:
it used to wait for runserver to exit)."""
import os
import signal
import subprocess

import pytest
import requests

from common.net import free_port
from tests.processes import ROOT, wait_for
from tests.topology.launch import alive, descendants

pytestmark = pytest.mark.processes


def test_scripts_run_serves_the_demo_shop_and_stops_whole_on_sigterm(tmp_path):
    addr = f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "CELERY_TASK_DEFAULT_QUEUE")}
    env.update(SHOP_VAR_DIR=str(tmp_path), ADDR=addr)  # its SQLite file, broker folders and logs: here
    output = tmp_path / "run.out"
    with output.open("w") as out:
        process = subprocess.Popen(["scripts/run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    tree = set()
    try:
        wait_for(lambda: "==> ready in" in output.read_text() or process.poll() is not None, timeout=180,
                 interval=0.5, message="scripts/run to be ready")
        text = output.read_text()
        assert "customer login: alice / alice-demo-pass   API token: " in text, text
        assert f"Storefront API (browsable): http://{addr}/api/" in text and f"http://{addr}/admin/" in text
        assert requests.get(f"http://{addr}/api/products/MUG-001/", timeout=10).json()["available"] == 40
        assert (tmp_path / "worker.log").exists() and (tmp_path / "db.sqlite3").exists()

        tree = descendants(process.pid)
        process.send_signal(signal.SIGTERM)  # to the script's own PID, as `kill` or an init system does
        assert process.wait(timeout=40) == 0, output.read_text()[-3000:]
        wait_for(lambda: not any(alive(pid) for pid in tree), timeout=5, message="every child to exit")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in tree | descendants(process.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
