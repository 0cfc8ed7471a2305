#!/usr/bin/env python
"""reserve_items p50/p99 over each transport, next to floors this script measures in the same run.

    .venv/bin/python bench/boundaries.py [--calls 3000] [--threads 8] [--database-url postgres://...]

Rows: the direct service call (inventory.services.stock_reserve, which returns a model); the local
implementation called without the seam (it maps the model to the DTO); the local transport through
the seam and the resilience policy layer (and, alone, the seam: get_inventory_api() reading
BOUNDARIES and finding the cached client); a bare gRPC unary echo of the same ReservationRequest (no auth, no
interceptor, no database); inventory over gRPC (a real `serve_context inventory` process); a plain
Django view echoing the same JSON, served by the same gunicorn gthread setup and called with
http.client on a kept-alive connection; inventory over REST. The floors do no database work, so the
gRPC and REST targets compare each transport's cost above the direct call with its floor; the raw
ratio is printed too. Every call reserves a new order. Defaults to a fresh SQLite file on tmpfs
(/dev/shm) or under var/, removed afterwards. Not a test: the numbers depend on the machine and on
what else runs on it.
"""
from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common.net import free_port  # noqa: E402
TOKEN = "bench-inventory-token"


def setup_django(database_url: str) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=database_url,
                      BOUNDARIES_PROFILE="embedded", INVENTORY_SERVICE_TOKEN=TOKEN)
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()


# --- the floors' server process ---------------------------------------------------------------


def serve_floors(http_address: str, grpc_address: str, threads: int) -> None:
    """A plain Django view and a bare gRPC echo, served like serve_context serves a context."""
    import grpc
    from concurrent import futures

    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpResponse
    from django.urls import path

    from common.transports.serve import run_http
    from inventory.transports.grpc import inventory_pb2 as pb
    from inventory.transports.grpc import inventory_pb2_grpc

    def plain_view(request):
        return HttpResponse(request.body, content_type="application/json", status=201)

    urlconf = types.ModuleType("bench_floor_urls")
    urlconf.urlpatterns = [path("floor/", plain_view)]
    sys.modules[urlconf.__name__] = urlconf
    settings.ROOT_URLCONF = urlconf.__name__
    settings.MIDDLEWARE = settings.INTERNAL_MIDDLEWARE

    class Echo(inventory_pb2_grpc.InventoryServiceServicer):
        def ReserveItems(self, request, context):
            return pb.ReservationResponse(success=True, order_id=request.order_id, items=request.items)

    def start_echo():
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads))
        inventory_pb2_grpc.add_InventoryServiceServicer_to_server(Echo(), server)
        server.add_insecure_port(grpc_address)
        server.start()
        return server

    run_http(get_wsgi_application(), http=http_address, grpc_starter=start_echo, threads=threads, name="bench floors")


# --- measuring --------------------------------------------------------------------------------


