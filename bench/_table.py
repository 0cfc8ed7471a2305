"""Shared helpers for benchmark scripts: percentiles and a plain-text table with pass/fail per target."""
from __future__ import annotations

import statistics
import time


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(fn, repeat: int) -> list[float]:
    """Seconds per call of fn, `repeat` times."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def print_table(title: str, rows: list[tuple[str, str, str, bool | None]]) -> bool:
    """Print rows of (measure, value, target); return True when every target held."""
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    print(f"\n{title}\n" + "-" * (width + vwidth + 40))
    ok = True
    for measure, value, target, passed in rows:
        verdict = "" if passed is None else ("PASS" if passed else "FAIL")
        ok = ok and passed is not False
        print(f"{measure:<{width}}  {value:>{vwidth}}  {target:<26} {verdict}")
    return ok
