"""A topology as data: read config/topologies/<name>.toml and turn it into the processes that run it."""
from __future__ import annotations

import os
import shlex
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings

from common.db import alias_for
from common.net import free_port
from outbox.api import queue_for

TOPOLOGIES_DIR = Path(settings.BASE_DIR) / "config" / "topologies"
SERVABLE = ("inventory", "orders", "payments", "shipping", "reviews")  # the contexts with a synchronous api.py
TRANSPORTS = ("rest", "grpc")
DEFAULT_QUEUE = "default"  # in a topology file: Celery's default queue, whatever this profile calls it


class TopologyError(ValueError):
    """A topology file that names something unknown or leaves out what it needs."""


@dataclass(frozen=True)
class Probe:
    """How the launcher knows a process is ready: an HTTP 200, a gRPC SERVING, a file, or just running."""

    kind: str  # "http" | "grpc" | "file" | "running"
    target: str = ""


@dataclass(frozen=True)
class ProcessSpec:
    """One process of a topology: its name, command line, where it listens and how to tell it is ready."""

    name: str
    args: tuple[str, ...]
    listens: str
    probe: Probe
    env: dict = field(default_factory=dict)

    @property
    def command(self) -> str:
        """The command line for a shell (honcho runs each under `sh -c`): exec, so signals reach it."""
        return "exec " + shlex.join(self.args)


@dataclass(frozen=True)
class Topology:
    """A parsed topology file: the web, the contexts (served or in-process), workers, relays and beat."""

    name: str
    description: str
    logs: Path
    web: dict
    contexts: dict[str, dict]
    workers: dict[str, dict]
    relays: dict[str, dict]
    beat: bool

    def served(self) -> dict[str, dict]:
        """The contexts that run in a serve_context process of their own."""
        return {name: ctx for name, ctx in self.contexts.items() if ctx.get("serve")}


def path_of(name: str) -> Path:
    """The file of topology `name` (a name in config/topologies/ or a path to a .toml file)."""
    candidate = Path(name)
    if candidate.suffix == ".toml":
        return candidate
    return TOPOLOGIES_DIR / f"{name}.toml"


def available() -> list[str]:
    """The names of the topologies shipped in config/topologies/."""
    return sorted(p.stem for p in TOPOLOGIES_DIR.glob("*.toml"))


def load(name: str) -> Topology:
    """Read and check a topology file."""
    path = path_of(name)
    if not path.exists():
        raise TopologyError(f"no topology {name!r} (known: {', '.join(available())})")
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise TopologyError(f"{path.name} is not valid TOML: {error}") from error
    contexts = data.get("contexts", {})
    for context, ctx in contexts.items():
        if ctx.get("serve"):
            if context not in SERVABLE:
                raise TopologyError(f"{path.name}: {context} has no server (servable: {', '.join(SERVABLE)})")
            if ctx["serve"] not in TRANSPORTS or not ctx.get("address"):
                raise TopologyError(f"{path.name}: contexts.{context} needs serve = rest|grpc and an address")
    known_queues = {DEFAULT_QUEUE, *contexts}
    for worker, declared in data.get("workers", {}).items():
        unknown = set(declared.get("queues", ())) - known_queues
        if not declared.get("queues") or unknown:
            raise TopologyError(f"{path.name}: workers.{worker} needs queues from {sorted(known_queues)}"
                                + (f", not {sorted(unknown)}" if unknown else ""))
    for context, ctx in contexts.items():
        # The settings (DATABASE_URLS, shared by every process) say where a context's data is; a file that says
        # otherwise would describe another shop.
        if "database" in ctx and ctx["database"] != alias_for(context):
            raise TopologyError(f"{path.name}: contexts.{context}.database is {ctx['database']!r} but DATABASE_URLS "
                                f"puts {context} on {alias_for(context)!r}")
    relays = data.get("relays", {})
    for relay, declared in relays.items():
        if declared.get("database", "default") not in settings.DATABASES:
            raise TopologyError(f"{path.name}: relays.{relay}.database {declared.get('database')!r} is no database "
                                f"(known: {', '.join(settings.DATABASES)})")
    web = data.get("web", {})
    if not web.get("address") or web.get("server", "runserver") not in ("runserver", "gunicorn"):
        raise TopologyError(f"{path.name}: [web] needs an address and server = runserver|gunicorn")
    return Topology(
        name=path.stem, description=data.get("description", ""), logs=Path(settings.VAR_DIR) / data.get("logs", path.stem),
        web=data["web"], contexts=contexts, workers=data.get("workers", {}), relays=relays,
        beat="beat" in data,
    )


