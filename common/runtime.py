"""The composition root: one object owns every process-wide cache and registry of the shop's machinery.

Boundary clients, connection pools and channels, resilience plans and policies, breakers and their
storage, fault rules, the outbox's subscribers: each module asks `runtime` for its store instead of
keeping a global of its own. One `setting_changed` hook empties what was built from the setting that
changed, and `reset()` (for tests) forgets every piece of state at once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.signals import setting_changed


@dataclass(frozen=True)
class _Store:
    data: dict
    built_from: frozenset[str]
    kept_on_reset: bool


class Runtime:
    """Owns the process's stores and knows which settings each one is built from."""

    def __init__(self):
        self._stores: dict[str, _Store] = {}
        self._hooks: list[tuple[Callable[[], None], frozenset[str]]] = []

    def store(self, name: str, *, built_from: Iterable[str] = (), kept_on_reset: bool = False) -> dict:
        """The dict named `name` (made on first use), emptied when a `built_from` setting changes and by
        reset(); `kept_on_reset` for connections and registrations, which hold no state to forget."""
        store = self._stores.get(name)
        if store is None:
            store = self._stores[name] = _Store({}, frozenset(built_from), kept_on_reset)
        return store.data

    def on_reload(self, hook: Callable[[], None], *, built_from: Iterable[str] = ()) -> None:
        """Call `hook` by reset() and when a `built_from` setting changes: for state that is not a dict."""
        self._hooks.append((hook, frozenset(built_from)))

    def reload(self, setting: str) -> None:
        """Forget what was built from `setting` (Django's setting_changed signal calls this)."""
        for store in self._stores.values():
            if setting in store.built_from:
                store.data.clear()
        for hook, built_from in self._hooks:
            if setting in built_from:
                hook()

    def reset(self) -> None:
        """Forget every piece of state: new clients and plans, closed breakers, no pinned states, rules re-read."""
        for store in self._stores.values():
            if not store.kept_on_reset:
                store.data.clear()
        for hook, _ in self._hooks:
            hook()

    def sizes(self) -> dict[str, int]:
        """How many entries each store holds, by name (for the curious and for tests)."""
        return {name: len(store.data) for name, store in sorted(self._stores.items())}


runtime = Runtime()


def _setting_changed(*, setting, **kwargs):
    runtime.reload(setting)


setting_changed.connect(_setting_changed)
