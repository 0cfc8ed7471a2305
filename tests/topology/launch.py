"""`manage.py run_topology` as a real process for tests: started on free ports, waited for, its process tree read."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import requests

from bench._shop import stop
from common.net import free_port
from tests.processes import ROOT, child_env, wait_for


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The name in parentheses may hold spaces: the fields after its closing one are fixed.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), ()):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Storefront:
    """The storefront API of a running topology, over HTTP."""

    def __init__(self, web: str):
        self.web = web

    def place_order(self, token: str, *, sku: str, quantity: int, payment_token: str = "tok_visa") -> requests.Response:
        return requests.post(f"{self.web}/api/orders/", json={
            "lines": [{"sku": sku, "quantity": quantity}], "payment_token": payment_token, "shipping_address": "1 Test Lane",
        }, headers={"Authorization": f"Token {token}", "Idempotency-Key": str(uuid.uuid4())}, timeout=30)

    def order(self, token: str, order_id: str) -> dict:
        response = requests.get(f"{self.web}/api/orders/{order_id}/", headers={"Authorization": f"Token {token}"},
                                timeout=10)
        assert response.status_code == 200, response.content
        return response.json()

    def status_when_answered(self, token: str, order_id: str) -> str | None:
        """The order's status, or None while the storefront answers 5xx (seen once under load while the
        orders server recovered; the final reads stay strict, see `order`)."""
        response = requests.get(f"{self.web}/api/orders/{order_id}/", headers={"Authorization": f"Token {token}"},
                                timeout=10)
        return response.json()["status"] if response.status_code == 200 else None

    def availability(self, sku: str):
        response = requests.get(f"{self.web}/api/products/{sku}/", timeout=10)
        assert response.status_code == 200, response.content
        return response.json()["available"]


class RunningTopology(Storefront):
    """A started run_topology: its process, the storefront's URL, its output and log folder."""

    def __init__(self, process: subprocess.Popen, web: str, output: Path, logs: Path):
        super().__init__(web)
        self.process, self.output, self.logs = process, output, logs

    def text(self) -> str:
        return self.output.read_text()

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text() if path.exists() else ""


@contextmanager
def run_topology(name: str, tmp_path: Path, *, options: tuple[str, ...] = (), ready_timeout: float = 120, **env):
    """Start `run_topology NAME` on free ports with this test run's database and broker; stopped (by PID) after."""
    port = free_port()
    output, logs = tmp_path / f"{name}.out", tmp_path / f"{name}-logs"
    args = [sys.executable, "manage.py", "run_topology", name, "--free-ports", "--web", f"127.0.0.1:{port}",
            "--log-dir", str(logs), "--ready-timeout", str(ready_timeout), *options]
    with output.open("w") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=child_env(**env), stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    running = RunningTopology(process, f"http://127.0.0.1:{port}", output, logs)
    try:
        wait_for(lambda: "==> ready in" in running.text() or process.poll() is not None or "not ready" in running.text(),
                 timeout=ready_timeout + 30, interval=0.5, message=f"run_topology {name} to be ready")
        assert "==> ready in" in running.text(), running.text()
        yield running
    finally:
        tree = descendants(process.pid)  # before any signal: a child outlives a launcher killed below
        stop(process, timeout=40)
        for pid in tree | descendants(process.pid):  # never leave a test's children behind, whatever failed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def stop_and_check_no_orphans(running: RunningTopology, *, ctrl_c: bool = False) -> None:
    """SIGTERM the launcher alone, as an init system would, or Ctrl-C it, as a terminal does (SIGINT to its
    whole foreground group): it must exit 0 and leave no process behind."""
    tree = descendants(running.process.pid)
    assert len(tree) > 3, tree
    started = time.monotonic()
    if ctrl_c:
        os.killpg(running.process.pid, signal.SIGINT)
    else:
        running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=40) == 0, running.text()[-3000:]
    assert ("SIGINT received" if ctrl_c else "SIGTERM received") in running.text()
    wait_for(lambda: not any(alive(pid) for pid in tree), timeout=5, message="every child to exit")
    assert time.monotonic() - started < 40


class OwnProcesses:
    """A topology's processes, each started by the test itself so that one can die and come back
    (run_topology, like any process manager in the foreman family, stops them all when one exits)."""

    def __init__(self, name: str, tmp_path: Path, **env):
        from topology import spec

        topology = spec.with_free_ports(spec.load(name))
        self.logs = tmp_path / f"{name}-own"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.specs = {process.name: process for process in spec.processes(topology, log_dir=self.logs)}
        self.env = child_env(**spec.boundary_env(topology), **env)
        self.store = Storefront(f"http://{topology.web['address']}")
        self.running = {}

    def start(self, *names: str, timeout: float = 120) -> None:
        """Start these processes (all when none is named) and wait until each is ready."""
        from scenarios.processes import Process
        from topology.launcher import is_ready

        names = names or tuple(self.specs)
        for name in names:
            process = self.specs[name]
            self.running[name] = Process(name, list(process.args), {**self.env, **process.env}, self.logs).start()
        for name in names:
            wait_for(lambda n=name: is_ready(self.specs[n].probe) or self.running[n].popen.poll() is not None,
                     timeout=timeout, interval=0.3, message=f"{name} to be ready")
            assert self.running[name].popen.poll() is None, f"{name} died:\n{self.log(name)[-3000:]}"

    def kill(self, name: str) -> None:
        """SIGKILL the process and everything in its group, as a crash would."""
        self.running.pop(name).kill()

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text() if path.exists() else ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for process in reversed(list(self.running.values())):
            process.stop()
        self.running.clear()
