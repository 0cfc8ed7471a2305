"""Validated settings namespaces: each app declares its settings once, with default, type, env var and doc.

Modelled on DRF's `api_settings`. An app's `conf.py` holds one `AppSettings` (`orders_settings`,
`outbox_settings`, ...) that the app reads its settings through, when called (so `override_settings`
is honoured). The settings files build their values with `from_env()`, so an environment variable's
name and default are written in the declaration and nowhere else. `check()` is a Django system check
(each app registers its own in `AppConfig.ready()`): an unknown key or a bad value fails
`manage.py check` with a message naming it. `manage.py settings_table` prints every declaration
(docs/settings.md is generated from it).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})


def env_bool(raw: str) -> bool:
    """"1", "true", "yes", "on" (any case) are true; anything else is false."""
    return raw.strip().lower() in TRUE


@dataclass(frozen=True)
class Key:
    """One setting (or one key of a dict setting): its default, what it accepts, where the environment sets it."""

    name: str
    default: Any
    doc: str
    type: type | tuple[type, ...] | None = None  # None: the default's type (an int passes for a float)
    env: str | tuple[str, ...] = ()  # environment variables that set it, the first one set wins
    choices: tuple = ()
    check: Callable[[Any], str | None] | None = None  # says what is wrong with a value, or None
    keys: tuple[Key, ...] = ()  # a dict setting's keys: any other key is refused
    nullable: bool = False  # None is accepted too

    @property
    def env_names(self) -> tuple[str, ...]:
        return (self.env,) if isinstance(self.env, str) else tuple(self.env)

    def accepted_types(self) -> tuple[type, ...]:
        accepted = self.type if self.type is not None else type(self.default)
        accepted = accepted if isinstance(accepted, tuple) else (accepted,)
        if float in accepted:
            accepted = (*accepted, int)
        return accepted

    def parse(self, raw: str):
        """The value of an environment variable's text, as this key's type."""
        kind = self.accepted_types()[0]
        if kind is bool:
            return env_bool(raw)
        if kind is list:
            return [item for item in raw.split(",") if item]
        return kind(raw)

    def value_from(self, environ: Mapping[str, str], default=None):
        """This key's value: its environment variable's when set, else `default` (else the declared default)."""
        for name in self.env_names:
            raw = environ.get(name)
            if raw is not None:
                try:
                    return self.parse(raw)
                except ValueError:
                    raise ImproperlyConfigured(f"environment variable {name}={raw!r}: not {self.accepted_types()[0].__name__}") from None
        if self.keys:
            default = default or {}
            return {key.name: key.value_from(environ, default.get(key.name)) for key in self.keys}
        return self.default if default is None else default

    def problems(self, value, where: str) -> list[str]:
        """What is wrong with `value` (named by `where`, e.g. "OUTBOX['LEASE_SECONDS']"); empty when nothing is."""
        if value is None and (self.nullable or self.default is None):
            return []
        if self.keys and isinstance(value, dict):
            declared = {key.name: key for key in self.keys}
            found = [f"{where}[{name!r}]: unknown key; known keys: {', '.join(sorted(declared))}"
                     for name in value if name not in declared]
            for name, key in declared.items():
                if name in value:
                    found += key.problems(value[name], f"{where}[{name!r}]")
            return found
        accepted = self.accepted_types()
        if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
            return [f"{where}: {value!r} is not {' or '.join(t.__name__ for t in accepted)}"]
        if self.choices and value not in self.choices:
            return [f"{where}: {value!r} is not one of {', '.join(map(repr, self.choices))}"]
        problem = self.check(value) if self.check else None
        return [f"{where}: {problem}"] if problem else []


HINT = "docs/settings.md lists every setting, its keys and values (manage.py settings_table)"
_namespaces: dict[str, AppSettings] = {}  # by app label: what settings_table documents


class AppSettings:
    """An app's settings, read through attributes when called: `orders_settings.CHECKOUT_SAGA["give_up_after"]`."""

    def __init__(self, app: str, *keys: Key, doc: str = ""):
        self.app = app
        self.doc = doc
        self.keys = {key.name: key for key in keys}
        _namespaces[app] = self

    def __getattr__(self, name: str):
        key = self.__dict__.get("keys", {}).get(name)
        if key is None:
            raise AttributeError(f"{self.__dict__.get('app')} declares no setting {name!r}")
        value = getattr(settings, name, key.default)
        if key.keys and isinstance(value, dict):
            return {**{sub.name: sub.default for sub in key.keys}, **value}  # a key left out keeps its default
        return value

    def from_env(self, name: str, environ: Mapping[str, str] | None = None, default=None):
        """Setting `name`'s value for a settings file: its environment variables over `default` (a profile's
        own default; for a dict setting, a dict of some of its keys) over the declared default."""
        return self.keys[name].value_from(os.environ if environ is None else environ, default)

    def check(self, app_configs=None, **kwargs) -> list[checks.CheckMessage]:
        """The system check: every declared setting that is set holds known keys and good values."""
        errors = []
        for name, key in self.keys.items():
            if not hasattr(settings, name):
                continue
            for problem in key.problems(getattr(settings, name), name):
                errors.append(checks.Error(f"settings.{problem}", hint=HINT, id=f"{self.app}.E100"))
        return errors

    def register_check(self) -> None:
        """Run check() with `manage.py check` (call it from the app's `AppConfig.ready()`)."""
        def check_settings(app_configs=None, **kwargs):
            return self.check(app_configs, **kwargs)

        check_settings.__qualname__ = f"{self.app}_settings.check"
        checks.register(check_settings, "settings")


