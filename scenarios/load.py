"""A bounded HTTP load on the storefront from threads, timing each request and sampling requests in flight."""
from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

import urllib3

# The JSON members an order needs besides its lines: a test card that is charged, and an address.
CHECKOUT = '"payment_token": "tok_visa", "shipping_address": "1 Scenario Street, Loadtown"'


@dataclass
class Result:
    """What one phase of load measured."""

    latencies: list[float] = field(default_factory=list)  # seconds, per answered request
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # no answer (client timeout, connection refused)
    peak_blocked: int = 0  # most requests in flight for over a second at once
    order_ids: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies) + self.errors

    def percentile(self, pct: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def drive(url: str, *, tokens: list[str], skus: list[str], seconds: float, clients: int,
          client_timeout: float = 30.0, path: str = "/api/orders/") -> Result:
    """POST orders (or GET `path` when it is not the orders path) from `clients` threads for `seconds`."""
    result = Result()
    lock = threading.Lock()
    in_flight: dict[int, float] = {}
    stop_at = time.monotonic() + seconds
    pool = urllib3.PoolManager(maxsize=clients, retries=False, timeout=urllib3.Timeout(total=client_timeout))
    counter = itertools.count()
    ordering = path == "/api/orders/"

    def client(n: int) -> None:
        token = tokens[n % len(tokens)]
        while time.monotonic() < stop_at:
            i = next(counter)
            started = time.monotonic()
            with lock:
                in_flight[i] = started
            try:
                if ordering:
                    body = f'{{"lines": [{{"sku": "{skus[i % len(skus)]}", "quantity": 1}}], {CHECKOUT}}}'
                    response = pool.request("POST", url + path, body=body, headers={
                        "Authorization": f"Token {token}", "Content-Type": "application/json"})
                else:
                    response = pool.request("GET", url + path)
            except urllib3.exceptions.HTTPError:
                with lock:
                    result.errors += 1
                    in_flight.pop(i, None)
                continue
            elapsed = time.monotonic() - started
            with lock:
                in_flight.pop(i, None)
                result.latencies.append(elapsed)
                result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
                if ordering and response.status in (201, 202, 402, 409):
                    result.order_ids.append(response.json()["order"]["order_id"] if "order" in response.json()
                                            else response.json()["order_id"])

    def monitor() -> None:
        while time.monotonic() < stop_at or in_flight:
            now = time.monotonic()
            with lock:
                blocked = sum(1 for started in in_flight.values() if now - started > 1.0)
            result.peak_blocked = max(result.peak_blocked, blocked)
            time.sleep(0.1)
            if now > stop_at + client_timeout + 1:
                return

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    watcher = threading.Thread(target=monitor, daemon=True)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + client_timeout + 5)
    watcher.join(timeout=2)
    return result
