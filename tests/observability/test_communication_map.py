"""The communication map is read from code and settings, and the README's copy of it is current."""
import re
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from config.settings.boundaries import CONTEXTS
from observability.communication_map import as_dot, as_mermaid, communication_map, shop_contexts
from observability.management.commands.communication_map import END, START, embedded_map, readme_block
from outbox.api import all_subscribers

README = Path(settings.BASE_DIR) / "README.md"


def test_the_readme_shows_the_current_map():
    block = re.search(re.escape(START) + ".*?" + re.escape(END), README.read_text(), re.S)
    assert block, "README.md lost its communication-map block"
    assert block.group(0) == readme_block(embedded_map()), (
        "README.md's communication map is stale: run `.venv/bin/python manage.py communication_map --update-readme`"
    )


def test_every_subscriber_of_the_shop_is_an_arrow():
    contexts = set(shop_contexts())
    arrows = {(i.target, i.label) for i in communication_map() if i.kind in ("event", "command")}
    subscribed = {(s.context, s.message.split(".", 1)[-1]) for s in all_subscribers() if s.context in contexts}
    assert subscribed and subscribed <= arrows


def test_moving_a_boundary_to_grpc_changes_its_arrow():
    local = as_mermaid(communication_map({"inventory": {"transport": "local"}}))
    split = as_mermaid(communication_map(dict.fromkeys(CONTEXTS, {"transport": "grpc"})))
    assert 'orders -->|"sync in-process"| inventory' in local
    assert 'orders -->|"sync gRPC"| inventory' in split and "in-process" not in split


def test_a_command_points_from_its_sender_to_its_handler():
    interactions = communication_map()
    assert any(i.kind == "command" and (i.source, i.target) == ("orders", "notifications") for i in interactions)
    assert 'orders -> notifications [label="command: SendOrderConfirmation", style=bold];' in as_dot(interactions)


def test_the_command_prints_both_formats(capsys):
    call_command("communication_map", "--format", "dot")
    assert capsys.readouterr().out.startswith("digraph shop {")
    call_command("communication_map")
    assert capsys.readouterr().out.startswith("flowchart LR")