def with_free_ports(topology: Topology) -> Topology:
    """The same topology with the web and every context server on free loopback ports (tests, a busy machine)."""
    contexts = {name: ({**ctx, "address": f"127.0.0.1:{free_port()}"} if ctx.get("serve") else ctx)
                for name, ctx in topology.contexts.items()}
    web = {**topology.web, "address": f"127.0.0.1:{free_port()}"}
    return replace(topology, contexts=contexts, web=web)


def boundary_env(topology: Topology) -> dict[str, str]:
    """The environment that points every process's boundaries where the topology serves each context."""
    env = {"BOUNDARIES_PROFILE": "embedded"}
    for context in SERVABLE:
        ctx = topology.contexts.get(context, {})
        transport = ctx.get("serve") or "local"
        env[f"{context.upper()}_TRANSPORT"] = transport
        if transport == "rest":
            env[f"{context.upper()}_REST_TARGET"] = f"http://{ctx['address']}"
        elif transport == "grpc":
            env[f"{context.upper()}_GRPC_TARGET"] = ctx["address"]
    return env


def metrics_env(log_dir: Path) -> dict[str, str]:
    """PROMETHEUS_MULTIPROC_DIR for every process (the environment's, else <log_dir>/metrics): all write there,
    so the /metrics of the web or of any context server shows every process's figures."""
    return {"PROMETHEUS_MULTIPROC_DIR": os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(log_dir / "metrics")}


def fresh_metrics_dir(path: Path) -> None:
    """Empty the metrics directory before the processes start, as prometheus_client asks: files left by an
    earlier run would be counted again."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def queues(names) -> str:
    """A worker's `-Q` list: the topology's queue names as this settings profile spells them."""
    default = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    return ",".join(default if name == DEFAULT_QUEUE else queue_for(name) for name in names)


def relays(topology: Topology, databases=None) -> dict[str, str]:
    """Relay process name -> database: the file's relays, and `relay-<alias>` for each database none serves.

    Every database holds an outbox (its contexts' messages and the deliveries copied to them), so every one
    needs a relay: with DATABASE_URLS naming a database per context, `split` runs one relay per database.
    """
    if not topology.relays:
        return {}
    named = {relay: declared.get("database", "default") for relay, declared in topology.relays.items()}
    served = set(named.values())
    databases = settings.DATABASES if databases is None else databases
    return {**named, **{f"relay-{alias}": alias for alias in databases if alias not in served}}


def processes(topology: Topology, *, log_dir: Path) -> list[ProcessSpec]:
    """Every process of the topology, in start order: context servers, web, workers, relays, beat."""
    python = sys.executable
    result = []
    for context, ctx in topology.served().items():
        flag, probe = ("--grpc", Probe("grpc", ctx["address"])) if ctx["serve"] == "grpc" else (
            "--http", Probe("http", f"http://{ctx['address']}/healthz"))
        result.append(ProcessSpec(context, (python, "manage.py", "serve_context", context, flag, ctx["address"]),
                                  f"{ctx['serve']} {ctx['address']}", probe))
    web = topology.web["address"]
    if topology.web.get("server", "runserver") == "gunicorn":
        web_args = (python, "-m", "gunicorn", "config.wsgi:application", "--worker-class", "gthread",
                    "--workers", str(topology.web.get("workers", 1)), "--threads", str(topology.web.get("threads", 8)),
                    "--bind", web, "--config", "python:observability.gunicorn")
    else:
        web_args = (python, "manage.py", "runserver", web, "--noreload")
    result.append(ProcessSpec("web", web_args, f"http://{web}/api/", Probe("http", f"http://{web}/healthz")))
    for worker, declared in topology.workers.items():
        ready = log_dir / f"{worker}.ready"
        worker_queues = queues(declared["queues"])
        result.append(ProcessSpec(
            worker, (python, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
                     f"--concurrency={declared.get('concurrency', 1)}", f"--hostname={worker}-{topology.name}@%h",
                     "--without-gossip", "--without-mingle", "-Q", worker_queues),
            f"queues {worker_queues}", Probe("file", str(ready)), {"TOPOLOGY_READY_FILE": str(ready)}))
    for relay, alias in relays(topology).items():
        result.append(ProcessSpec(relay, (python, "manage.py", "relay_outbox", "--database", alias),
                                  f"database {alias}", Probe("running")))
    if topology.beat:
        result.append(ProcessSpec("beat", (python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                                           f"--schedule={log_dir / 'celerybeat-schedule'}"),
                                  "schedule: " + (", ".join(sorted(settings.CELERY_BEAT_SCHEDULE)) or "empty"),
                                  Probe("running")))
    # Each process's spans say which process it is (observability/tracing.py; an OTEL_SERVICE_NAME set for
    # the whole topology loses to this).
    return [replace(process, env={"OTEL_SERVICE_NAME": process.name, **process.env}) for process in result]
