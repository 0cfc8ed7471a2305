"""The load generator: N client threads, each on its own kept-alive HTTP connection, POSTing orders for a bounded time.

    python bench/_load.py '{"address": "127.0.0.1:8000", "path": "/api/orders/", "clients": 4, "seconds": 5,
                            "tokens": [...], "skus": [...]}'

Runs in a process of its own (never the server's), prints one JSON line: completed requests per status, the
latency of each, the wall time. Each request carries a fresh Idempotency-Key, one customer's token (clients take
turns over the tokens) and one line of a sku drawn at random, so no stock row is every order's hot spot.
"""
from __future__ import annotations

import http.client
import json
import random
import sys
import threading
import time
import uuid

REQUEST_TIMEOUT = 30.0  # seconds: a request slower than this counts as an error and its connection is replaced


def client(config: dict, number: int, stop_at: float, out: list) -> None:
    host, port = config["address"].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT)
    token = config["tokens"][number % len(config["tokens"])]
    rng = random.Random(number)
    path, skus = config["path"], config["skus"]
    while time.monotonic() < stop_at:
        body = json.dumps({"lines": [{"sku": rng.choice(skus), "quantity": 1}], "payment_token": "tok_visa",
                           "shipping_address": "1 Bench Street"})
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                   "Idempotency-Key": f"bench-{uuid.uuid4()}"}
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()  # a server that closes each connection (gunicorn sync): the next request reconnects
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
            connection.close()
        out.append((status, time.perf_counter() - started))
    connection.close()


def run(config: dict) -> dict:
    results: list[list] = [[] for _ in range(config["clients"])]
    started = time.monotonic()
    stop_at = started + config["seconds"]
    threads = [threading.Thread(target=client, args=(config, n, stop_at, results[n]), daemon=True)
               for n in range(config["clients"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(config["seconds"] + REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - started
    samples = [sample for result in results for sample in result]
    statuses: dict[str, int] = {}
    for status, _ in samples:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {"elapsed": elapsed, "statuses": statuses,
            "latencies": [round(seconds, 6) for status, seconds in samples if status in (200, 201, 202)]}


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
