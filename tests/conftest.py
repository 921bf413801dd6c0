"""Fixtures shared by the whole suite.

One fixture chooses the database: every test that uses ``app`` runs on SQLite and, when
``ESCHOOL_TEST_POSTGRES_URL`` is set, on PostgreSQL too (a scratch database per run,
emptied between tests).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from eschool.app import create_app
from eschool.db import create_engine, create_sessionmaker
from eschool.migrate import migrate
from eschool.seed import DemoPeople, seed_people
from eschool.settings import Settings

POSTGRES_URL = os.environ.get("ESCHOOL_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("ESCHOOL_TEST_REDIS_URL")
TODAY = date.today()


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say up front which service-backed variants run and why the others are skipped."""
    return [
        "PostgreSQL variant: "
        + ("on" if POSTGRES_URL else "skipped (set ESCHOOL_TEST_POSTGRES_URL to run it)"),
        "Redis broker tests: "
        + ("on" if REDIS_URL else "skipped (set ESCHOOL_TEST_REDIS_URL to run them)"),
    ]


def _run(coro):
    """Run a coroutine to the end on its own loop in a worker thread.

    Sync fixtures may be set up while a test's event loop is running, where
    ``asyncio.run`` is not allowed; engines made here never touch the test's loop.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "eschool.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate(engine)
        await engine.dispose()

    _run(build())
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A scratch PostgreSQL database for this run, migrated once, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("ESCHOOL_TEST_POSTGRES_URL not set: PostgreSQL variant needs a server")
    base = make_url(POSTGRES_URL)
    name = f"eschool_test_{uuid.uuid4().hex[:10]}"
    admin_url = base.render_as_string(hide_password=False)

    async def create() -> None:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()
        engine = create_engine(base.set(database=name).render_as_string(hide_password=False))
        await migrate(engine)
        await engine.dispose()

    async def drop() -> None:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    _run(create())
    yield base.set(database=name).render_as_string(hide_password=False)
    _run(drop())


async def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        rows = await conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        )
        tables = ", ".join(f'"{row[0]}"' for row in rows)
        if tables:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """The database of one test: a copy of the migrated SQLite file, or emptied PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "eschool.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    _run(_empty_postgres(url))
    yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a test app: its own data dir and database, the memory broker."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        broker_url="memory://",
        secret_key="test-secret-key",
        login_max_failures=5,
        # Every request reads who is signed in, so statement counts do not depend on what a
        # process kept (tests/eschool/test_auth_cache.py keeps them).
        sign_in_keep_seconds=0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    """The application with its lifespan running (engine, broker, hub)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def people(app: Starlette) -> DemoPeople:
    """The people of the demo school (no lessons or marks): password ``demo`` for all."""
    async with app.state.sessionmaker() as session:
        demo, _created = await seed_people(session, today=TODAY)
    return demo


async def token_for(client: httpx.AsyncClient, login: str, password: str = "demo") -> str:
    """Sign in through the API and return the bearer token."""
    response = await client.post("/api/v1/auth/token", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def as_user(client: httpx.AsyncClient, people: DemoPeople):
    """``await as_user("teacher")`` → headers with that demo user's bearer token."""
    cache: dict[str, dict[str, str]] = {}

    async def headers(login: str) -> dict[str, str]:
        if login not in cache:
            cache[login] = {"Authorization": f"Bearer {await token_for(client, login)}"}
        return cache[login]

    return headers


@pytest.fixture
def sessionmaker(app: Starlette):
    """Open database sessions on the test app's engine."""
    return app.state.sessionmaker


__all__ = ["REDIS_URL", "create_sessionmaker", "token_for"]


# --- browser tests ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``eschool demo`` server (SQLite, the whole demo school) shared by browser tests."""
    from tests.browser import demo_server, require_chromium

    require_chromium()
    with demo_server(tmp_path_factory.mktemp("demo-server")) as base_url:
        yield base_url


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which the asyncio tests must never meet."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright (one browser per test module)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder under ``test-output/``."""
    from tests.browser import output_dir

    return output_dir(request.node.name)
