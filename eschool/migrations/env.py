"""Alembic environment: runs on the connection handed over by eschool.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import eschool.all_models  # noqa: F401  (fills SQLModel.metadata for autogenerate)

config = context.config
target_metadata = SQLModel.metadata


def _tables_of(package: str) -> set[str]:
    tables: set[str] = set()
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.class_.__module__.split(".")[0] == package:
            tables.add(mapper.local_table.name)
    return tables


def run() -> None:
    only = config.attributes.get("only_package")
    own_tables = _tables_of(only) if only else None

    def include_object(obj, name, type_, reflected, compare_to):
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
    )
    with context.begin_transaction():
        context.run_migrations()


run()
