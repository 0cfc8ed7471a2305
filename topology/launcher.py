"""Run a topology's processes under honcho's Manager: one log file each, readiness probes, clean stop on signals."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import grpc
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc
import honcho.manager
from honcho.compat import ProcessManager
from honcho.manager import SYSTEM_PRINTER_NAME, Manager
from honcho.printer import Printer

from .spec import ProcessSpec, Probe


# Seconds between SIGTERM and SIGKILL. honcho's 5 s is shorter than a Celery worker's warm shutdown on
# the filesystem broker (about 7 s: it polls) and gunicorn's graceful timeout (10 s in serve_context).
GRACE_SECONDS = 15
honcho.manager.KILL_WAIT = GRACE_SECONDS  # a module constant its loop() reads; no argument takes it


class LogFilePrinter(Printer):
    """honcho's printer, but each process's lines go to <log_dir>/<name>.log; only the launcher's own
    lines (started, stopped, signals) reach the terminal."""

    def __init__(self, log_dir: Path, expected: int, output=sys.stdout):
        super().__init__(output)
        self.log_dir = log_dir
        self._files = {}
        self._started, self._expected = 0, expected
        self.all_started = threading.Event()  # set once honcho has reported every process started

    def write(self, message):
        if message.name == SYSTEM_PRINTER_NAME:
            if " started (pid=" in str(message.data):  # honcho's line for its "start" event
                self._started += 1
                if self._started == self._expected:
                    self.all_started.set()
            return super().write(message)
        log = self._files.get(message.name)
        if log is None:
            log = self._files[message.name] = open(self.log_dir / f"{message.name}.log", "a", buffering=1)
        data = message.data.decode("utf-8", "replace") if isinstance(message.data, bytes) else message.data
        log.write(data)

    def close(self):
        for log in self._files.values():
            log.close()


class LeaderFirst(ProcessManager):
    """SIGTERM to each process alone, SIGKILL (after honcho's grace) to its whole group.

    honcho sends SIGTERM to the group, so a Celery prefork worker's children die under a task and the
    worker forks new ones, and gunicorn's workers skip the graceful stop their master would run.
    """

    def terminate(self, pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def is_ready(probe: Probe) -> bool:
    """One readiness check: the health endpoint answers 200, gRPC health says SERVING, or the file exists."""
    if probe.kind == "http":
        try:
            return requests.get(probe.target, timeout=1).status_code == 200
        except requests.RequestException:
            return False
    if probe.kind == "grpc":
        try:
            with grpc.insecure_channel(probe.target) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
            return reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            return False
    if probe.kind == "file":
        return Path(probe.target).exists()
    return True  # "running": honcho stops everything if it exits, so running is all there is to know


class Launcher:
    """Start every process, wait until each is ready, print where things are; stop all on a signal or a death."""

    def __init__(self, processes: list[ProcessSpec], *, env: dict, log_dir: Path, ready_timeout: float,
                 banner=None, output=sys.stdout):
        self.processes, self.log_dir, self.ready_timeout = processes, log_dir, ready_timeout
        self.banner, self.output = banner, output
        self.printer = LogFilePrinter(log_dir, len(processes), output)
        self.manager = Manager(self.printer)
        self.manager._procmgr = LeaderFirst()  # honcho takes no process manager as an argument
        self.failed = False
        self._forget_ready_files()  # a ready file from the last run says nothing about this one
        for spec in processes:
            self.manager.add_process(spec.name, spec.command, env={**env, **spec.env}, cwd=str(Path.cwd()))

    def _forget_ready_files(self) -> None:
        for spec in self.processes:
            if spec.probe.kind == "file":
                Path(spec.probe.target).unlink(missing_ok=True)

    def say(self, text: str) -> None:
        print(text, file=self.output, flush=True)

    def wait_ready(self, stopped: threading.Event) -> None:
        """Poll every probe until all pass; past the timeout, say which did not and stop everything."""
        started = time.monotonic()
        # Not one probe before honcho has forked every reader: a gRPC channel's threads in this process
        # during a fork can leave the child hung (it then never starts its process).
        while not self.printer.all_started.wait(0.3):
            if stopped.is_set():
                return
        waiting = list(self.processes)
        while waiting and not stopped.is_set():
            waiting = [spec for spec in waiting if not is_ready(spec.probe)]
            if time.monotonic() - started > self.ready_timeout:
                self.failed = True
                self.say(f"==> not ready after {self.ready_timeout:.0f} s: {', '.join(s.name for s in waiting)} "
                         f"(see their logs in {self.log_dir}); stopping everything")
                self.manager.terminate()
                return
            stopped.wait(0.3)
        if stopped.is_set():
            return
        width = max(len(spec.name) for spec in self.processes)
        self.say(f"==> ready in {time.monotonic() - started:.1f} s; logs in {self.log_dir}/<process>.log")
        for spec in self.processes:
            self.say(f"  {spec.name:<{width}}  {spec.listens}")
        if self.banner:
            self.say(self.banner)
        self.say("  Ctrl-C or SIGTERM stops every process.\n")

    def run(self) -> int:
        """Run until a signal or a process's exit; 0 when stopped by Ctrl-C/SIGTERM after becoming ready."""
        stopped = threading.Event()
        waiter = threading.Thread(target=self.wait_ready, args=(stopped,), daemon=True)
        waiter.start()
        try:
            self.manager.loop()  # installs the SIGINT/SIGTERM handlers, returns when every child has exited
        finally:
            stopped.set()
            waiter.join(timeout=5)
            self.printer.close()
            self._forget_ready_files()
        if self.failed:
            return 1
        return 0 if self.manager.returncode in (130, 143) else (self.manager.returncode or 1)
