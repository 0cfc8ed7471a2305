"""A test guard on every database connection: a query naming a table that lives on another database fails."""
from __future__ import annotations

import re
from contextlib import ExitStack, contextmanager

from django.apps import apps
from django.db import connections, router


class CrossDatabaseQuery(AssertionError):
    """A query on one database named a table that the router puts on another one."""


def tables_by_alias() -> dict[str, set[str]]:
    """The tables of our models that each database holds, as the router's allow_migrate decides."""
    models = apps.get_models(include_auto_created=True)
    return {alias: {m._meta.db_table for m in models if router.allow_migrate_model(alias, m)} for alias in connections}


def foreign_tables(tables: dict[str, set[str]]) -> dict[str, re.Pattern | None]:
    """Per alias, a pattern matching any table that is on another database and not on this one."""
    everything = set().union(*tables.values())
    patterns = {}
    for alias, here in tables.items():
        others = sorted(everything - here, key=len, reverse=True)
        patterns[alias] = re.compile(r"\b(" + "|".join(map(re.escape, others)) + r")\b") if others else None
    return patterns


def _guard(alias: str, pattern: re.Pattern):
    def check(execute, sql, params, many, context):
        found = pattern.search(sql)
        if found:
            raise CrossDatabaseQuery(f"a query on database {alias!r} reads {found.group(1)!r}, a table of another "
                                     f"database: {sql[:300]}")
        return execute(sql, params, many, context)
    return check


@contextmanager
def no_cross_database_queries(tables: dict[str, set[str]] | None = None):
    """Within the block, every query on every alias (in this thread) may only name that alias's own tables."""
    with ExitStack() as stack:
        for alias, pattern in foreign_tables(tables or tables_by_alias()).items():
            if pattern is not None and alias in connections.settings:  # one database holds every table: none crosses
                stack.enter_context(connections[alias].execute_wrapper(_guard(alias, pattern)))
        yield
