"""Readiness: /healthz says whether a process reaches its database, and run_topology gives up on a topology
that never gets ready: it names what is not ready, stops everything and exits 1."""
import os
import re
import signal
import subprocess
import sys

import pytest
import requests

from common.net import free_port
from tests.processes import ROOT, child_env, running, wait_for
from tests.topology.launch import alive, descendants

BROKEN_DATABASE = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nothing-listens-here"}


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.processes
def test_a_context_server_without_its_database_is_not_ready():
    port = free_port()
    args = [sys.executable, "manage.py", "serve_context", "payments", "--http", f"127.0.0.1:{port}"]
    with running(args, log_name="serve-no-db", env=child_env(**BROKEN_DATABASE)):
        answer, = wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz"), timeout=60, message="an answer")
        assert answer.status_code == 503 and answer.json() == {"status": "unavailable"}


def run_broken(tmp_path, text: str) -> tuple[int, str, set[int]]:
    """run_topology on a topology file `text` whose database does not answer: (exit code, output, its children)."""
    topology = tmp_path / "broken.toml"
    topology.write_text(text)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_topology", str(topology), "--free-ports", "--ready-timeout", "8",
         "--log-dir", str(tmp_path)], cwd=ROOT, env=child_env(**BROKEN_DATABASE), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    tree = wait_for(lambda: descendants(process.pid), timeout=30, message="the processes to start")
    output, _ = process.communicate(timeout=60)
    wait_for(lambda: not any(alive(pid) for pid in tree), timeout=5, message="every child to exit")
    return process.returncode, output, tree


@pytest.mark.processes
def test_a_topology_that_never_gets_ready_is_stopped_whole_and_exits_1(tmp_path):
    code, output, _ = run_broken(tmp_path, '[web]\naddress = "127.0.0.1:1"\nserver = "gunicorn"\n')
    assert code == 1 and "not ready after 8 s: web" in output, output


@pytest.mark.processes
def test_a_process_that_dies_takes_the_topology_down_with_it(tmp_path):
    # Killed as the OOM killer would: nothing else (a relay without its database waits for it, polling).
    topology = tmp_path / "dying.toml"
    topology.write_text('[web]\naddress = "127.0.0.1:1"\nserver = "gunicorn"\n[relays.relay]\n')
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_topology", str(topology), "--free-ports", "--ready-timeout", "120",
         "--log-dir", str(tmp_path)], cwd=ROOT, env=child_env(**BROKEN_DATABASE), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    for line in process.stdout:  # bounded: the launcher prints its children's pids first
        lines.append(line)
        if started := re.search(r"relay started \(pid=(\d+)\)", line):
            os.kill(int(started.group(1)), signal.SIGKILL)
            break
    output = "".join(lines) + process.communicate(timeout=60)[0]
    assert process.returncode != 0 and "relay stopped (rc=-9)" in output and "sending SIGTERM to web" in output, output
    assert "==> ready" not in output and "not ready after" not in output, output


def _get(url) -> tuple | None:
    """(response,) once the server answers at all (a 503 response is falsy), None before."""
    try:
        return (requests.get(url, timeout=2),)
    except requests.RequestException:
        return None
