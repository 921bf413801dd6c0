"""Alembic environment: runs on the connection handed over by eschool.migrate.

Each package's branch owns the tables whose models that package defines (``eschool.uploads``
counts as ``eschool``), whichever branch first created them: ``makemigration <package>``
compares only those tables, so a model that moves between packages keeps its table and
data (no drop here, no create there).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alembic import context
from alembic.operations import ops
from sqlmodel import SQLModel

import eschool.all_models  # noqa: F401  (fills SQLModel.metadata for autogenerate)

config = context.config
target_metadata = SQLModel.metadata

# Tables first created by another branch than their owner's, because their model moved:
# a later migration of the owner that touches one must run after that creation.
CREATED_ELSEWHERE = {
    "assets": "lessons_0001",  # the upload store, moved from the lesson library to the shell
}

# Indexes a migration creates for one database only, so no model declares them: autogenerate
# must not propose dropping them (SQLite's narrow indexes of the library search, lessons_0002).
DIALECT_ONLY_INDEXES = frozenset({"ix_lessons_search", "ix_lesson_versions_search"})


def _tables_of(package: str) -> set[str]:
    """The tables whose model is defined in ``package`` or one of its subpackages."""
    tables: set[str] = set()
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.class_.__module__.split(".")[0] == package:
            tables.add(mapper.local_table.name)
    return tables


def _touched(operations: Iterable[ops.MigrateOperation]) -> set[str]:
    tables: set[str] = set()
    for operation in operations:
        name = getattr(operation, "table_name", None)
        if isinstance(name, str):
            tables.add(name)
        if isinstance(operation, ops.OpContainer):
            tables |= _touched(operation.ops)
    return tables


def _after_creation(_context: Any, _revision: Any, directives: list[Any]) -> None:
    """Make a new revision that touches a table created on another branch depend on the
    revision that created it (a fresh database runs the branches in dependency order)."""
    if not directives:
        return
    script = directives[0]
    touched: set[str] = set()
    for upgrade_ops in script.upgrade_ops_list:
        touched |= _touched(upgrade_ops.ops)
    needed = [CREATED_ELSEWHERE[table] for table in sorted(touched) if table in CREATED_ELSEWHERE]
    if needed:
        current = script.depends_on
        current = [current] if isinstance(current, str) else list(current or ())
        script.depends_on = tuple(dict.fromkeys([*current, *needed]))


def run() -> None:
    only = config.attributes.get("only_package")
    own_tables = _tables_of(only) if only else None

    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "index" and reflected and name in DIALECT_ONLY_INDEXES:
            return False
        if own_tables is None:
            return True
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else getattr(table, "name", None)
        return table_name in own_tables

    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `eschool init` or eschool.migrate.migrate()")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        process_revision_directives=_after_creation,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
