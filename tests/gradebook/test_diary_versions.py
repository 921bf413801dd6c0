"""The diary versions each process keeps on PostgreSQL (gradebook.diary_versions): a kept
version is read by no statement, a write made in this process is seen on the next read at
once, one made by another process as its notice arrives, and while the process cannot hear the
notices every request reads (so a change is seen on the next read all the same)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from eschool.settings import Settings
from gradebook.diary_versions import (
    LISTENER_NAME,
    KeptVersions,
    may_change_versions,
)
from tests.gradebook.conftest import Gradebook
from tests.gradebook.test_diary_cache import WRITES, test_a_write_is_seen_on_the_next_read

PATIENCE = 30.0


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.01)


def _statements(app: Starlette) -> list[str]:
    """The statements the app's engine runs from here on (a list that fills)."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", seen)
    return statements


def _version_reads(app: Starlette) -> list[str]:
    """The diary version reads the app's engine runs from here on (a list that fills)."""
    reads: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "journal_revisions" in statement:
            reads.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", seen)
    return reads


async def _elsewhere(app: Starlette, sql: str, *args: object) -> None:
    """Run ``sql`` on a plain asyncpg connection: a writer the app's engines never see, as
    another process's would be."""
    url = make_url(app.state.settings.database_url).set(drivername="postgresql")
    other = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await other.execute(sql, *args)
    finally:
        await other.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The tests' settings, keeping what a process may keep (the other tests read it)."""
    return replace(settings, sign_in_keep_seconds=60.0)


@pytest.fixture
async def kept(app: Starlette) -> KeptVersions:
    """The app's kept versions, once it listens (PostgreSQL only)."""
    versions = app.state.diary_versions
    if versions is None:
        pytest.skip("only PostgreSQL keeps diary versions")
    await _until(lambda: versions.serving, "the versions are heard")
    return versions


class _Week:
    """The parent's reads of the pupil's week holding the gradebook's latest lesson."""

    def __init__(self, client: httpx.AsyncClient, parent: dict, gradebook: Gradebook) -> None:
        self.slot = gradebook.recent_slots(gradebook.math_7a, 1)[0]
        self.path = f"/api/v1/diary/{gradebook.pupil('pupil').id}"
        self.params = {
            "from": self.slot.date.isoformat(),
            "to": (self.slot.date + timedelta(days=6)).isoformat(),
        }
        self.client, self.parent = client, parent

    async def get(self) -> httpx.Response:
        return await self.client.get(self.path, params=self.params, headers=self.parent)

    async def homework(self) -> str:
        answer = await self.get()
        assert answer.status_code == 200
        lessons = [lesson for day in answer.json()["days"] for lesson in day["lessons"]]
        return next(lesson["homework"] for lesson in lessons if lesson["slot_id"] == self.slot.id)


async def test_a_kept_version_reads_nothing_and_a_change_by_another_process_is_heard(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, kept: KeptVersions
) -> None:
    week = _Week(client, await as_user("parent"), gradebook)
    reads = _version_reads(app)
    assert await week.homework() == ""
    assert await week.homework() == ""
    assert len(reads) == 1  # the first request read and kept the version; the second none
    # A kept week's only statement is its line in the access record (besides the sign-in's,
    # unless that is kept too).
    statements = _statements(app)
    assert await week.homework() == ""
    run = [s.split("(")[0].strip() for s in statements if "auth_sessions" not in s]
    assert run == ["INSERT INTO privacy_access_log"]
    await _elsewhere(app, "UPDATE slots SET homework = '№ 888' WHERE id = $1", week.slot.id)
    await _until(lambda: len(kept) == 0, "the notice drops the kept version")
    assert await week.homework() == "№ 888"
    # A guardianship taken away elsewhere: the parent may read the diary no more.
    await _elsewhere(app, "DELETE FROM guardianships")
    await _until(lambda: len(kept) == 0, "the notice drops the kept version")
    assert (await week.get()).status_code == 404


