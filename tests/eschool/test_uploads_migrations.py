"""The upload table moved from the lesson library to the shell without a migration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from alembic import command
from alembic.operations.ops import MigrationScript
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from eschool.db import create_engine
from eschool.migrate import alembic_config, migrate


def _pending_changes(connection: Connection, package: str) -> list[Any]:
    """What ``python -m eschool.makemigration <package> …`` would write, without writing it."""
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["only_package"] = package
    found: list[Any] = []

    def capture(_context: Any, _revision: Any, directives: list[MigrationScript]) -> None:
        found.extend(directives[0].upgrade_ops.as_diffs())
        directives.clear()  # nothing is written

    script = ScriptDirectory.from_config(config)
    labels = (script.get_revision(head).branch_labels or () for head in script.get_heads())
    on_branch = any(package in branch for branch in labels)
    command.revision(
        config,
        message="check",
        autogenerate=True,
        head=f"{package}@head" if on_branch else "base",
        process_revision_directives=capture,
    )
    return found


async def test_neither_the_shell_nor_the_library_would_migrate_the_upload_table(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/scratch.db")
    try:
        await migrate(engine)
        for package in ("eschool", "lessons"):
            async with engine.begin() as connection:
                changes = await connection.run_sync(_pending_changes, package)
            assert changes == [], (package, changes)
    finally:
        await engine.dispose()


def test_the_schema_the_migrations_see_has_the_upload_table_owned_by_the_shell() -> None:
    # In a fresh interpreter: what alembic's env.py imports must map the table by itself.
    probe = (
        "import eschool.all_models\n"
        "from sqlmodel import SQLModel\n"
        "print(*sorted({m.class_.__module__ for m in SQLModel._sa_registry.mappers\n"
        "    if m.local_table.name == 'assets'}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert found == ["eschool.uploads.models"]
