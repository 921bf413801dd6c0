"""Alembic migrations: every package keeps its own branch; ``upgrade heads`` applies them all."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from eschool.packages import DOMAIN_PACKAGES, package_dirs

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def version_locations() -> list[str]:
    """The migration folders of every package that has one."""
    domain = package_dirs("migrations", packages=DOMAIN_PACKAGES)
    return [str(SCRIPT_LOCATION / "versions"), *map(str, domain)]


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration built in code (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(version_locations()))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database behind ``engine`` to the latest schema of every package."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
