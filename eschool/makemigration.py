"""Developer tool: autogenerate a migration for one package's branch.

    python -m eschool.makemigration lessons "lesson tables"

It builds a scratch SQLite database at the current head, compares it with the models and
writes the new revision into ``<package>/migrations``. Review the file before committing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import Connection

from eschool.db import create_engine
from eschool.migrate import SCRIPT_LOCATION, alembic_config, migrate
from eschool.packages import package_root


def _revision(connection: Connection, package: str, message: str) -> None:
    folder = (
        SCRIPT_LOCATION / "versions"
        if package == "eschool"
        else (package_root(package) or Path(package)) / "migrations"
    )
    folder.mkdir(exist_ok=True)  # before the config, which lists only existing folders
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["only_package"] = package
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(config).get_heads()
    branch_exists = any(
        package in (ScriptDirectory.from_config(config).get_revision(h).branch_labels or ())
        for h in heads
    )
    command.revision(
        config,
        message=message,
        autogenerate=True,
        head=f"{package}@head" if branch_exists else "base",
        branch_label=None if branch_exists else package,
        version_path=str(folder),
        rev_id=f"{package}_{len(list(folder.glob('*.py'))) + 1:04d}",
        depends_on=None if package == "eschool" or branch_exists else "eschool_0001",
    )


async def main(package: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/scratch.db")
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_revision, package, message)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
