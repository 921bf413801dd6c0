"""A storm of joins to a lesson this process has not read yet reads it once
(live.admission): the first join reads it, those arriving meanwhile take its copy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from eschool.db import create_engine, create_sessionmaker
from eschool.errors import NotFound
from eschool.settings import Settings
from live.admission import admission_forget, session_for_socket
from live.queries import code_normalize
from tests.live.ws_support import ThreadServer, World, start_lesson


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[ThreadServer]:
    running = ThreadServer(settings).start()
    yield running
    running.stop()


async def test_joins_arriving_together_read_a_new_lesson_once(
    server: ThreadServer, settings: Settings, world: World
) -> None:
    started = await start_lesson(server.base_url, world)
    code = code_normalize(str(started["code"]))
    assert code is not None
    engine = create_engine(settings.database_url)
    reads: list[str] = []

    def heard(*args: Any) -> None:
        if "live_sessions" in str(args[2]):
            reads.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", heard)
    maker = create_sessionmaker(engine)

    async def join(school_id: int | None) -> Any:
        async with maker() as session:
            return await session_for_socket(session, code=code, school_id=school_id)

    try:
        school_id = (await join(None)).school_id
        admission_forget(code)  # as if this process had never read it
        reads.clear()
        found = await asyncio.gather(*(join(school_id) for _ in range(8)))
        assert len(reads) == 1
        assert all(live is found[0] and live.code == code for live in found)
        with pytest.raises(NotFound):  # another school's join is still refused
            await join(school_id + 1)
    finally:
        admission_forget(code)
        await engine.dispose()
