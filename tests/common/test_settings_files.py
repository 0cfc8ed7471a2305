"""Settings that are easy to lose in a merge, and the one declaration every setting comes from."""
import ast
import re
from pathlib import Path

from django.conf import settings

from common.conf import TABLE_END, TABLE_START, environment_variables, namespaces, table_block
from config.settings import base

SETTINGS_FILES = sorted(Path(settings.BASE_DIR, "config").glob("**/*.py"))


def test_every_periodic_task_is_scheduled():
    tasks = {entry["task"] for entry in base.CELERY_BEAT_SCHEDULE.values()}
    assert {"outbox.relay", "outbox.prune", "orders.resume_stuck_sagas",
            "inventory.release_expired_reservations"} <= tasks


def test_the_settings_doc_is_current():
    doc = Path(settings.BASE_DIR, "docs", "settings.md").read_text()
    block = re.search(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), doc, re.S)
    assert block, "docs/settings.md lost its settings-table block"
    assert block.group(0) == table_block(), (
        "docs/settings.md is stale: run `.venv/bin/python manage.py settings_table --update docs/settings.md`")


def _variable_name(node) -> str | None:
    """The environment variable a call or subscript names: "X", or "<CONTEXT>_X" for f"{context.upper()}_X"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "<CONTEXT>" for part in node.values)
    return None


def environment_reads(source: str) -> set[str]:
    """Every environment variable `source` reads: os.environ.get/[...], env_bool(...), env.get(...)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            function = ast.unparse(node.func)
            if function in ("os.environ.get", "env_bool", "env.get", "os.getenv"):
                names.add(_variable_name(node.args[0]))
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(_variable_name(node.slice))
    return names - {None}


def test_every_environment_variable_the_settings_files_read_is_declared():
    declared = {variable.name for variable in environment_variables()}
    for namespace in namespaces():
        stack = list(namespace.keys.values())
        while stack:
            key = stack.pop()
            declared.update(key.env_names)
            stack.extend(key.keys)
    read = {name: path for path in SETTINGS_FILES for name in environment_reads(path.read_text())}
    undeclared = {name: str(path.relative_to(settings.BASE_DIR)) for name, path in read.items() if name not in declared}
    assert not undeclared, (f"read but declared nowhere (declare them in the app's conf.py or in "
                            f"config/settings/environment.py): {undeclared}")


def test_the_scan_finds_what_it_looks_for():
    source = 'import os\nA = os.environ.get("ONE", "1")\nB = os.environ["TWO"]\nC = env_bool("THREE", False)\n' \
             'D = {c: os.environ.get(f"{c.upper()}_FOUR") for c in "x"}\n'
    assert environment_reads(source) == {"ONE", "TWO", "THREE", "<CONTEXT>_FOUR"}