async def test_a_write_in_this_process_is_seen_at_once(
    app: Starlette,
    client: httpx.AsyncClient,
    as_user,
    gradebook: Gradebook,
    kept: KeptVersions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    week = _Week(client, await as_user("parent"), gradebook)
    teacher = await as_user("teacher")
    assert await week.homework() == ""
    assert len(kept) == 1
    # No notice is waited for: the write drops what was kept as it runs, and nothing is kept
    # until it has surely committed.
    monkeypatch.setattr(kept._listener, "_heard", lambda *_args: None)
    patched = await client.patch(
        f"/api/v1/slots/{week.slot.id}", json={"homework": "№ 777"}, headers=teacher
    )
    assert patched.status_code == 200
    assert await week.homework() == "№ 777"
    assert len(kept) == 0  # read, not kept: the write is held
    body = {"pupil_id": gradebook.pupil("pupil").id, "slot_id": week.slot.id, "value": 5}
    assert (await client.post("/api/v1/marks", json=body, headers=teacher)).status_code == 201
    lessons = [lesson for day in (await week.get()).json()["days"] for lesson in day["lessons"]]
    marks = next(lesson["marks"] for lesson in lessons if lesson["slot_id"] == week.slot.id)
    assert [mark["value"] for mark in marks] == ["5"]


async def test_every_request_reads_while_the_notices_cannot_be_heard(
    app: Starlette,
    client: httpx.AsyncClient,
    as_user,
    gradebook: Gradebook,
    kept: KeptVersions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    week = _Week(client, await as_user("parent"), gradebook)
    assert await week.homework() == ""
    assert len(kept) == 1
    # The listening connection is cut, and cannot be made again until the test allows it.
    allowed = asyncio.Event()
    real_connect = kept._listener.connect

    async def connect_when_allowed() -> object:
        if not allowed.is_set():
            raise OSError("the database cannot be reached")
        return await real_connect()

    monkeypatch.setattr(kept._listener, "connect", connect_when_allowed)
    await _elsewhere(
        app,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = $1",
        LISTENER_NAME,
    )
    await _until(lambda: not kept.serving, "the versions know they cannot hear")
    assert len(kept) == 0
    reads = _version_reads(app)
    assert await week.homework() == ""
    # A change elsewhere, unheard, is seen on the very next read.
    await _elsewhere(app, "UPDATE slots SET homework = '№ 999' WHERE id = $1", week.slot.id)
    assert await week.homework() == "№ 999"
    assert len(reads) == 2 and len(kept) == 0  # read every time, nothing kept
    # It listens again by itself once it can, and keeps again.
    allowed.set()
    await _until(lambda: kept.serving, "the versions are heard again")
    assert await week.homework() == "№ 999"
    assert len(kept) == 1


# --- the keeper's own rules -------------------------------------------------------------------


def _serving() -> KeptVersions:
    versions = KeptVersions("postgresql://unused", max_age=60.0, size=2)
    versions._listener.listening = True  # as when its connection listens
    return versions


def test_a_version_read_across_a_change_is_not_kept() -> None:
    versions = _serving()
    since = versions.generation()
    versions.heard("eschool_journal", "1")  # a change arrives while the version is read
    versions.keep(("parent", 1, 1, 2), "v", school_id=1, since=since)
    assert versions.get(("parent", 1, 1, 2)) is None
    versions.keep(("parent", 1, 1, 2), "v", school_id=1, since=versions.generation())
    assert versions.get(("parent", 1, 1, 2)) == "v"


def test_kept_versions_are_dropped_by_school_by_person_by_age_by_write_and_by_size() -> None:
    versions = _serving()
    one, two = ("parent", 1, 1, 2), ("parent", 3, 2, 4)
    versions.keep(one, "a", school_id=1, since=versions.generation())
    versions.keep(two, "b", school_id=2, since=versions.generation())
    versions.heard("eschool_journal", "1")  # the other school's stays
    assert versions.get(one) is None and versions.get(two) == "b"
    versions.heard("eschool_auth", "3")  # a person changed: anything may have
    assert versions.get(two) is None
    versions.keep(one, "a", school_id=1, since=versions.generation())
    versions.max_age = 0.0
    assert versions.get(one) is None  # too old
    versions.max_age = 60.0
    versions.keep(one, "a", school_id=1, since=versions.generation())
    versions.wrote()  # this process writes: dropped, and nothing kept while it is held
    assert versions.get(one) is None
    versions.keep(one, "a", school_id=1, since=versions.generation())
    assert len(versions) == 0
    versions.hold = 0.0
    versions.wrote()
    for n in range(3):
        versions.keep(("parent", n, 1, 2), n, school_id=1, since=versions.generation())
    assert len(versions) == 2 and versions.get(("parent", 0, 1, 2)) is None


def test_which_statements_may_change_a_version() -> None:
    assert may_change_versions("INSERT INTO marks (slot_id) VALUES ($1)")
    assert may_change_versions('UPDATE "slots" SET homework = $1')
    assert may_change_versions("DELETE FROM guardianships WHERE id = $1")
    assert may_change_versions("TRUNCATE marks")
    assert may_change_versions("WITH gone AS (DELETE FROM marks) SELECT 1")
    assert not may_change_versions("INSERT INTO privacy_access_log (school_id) VALUES ($1)")
    assert not may_change_versions("UPDATE auth_sessions SET last_seen_at = $1")
    # A live lesson's log goes on all day: it must not keep every version from being kept.
    assert not may_change_versions("INSERT INTO live_events (session_id, seq) VALUES ($1, $2)")
    assert not may_change_versions("SELECT * FROM marks")


@pytest.mark.parametrize("kind", sorted(WRITES))
async def test_each_write_through_the_api_is_seen_on_the_next_read(
    client: httpx.AsyncClient,
    as_user,
    gradebook: Gradebook,
    kept: KeptVersions,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The diary cache's own test, with the versions kept (read twice before the write: the
    # second from what was kept).
    await test_a_write_is_seen_on_the_next_read(client, as_user, gradebook, kind, monkeypatch)


async def test_a_kept_calendar_link_reads_nothing_and_its_revocation_is_seen(
    app: Starlette,
    client: httpx.AsyncClient,
    as_user,
    gradebook: Gradebook,
    kept: KeptVersions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = await as_user("parent")
    feed = f"/api/v1/diary/{gradebook.pupil('pupil').id}/feed"
    made = await client.post(feed, headers=parent)
    assert made.status_code == 201
    link = "/feeds/" + made.json()["url"].rsplit("/feeds/", 1)[1]
    await _until(lambda: kept.serving, "the link's write is no longer held")
    assert (await client.get(link)).status_code == 200
    statements = _statements(app)
    assert (await client.get(link)).status_code == 200
    assert statements == []  # the link's owner and the version were kept
    # Revoked by another process: gone once the notice arrives.
    await _elsewhere(app, "UPDATE diary_feeds SET revoked_at = now()")
    await _until(lambda: len(kept) == 0, "the notice drops what was kept")
    assert (await client.get(link)).status_code == 404
    # A new link revoked through the API here: gone at once.
    made = await client.post(feed, headers=parent)
    link = "/feeds/" + made.json()["url"].rsplit("/feeds/", 1)[1]
    await _until(lambda: kept.serving, "the link's write is no longer held")
    assert (await client.get(link)).status_code == 200
    assert (await client.get(link)).status_code == 200
    monkeypatch.setattr(kept._listener, "_heard", lambda *_args: None)  # no notice heard
    assert (await client.delete(feed, headers=parent)).status_code == 204
    assert (await client.get(link)).status_code == 404