def measure(rows: dict, calls: int, warmup: int = 200, block: int = 100) -> dict[str, tuple[float, float]]:
    """p50 and p99 in microseconds of each row's call. The rows take turns in blocks of `block` calls,
    so that drift (the database growing, the machine's other work) touches every row alike, while
    each block runs undisturbed: call by call, every SQLite write by a server process would make the
    next local call reload its page cache, a cost that belongs to no row."""
    for name, call in rows.items():
        for _ in range(warmup):
            call()
    gc.collect()
    samples: dict[str, list[int]] = {name: [] for name in rows}
    for _ in range(max(calls // block, 1)):
        for name, call in rows.items():
            for _ in range(block):
                started = time.perf_counter_ns()
                call()
                samples[name].append(time.perf_counter_ns() - started)
    result = {}
    for name, values in samples.items():
        values.sort()
        result[name] = (values[len(values) // 2] / 1000, values[int(len(values) * 0.99)] / 1000)
    return result


def wait_until_up(http_port: int, grpc_port: int, process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited early: {process.args}")
        try:
            socket.create_connection(("127.0.0.1", http_port), timeout=0.5).close()
            socket.create_connection(("127.0.0.1", grpc_port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("servers did not come up")


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=os.environ.copy(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(calls: int, threads: int) -> list[tuple]:
    import grpc
    from django.core.management import call_command
    from django.test import override_settings

    from inventory import services
    from inventory.api import StockLine, get_inventory_api
    from inventory.transports.grpc import inventory_pb2 as pb
    from inventory.transports.grpc import inventory_pb2_grpc

    call_command("migrate", verbosity=0)
    services.stock_adjust(sku="BENCH", delta=10**9, reason="benchmark")
    ports = {name: free_port() for name in ("rest", "grpc", "floor_http", "floor_grpc")}
    servers = [
        start(["manage.py", "serve_context", "inventory", "--http", f"127.0.0.1:{ports['rest']}",
               "--grpc", f"127.0.0.1:{ports['grpc']}", "--threads", str(threads)]),
        start([__file__, "--serve-floors", f"127.0.0.1:{ports['floor_http']}", f"127.0.0.1:{ports['floor_grpc']}",
               "--threads", str(threads)]),
    ]
    try:
        wait_until_up(ports["rest"], ports["grpc"], servers[0])
        wait_until_up(ports["floor_http"], ports["floor_grpc"], servers[1])
        lines = [StockLine("BENCH", 1)]
        new_id = lambda: str(uuid.uuid4())  # noqa: E731  (about 2 us, in every row alike)
        local = get_inventory_api().client  # the implementation under the policy layer (ResilientClient)
        with override_settings(BOUNDARIES={"inventory": {
            "transport": "grpc", "target": f"127.0.0.1:{ports['grpc']}", "token": TOKEN, "timeout": 5,
        }}):
            grpc_api = get_inventory_api()
        with override_settings(BOUNDARIES={"inventory": {
            "transport": "rest", "target": f"http://127.0.0.1:{ports['rest']}", "token": TOKEN, "timeout": 5,
        }}):
            rest_api = get_inventory_api()
        stub = inventory_pb2_grpc.InventoryServiceStub(grpc.insecure_channel(f"127.0.0.1:{ports['floor_grpc']}"))
        connection = http.client.HTTPConnection("127.0.0.1", ports["floor_http"])

        def bare_echo():
            stub.ReserveItems(pb.ReservationRequest(order_id=new_id(), items=[pb.LineItem(product_id="BENCH", quantity=1)]))

        def plain_django():
            body = json.dumps({"order_id": new_id(), "lines": [{"sku": "BENCH", "quantity": 1}]})
            connection.request("POST", "/floor/", body=body, headers={"Content-Type": "application/json"})
            json.loads(connection.getresponse().read())

        rows = {
            "direct service call": lambda: services.stock_reserve(order_id=new_id(), lines=lines),
            "local impl, no seam": lambda: local.reserve_items(order_id=new_id(), lines=lines),
            "local transport": lambda: get_inventory_api().reserve_items(order_id=new_id(), lines=lines),
            "  of which the seam lookup": get_inventory_api,
            "floor: bare gRPC echo": bare_echo,
            "gRPC transport": lambda: grpc_api.reserve_items(order_id=new_id(), lines=lines),
            "floor: plain Django view": plain_django,
            "REST transport": lambda: rest_api.reserve_items(order_id=new_id(), lines=lines),
        }
        assert type(local).__name__ == "LocalInventoryApi" and type(rest_api.client).__name__ == "RestInventoryApi"
        results = list(measure(rows, calls).items())
        return results
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)


def report(results: list[tuple], calls: int) -> None:
    p50 = {name: value[0] for name, value in results}
    direct = p50["direct service call"]
    checks = {
        "local transport": (p50["local transport"] - direct, "overhead over direct <= 25 us", p50["local transport"] - direct <= 25),
        "gRPC transport": ((p50["gRPC transport"] - direct) / p50["floor: bare gRPC echo"],
                           "(p50 - direct) <= 1.3 x gRPC floor", (p50["gRPC transport"] - direct) <= 1.3 * p50["floor: bare gRPC echo"]),
        "REST transport": ((p50["REST transport"] - direct) / p50["floor: plain Django view"],
                           "(p50 - direct) <= 1.5 x Django floor", (p50["REST transport"] - direct) <= 1.5 * p50["floor: plain Django view"]),
    }
    raw = {"gRPC transport": p50["gRPC transport"] / p50["floor: bare gRPC echo"],
           "REST transport": p50["REST transport"] / p50["floor: plain Django view"]}
    print(f"\nreserve_items, {calls} calls per row, one new order per call ({os.environ['DATABASE_URL'].split(':')[0]})\n")
    print(f"| {'what':<26} | {'p50 us':>8} | {'p99 us':>8} | {'target':<36} | {'measured':>9} | {'raw p50 / floor':>15} |")
    print(f"|{'-' * 28}|{'-' * 10}|{'-' * 10}|{'-' * 38}|{'-' * 11}|{'-' * 17}|")
    for name, (median, p99) in results:
        value, target, ok = checks.get(name, (None, "", None))
        measured = "" if value is None else (f"{value:.1f} us" if name == "local transport" else f"{value:.2f}x")
        verdict = "" if ok is None else (" ok" if ok else " MISSED")
        ratio = f"{raw[name]:.2f}x" if name in raw else ""
        print(f"| {name:<26} | {median:>8.1f} | {p99:>8.1f} | {target + verdict:<36} | {measured:>9} | {ratio:>15} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file under var/")
    parser.add_argument("--threads", type=int, default=8, help=(
        "threads of every server, REST and gRPC (default 8, as serve_context; with SQLite each thread is one "
        "more connection whose page cache a write by another makes stale, so 1 shows the transport alone)"))
    parser.add_argument("--serve-floors", nargs=2, metavar=("HTTP", "GRPC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floors:
        setup_django(os.environ["DATABASE_URL"])
        return serve_floors(*args.serve_floors, threads=args.threads)
    # On tmpfs when there is one: the point is the transports' cost, not the disk's fsync.
    folder = Path("/dev/shm") if Path("/dev/shm").is_dir() else ROOT / "var"
    database = folder / f"shop-bench-{os.getpid()}.sqlite3"
    setup_django(args.database_url or f"sqlite:///{database}")
    try:
        report(run(args.calls, args.threads), args.calls)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
