"""A seeded school for a benchmark: the demo school (seeded once and copied), generated pupils
and teachers inserted in bulk, and bearer tokens of the people the benchmark acts as."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import work_dir

BENCH_PASSWORD = "bench-password"  # noqa: S105 - the password of the generated bench accounts


@dataclass
class School:
    """A migrated, seeded database in a data dir, and bearer tokens of people in it."""

    data_dir: Path
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)  # login -> bearer token
    user_ids: dict[str, int] = field(default_factory=dict)  # login -> user id
    pupils: list[str] = field(default_factory=list)  # logins of the generated pupils
    teachers: list[str] = field(default_factory=list)  # logins of the generated teachers

    def env(self, broker_url: str = "memory://") -> dict[str, str]:
        """The environment a server of this school runs with."""
        return {
            "ESCHOOL_DATA_DIR": str(self.data_dir),
            "ESCHOOL_DATABASE_URL": self.database_url,
            "ESCHOOL_BROKER_URL": broker_url,
            "ESCHOOL_SECRET_KEY": "",
        }

    def bearer(self, login: str) -> dict[str, str]:
        """The Authorization header of ``login``."""
        return {"Authorization": f"Bearer {self.tokens[login]}"}


_demo_template: Path | None = None


@contextlib.asynccontextmanager
async def demo_template() -> AsyncIterator[Path]:
    """Seed the demo school once (SQLite) for a series of benchmarks: while the block runs,
    :func:`seed_school` copies it instead of seeding the demo again (several seconds each)."""
    global _demo_template
    with work_dir("template") as directory:
        await seed_school(directory / "data")
        _demo_template = directory / "data"
        try:
            yield _demo_template
        finally:
            _demo_template = None


def sqlite_url(data_dir: Path) -> str:
    """The default SQLite database of a data dir."""
    return f"sqlite+aiosqlite:///{data_dir / 'eschool.db'}"


async def seed_school(
    data_dir: Path,
    *,
    database_url: str | None = None,
    pupils: int = 0,
    teachers: int = 0,
    pupil_class: str = "7A",
    token_logins: Iterable[str] = ("admin", "teacher"),
    demo: bool = True,
) -> School:
    """Migrate and seed a school: the demo school (``demo``), plus ``pupils`` generated pupils
    of ``pupil_class`` and ``teachers`` generated teachers, with a bearer token for each of them
    and for ``token_logins``.

    People are inserted in bulk with one password hash (argon2 is slow on purpose).
    """
    from eschool.db import create_engine, create_sessionmaker
    from eschool.migrate import migrate
    from eschool.settings import Settings

    copied = demo and database_url is None and _demo_template is not None
    if copied:
        assert _demo_template is not None
        shutil.copytree(_demo_template, data_dir, dirs_exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or sqlite_url(data_dir)
    settings = Settings.from_env({"ESCHOOL_DATA_DIR": str(data_dir), "ESCHOOL_DATABASE_URL": url})
    settings = settings.with_secret()
    engine = create_engine(url)
    school = School(data_dir=data_dir, database_url=url)
    try:
        await migrate(engine)
        async with create_sessionmaker(engine)() as session:
            if demo and not copied:
                from eschool.demo import seed_demo

                await seed_demo(session, settings=settings)
            prefix = f"b{uuid.uuid4().hex[:6]}"
            school.pupils = [f"{prefix}.pupil{n}" for n in range(pupils)]
            school.teachers = [f"{prefix}.teacher{n}" for n in range(teachers)]
            await add_people(
                session, pupils=school.pupils, teachers=school.teachers, class_name=pupil_class
            )
            logins = [*token_logins, *school.pupils, *school.teachers]
            school.tokens, school.user_ids = await issue_tokens(session, logins)
    finally:
        await engine.dispose()
    return school


async def analyze(school: School) -> None:
    """PostgreSQL: ``ANALYZE`` the freshly seeded database, as its autovacuum would soon after
    a bulk load, so that the planner has statistics (without them it takes, say, the school's
    index over the primary key); nothing on SQLite, whose planner needs none."""
    if not school.database_url.startswith("postgresql"):
        return
    from sqlalchemy import text

    from eschool.db import create_engine

    engine = create_engine(school.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    finally:
        await engine.dispose()


async def add_people(
    session: Any, *, pupils: Sequence[str], teachers: Sequence[str], class_name: str
) -> None:
    """Insert pupils (enrolled in ``class_name``) and teachers of the demo school in bulk."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from eschool.models import Enrolment, Role, School, SchoolClass, User
    from eschool.security import hash_password
    from eschool.timeutil import utcnow

    if not pupils and not teachers:
        return
    school = (await session.exec(select(School).order_by(col(School.id)))).first()
    if school is None:
        raise RuntimeError("no school to add people to: seed the demo school first")
    password_hash = hash_password(BENCH_PASSWORD)
    now = utcnow()
    rows = [
        {
            "school_id": school.id,
            "login": login,
            "name": f"Bench {role.value.title()} {login.rsplit('.', 1)[-1]}",
            "role": role.value,
            "email": None,
            "password_hash": password_hash,
            "active": True,
            "lang": None,
            "created_at": now,
            "password_changed_at": now,
        }
        for logins, role in ((pupils, Role.pupil), (teachers, Role.teacher))
        for login in logins
    ]
    for start in range(0, len(rows), 2_000):
        await (await session.connection()).execute(insert(User), rows[start : start + 2_000])
    if pupils:
        school_class = (
            await session.exec(
                select(SchoolClass).where(
                    SchoolClass.school_id == school.id, SchoolClass.name == class_name
                )
            )
        ).first()
        if school_class is None:
            raise RuntimeError(f"the school has no class {class_name}")
        ids = (await session.exec(select(User.id).where(col(User.login).in_(pupils)))).all()
        enrolments = [
            {"class_id": school_class.id, "pupil_id": pupil_id, "enrolled_at": now}
            for pupil_id in ids
        ]
        for start in range(0, len(enrolments), 2_000):
            await (await session.connection()).execute(
                insert(Enrolment), enrolments[start : start + 2_000]
            )
    await session.commit()


async def issue_tokens(
    session: Any, logins: Sequence[str]
) -> tuple[dict[str, str], dict[str, int]]:
    """Bearer tokens (stored as digests, like the API's) for ``logins``; returns
    ``(login -> token, login -> user id)``."""
    from sqlalchemy import insert
    from sqlmodel import col, select

    from eschool.models import AuthSession, User
    from eschool.security import digest, new_secret
    from eschool.timeutil import utcnow

    wanted = list(dict.fromkeys(logins))
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found = await session.exec(select(User.login, User.id).where(col(User.login).in_(chunk)))
        ids.update({login: user_id for login, user_id in found.all()})
    missing = [login for login in wanted if login not in ids]
    if missing:
        raise RuntimeError(f"no such users: {missing[:5]}")
    now = utcnow()
    tokens = {login: new_secret() for login in wanted}
    rows = [
        {
            "id": digest(tokens[login]),
            "user_id": ids[login],
            "kind": "token",
            "csrf_token": new_secret(24),
            "label": "bench",
            "created_at": now,
            "expires_at": now + timedelta(days=2),
            "revoked_at": None,
        }
        for login in wanted
    ]
    for start in range(0, len(rows), 2_000):
        await (await session.connection()).execute(insert(AuthSession), rows[start : start + 2_000])
    await session.commit()
    return tokens, ids
