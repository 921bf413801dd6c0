"""Roster tests run on SQLite; one test asks for PostgreSQL with
``@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)``.

``school`` is a fresh school with nothing but its admin (the demo people would be adopted
by an import: a year or a class of the same name is taken over, not duplicated).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select
from starlette.applications import Starlette

from eschool.models import Role, User
from eschool.security import hash_password
from eschool.services import api_token_create, school_create
from tests.conftest import _empty_postgres, _run


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """SQLite (a copy of the migrated template) unless the test asks for ``"postgres"``."""
    if getattr(request, "param", "sqlite") == "postgres":
        url = request.getfixturevalue("postgres_database")
        _run(_empty_postgres(url))
        yield url
        return
    path = tmp_path / "eschool.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite+aiosqlite:///{path}"


@dataclass
class School:
    id: int
    admin: User
    headers: dict[str, str]


@pytest.fixture
async def school(app: Starlette) -> School:
    """A new school with one admin (and a bearer token for them)."""
    async with app.state.sessionmaker() as session:
        made = await school_create(session, name="Roster school", slug="roster")
        admin = User(
            school_id=made.id,
            login="boss",
            name="Boss",
            role=Role.admin,
            password_hash=hash_password("x" * 8),
        )
        session.add(admin)
        await session.commit()
        token = await api_token_create(session, user=admin, label="roster tests")
    return School(id=made.id or 0, admin=admin, headers={"Authorization": f"Bearer {token}"})


async def row_counts(app: Starlette) -> dict[str, int]:
    """How many rows each table holds (to show that nothing was stored)."""
    counts = {}
    async with app.state.sessionmaker() as session:
        for name, table in SQLModel.metadata.tables.items():
            if name in ("auth_sessions", "login_failures"):
                continue
            counts[name] = (await session.exec(select(func.count()).select_from(table))).one()
    return counts