def namespaces() -> list[AppSettings]:
    """The namespace of every installed app that declares one, by app label."""
    from django.apps import apps

    return [_namespaces[app] for app in sorted(_namespaces) if apps.is_installed(app)]


def positive(value) -> str | None:
    """A check: the value is above zero."""
    return None if value > 0 else "must be above zero"


def not_negative(value) -> str | None:
    """A check: the value is zero or more."""
    return None if value >= 0 else "must not be negative"


def decimal_text(value) -> str | None:
    """A check: the text is a decimal number (an amount of money: never a float)."""
    try:
        Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return "must be a decimal number written as text, e.g. '5000.00'"
    return None


@dataclass(frozen=True)
class Env:
    """An environment variable the settings files read for a setting of Django's or Celery's own."""

    name: str
    default: str | None
    doc: str
    settings: tuple[str, ...] = field(default=())


class Environment:
    """The environment variables the settings files read (a test fails when they read one declared nowhere)."""

    def __init__(self, *variables: Env):
        self.variables = {variable.name: variable for variable in variables}
        _environments.append(self)


_environments: list[Environment] = []


def environment_variables() -> list[Env]:
    """Every declared environment variable of the settings files, in declaration order."""
    return [variable for environment in _environments for variable in environment.variables.values()]


# --- common's own settings: the boundaries between contexts, their resilience, the edges' JSON limits ---------
TRANSPORT_KEYS = {  # what each transport's client takes (RestClient, GrpcClient); a local client takes nothing
    "local": {"transport"},
    "rest": {"transport", "target", "timeout", "token", "pool_size"},
    "grpc": {"transport", "target", "timeout", "token", "tls"},
}


def boundaries_problem(value) -> str | None:
    """What is wrong with settings.BOUNDARIES: an unknown transport, or a key its client does not take."""
    for context, config in value.items():
        if not isinstance(config, dict):
            return f"[{context!r}] must be a dict"
        transport = config.get("transport", "local")
        if transport not in TRANSPORT_KEYS:
            return f"[{context!r}]['transport']: {transport!r} is not one of {', '.join(TRANSPORT_KEYS)}"
        unknown = sorted(set(config) - TRANSPORT_KEYS[transport])
        if unknown:
            return (f"[{context!r}][{unknown[0]!r}]: unknown key for transport {transport!r}; "
                    f"known keys: {', '.join(sorted(TRANSPORT_KEYS[transport]))}")
        if transport != "local" and not config.get("target"):
            return f"[{context!r}]: a {transport} boundary needs a 'target'"
    return None


def resilience_problem(value) -> str | None:
    """What is wrong with settings.RESILIENCE: a policy key that no policy has, per boundary and operation."""
    from .resilience.config import check_overrides  # the policy layer knows its own keys

    places = [("['defaults']", value.get("defaults", {}))]
    for boundary, config in value.get("boundaries", {}).items():
        places.append((f"['boundaries'][{boundary!r}]", config))
        for operation, overrides in config.get("operations", {}).items():
            places.append((f"['boundaries'][{boundary!r}]['operations'][{operation!r}]", overrides))
    for where, overrides in places:
        try:
            check_overrides(overrides)
        except (TypeError, ValueError) as error:
            return f"{where}: {error}"
    return None


