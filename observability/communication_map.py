"""The shop's communication map, read from code and settings: who calls whom, and which messages flow where.

Nothing here is drawn by hand. Synchronous arrows come from the contexts' own imports of another
context's `get_<context>_api()` and the transport `settings.BOUNDARIES` names for it; event and command
arrows come from the message classes in each `api.py` and the subscribers the outbox registry holds.
Add a subscriber or move a boundary to gRPC and the map changes.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings

from common.runtime import runtime
from outbox.api import Command, Event, all_subscribers

_imports: dict[str, frozenset] = runtime.store("observability.imports", kept_on_reset=True)
SYNC_KINDS = {"local": "sync in-process", "rest": "sync REST", "grpc": "sync gRPC"}


@dataclass(frozen=True, order=True)
class Interaction:
    """One arrow: `source` talks to `target` in this `kind`, about `label` (an operation set or a message)."""

    source: str
    target: str
    kind: str  # "sync in-process" | "sync REST" | "sync gRPC" | "event" | "command"
    label: str


def shop_contexts() -> list[str]:
    """The labels of the shop's own apps (not Django's, not third parties', not test apps)."""
    root = Path(settings.BASE_DIR).resolve()
    return [
        config.label for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == root and config.label not in ("observability", "scenarios")
    ]


def sync_calls(contexts: list[str], boundaries: dict | None = None) -> list[Interaction]:
    """Arrows for every context whose code fetches another context's client (`get_<target>_api`)."""
    boundaries = settings.BOUNDARIES if boundaries is None else boundaries
    found = set()
    for source in contexts:
        for module, name in _imported_names(source):
            target = module.split(".")[0]
            if target != source and target in contexts and name == f"get_{target}_api":
                transport = boundaries.get(target, {}).get("transport", "local")
                found.add(Interaction(source, target, SYNC_KINDS.get(transport, f"sync {transport}"), f"{target}.api"))
    return sorted(found)


def _imported_names(context: str) -> frozenset[tuple[str, str]]:
    """(module, name) of every `from <module> import <name>` in a context's own code (read once per process:
    the code does not change under a running process, and the map asks for each context many times)."""
    found = _imports.get(context)
    if found is None:
        found = _imports[context] = frozenset(_read_imported_names(context))
    return found


def _read_imported_names(context: str) -> set[tuple[str, str]]:
    names = set()
    for file in Path(apps.get_app_config(context).path).rglob("*.py"):
        if "migrations" in file.parts or file.name.endswith(("_pb2.py", "_pb2_grpc.py")):
            continue
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.update((node.module, alias.name) for alias in node.names)
    return names


def message_flows(contexts: list[str]) -> list[Interaction]:
    """Event arrows from the context that defines the event to each subscriber's context; command arrows
    from each context that imports the command (to send it) to the context handling it."""
    events, commands = {}, {}
    for base, found in ((Event, events), (Command, commands)):
        for cls in _subclasses(base):
            config = apps.get_containing_app_config(cls.__module__)
            if config is not None and getattr(cls, "name", None):
                found[cls.name] = (config.label, cls.__module__, cls.__name__)
    senders = defaultdict(set)
    for context in contexts:
        for module, name in _imported_names(context):
            for message, (owner, owner_module, class_name) in commands.items():
                if (module, name) == (owner_module, class_name) and context != owner:
                    senders[message].add(context)
    found = set()
    for entry in all_subscribers():
        if entry.context not in contexts:
            continue
        label = entry.message.split(".", 1)[-1]
        if entry.message in events and events[entry.message][0] in contexts:
            found.add(Interaction(events[entry.message][0], entry.context, "event", label))
        for sender in senders.get(entry.message, ()):
            found.add(Interaction(sender, entry.context, "command", label))
        owner, owner_module, class_name = commands.get(entry.message, (None, None, None))
        if owner == entry.context and {("api", class_name), (owner_module, class_name)} & _imported_names(owner):
            # A context sending itself a command through the outbox (orders' ResumeCheckout): a loop on its box.
            found.add(Interaction(owner, owner, "command", label))
    return sorted(found)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def communication_map(boundaries: dict | None = None) -> list[Interaction]:
    """Every arrow of the shop as it is configured now (or with `boundaries` instead of the setting)."""
    contexts = shop_contexts()
    return sync_calls(contexts, boundaries) + message_flows(contexts)


def why(source: str, target: str, kind: str) -> str:
    """The Scenario 3 reason for an arrow (settings.BOUNDARIES_WHY, kept beside SPLIT), or "" when none is written."""
    reasons = getattr(settings, "BOUNDARIES_WHY", {})
    family = kind if kind in ("event", "command") else "sync"
    return reasons.get((source, target, family)) or reasons.get(("*", "*", family), "")


def _grouped(interactions: list[Interaction]) -> dict[tuple[str, str, str], list[str]]:
    arrows: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for item in interactions:
        arrows[(item.source, item.target, item.kind)].append(item.label)
    return arrows


def as_mermaid(interactions: list[Interaction]) -> str:
    """A Mermaid flowchart: solid arrows for calls, dotted ones for events, thick ones for commands."""
    lines = ["flowchart LR"]
    for (source, target, kind), labels in _grouped(interactions).items():
        arrow = {"event": "-.->", "command": "==>"}.get(kind, "-->")
        text = kind if kind.startswith("sync") else f"{kind}: {', '.join(labels)}"
        lines.append(f'    {source} {arrow}|"{text}"| {target}')
    return "\n".join(lines) + "\n"


def as_dot(interactions: list[Interaction]) -> str:
    """The same picture in Graphviz's dot language."""
    lines = ["digraph shop {", "    rankdir=LR;", "    node [shape=box];"]
    for (source, target, kind), labels in _grouped(interactions).items():
        style = {"event": "dashed", "command": "bold"}.get(kind, "solid")
        text = kind if kind.startswith("sync") else f"{kind}: {', '.join(labels)}"
        lines.append(f'    {source} -> {target} [label="{text}", style={style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"
