"""The one seam per boundary: the transport named in settings.BOUNDARIES picks the implementation."""
from __future__ import annotations

import copy

from django.utils.module_loading import import_string

from .conf import common_settings
from .resilience.proxy import ResilientClient
from .runtime import runtime


def boundary_config(name: str) -> dict:
    """The settings of one boundary, read when called (so override_settings is honoured)."""
    try:
        return dict(common_settings.BOUNDARIES[name])
    except KeyError:
        raise LookupError(f"settings.BOUNDARIES has no entry for {name!r}") from None


def boundary_client(name: str, implementations: dict[str, str]):
    """The client object for boundary `name`, built once per configuration and reused."""
    try:
        raw = common_settings.BOUNDARIES[name]
    except KeyError:
        raise LookupError(f"settings.BOUNDARIES has no entry for {name!r}") from None
    last = _last.get(name)
    if last is not None and last[0] == raw and last[1] == implementations:
        return last[2]  # every call of every boundary passes here: compare, do not rebuild the key
    client = _client_for(name, implementations)
    _last[name] = (copy.deepcopy(raw), dict(implementations), client)
    return client


def _client_for(name: str, implementations: dict[str, str]):
    config = boundary_config(name)
    transport = config.pop("transport", "local")
    try:
        path = implementations[transport]
    except KeyError:
        raise LookupError(
            f"boundary {name!r}: unknown transport {transport!r}; choose one of {sorted(implementations)}"
        ) from None
    key = (name, path, repr(sorted(config.items())))
    client = _clients.get(key)
    if client is None:
        # Every transport, the in-process one too, goes through the same policy layer.
        client = _clients.setdefault(key, ResilientClient(name, import_string(path)(**config)))
    return client


_clients: dict[tuple, object] = runtime.store("boundaries.clients", built_from={"BOUNDARIES"})
# Per boundary: the settings it was last read with, and its client.
_last: dict[str, tuple[dict, dict, object]] = runtime.store("boundaries.last", built_from={"BOUNDARIES"})