common_settings = AppSettings(
    "common",
    Key("BOUNDARIES", {}, "per context called synchronously: its transport (local, rest, grpc) and, when remote, "
        "target, timeout, token, and tls (gRPC) or pool_size (REST); built by config/settings/boundaries.py from "
        "BOUNDARIES_PROFILE and the `<CONTEXT>_*` variables (docs/transports.md)", type=dict, check=boundaries_problem),
    Key("RESILIENCE", {}, "timeouts, retries, breakers and fault rules per boundary and operation "
        "(docs/resilience.md)", type=dict, check=resilience_problem),
    Key("INTERNAL_SERVICE_TOKENS", {}, "per context, the token its internal endpoints accept "
        "(`<CONTEXT>_SERVICE_TOKEN`)", type=dict),
    Key("STRONG_SERVICE_TOKENS", False, "serve_context refuses unset, development or short tokens (production)"),
    Key("INTERNAL_GRPC_TLS", {}, "serve_context's gRPC server TLS", keys=(
        Key("cert", None, "the server's certificate file", type=str, env="GRPC_TLS_SERVER_CERT"),
        Key("key", None, "its private key file", type=str, env="GRPC_TLS_SERVER_KEY"),
        Key("client_ca", None, "with it, clients must present a certificate signed by this CA (mTLS)", type=str,
            env="GRPC_TLS_CLIENT_CA"),
    )),
    Key("JSON_LIMITS", {}, "the storefront's JSON bodies: 413 above max_bytes, 400 deeper than max_depth", keys=(
        Key("max_bytes", 64 * 1024, "bodies above this answer 413 (an order of 50 lines is ~5 KB)",
            env="API_JSON_MAX_BYTES", check=positive),
        Key("max_depth", 10, "bodies nested deeper answer 400", check=positive),
    )),
    Key("INTERNAL_JSON_LIMITS", {}, "the internal endpoints' JSON bodies", keys=(
        Key("max_bytes", 256 * 1024, "bodies above this answer 413", env="INTERNAL_JSON_MAX_BYTES", check=positive),
        Key("max_depth", 10, "bodies nested deeper answer 400", check=positive),
    )),
    doc="boundaries, transports, resilience, the edges",
)


# --- the table of every setting and environment variable (docs/settings.md) -----------------------------------
TABLE_START, TABLE_END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def _cell(value) -> str:
    text = "" if value is None else str(value).replace("|", "\\|")
    return f"`{text}`" if text else ""


def _default(key: Key) -> str:
    if key.keys:
        return ""
    if key.default == {}:
        return "built by the settings files"
    if key.default is None:
        return "unset"
    if isinstance(key.default, bool):
        return "on" if key.default else "off"
    if isinstance(key.default, str) and not key.default:
        return '""'
    return _cell(key.default)


def _rows(key: Key, path: str) -> list[str]:
    env = ", ".join(f"`{name}`" for name in key.env_names)
    meaning = key.doc + (f" (one of {', '.join(map(str, key.choices))})" if key.choices else "")
    rows = [f"| `{path}` | {env} | {_default(key)} | {meaning} |"]
    for sub in key.keys:
        rows += _rows(sub, f"{path}[\"{sub.name}\"]")
    return rows


def settings_table() -> str:
    """Markdown: every declared setting (per app) and every environment variable the settings files read."""
    parts = []
    for namespace in namespaces():
        parts += [f"### `{namespace.app}`: {namespace.doc} ({namespace.app}/conf.py, `{namespace.app}_settings`)", "",
                  "| setting | environment variable | default | meaning |", "|---|---|---|---|"]
        for key in namespace.keys.values():
            parts += _rows(key, key.name)
        parts.append("")
    parts += ["### Django, Celery and the deployment (config/settings/environment.py)", "",
              "| environment variable | default | settings | meaning |", "|---|---|---|---|"]
    for variable in environment_variables():
        default = "unset" if variable.default is None else _cell(variable.default)
        parts.append(f"| `{variable.name}` | {default} | {', '.join(variable.settings)} | {variable.doc} |")
    return "\n".join(parts) + "\n"


def table_block() -> str:
    """The generated table between its markers, as docs/settings.md holds it."""
    return f"{TABLE_START}\n{settings_table()}{TABLE_END}"
