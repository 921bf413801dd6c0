"""A connection's outbox: bounded, closed after what is queued, watched without a task."""

from __future__ import annotations

import asyncio

from live.outbox import Connection
from live.room import Actor

ANNA = Actor(101, "pupil", "Pupilname Anna")


async def test_frames_queued_before_the_close_are_still_read_then_the_end() -> None:
    connection = Connection("room", ANNA, max_pending=4)
    reader = asyncio.create_task(connection.receive())
    await asyncio.sleep(0)  # the reader waits on an empty outbox
    assert connection.deliver("one")
    assert await asyncio.wait_for(reader, 5) == "one"
    connection.deliver("two")
    connection.deliver("three")
    connection.close("kicked")
    assert not connection.deliver("four")  # nothing after the close
    assert [await connection.receive(), *connection.take_queued()] == ["two", "three"]
    assert await connection.receive() is None
    assert await asyncio.wait_for(connection.wait_closed(), 5) == "kicked"


async def test_a_full_outbox_drops_what_it_holds_and_closes_for_a_resync() -> None:
    connection = Connection("room", ANNA, max_pending=2)
    closed: list[str | None] = []
    connection.on_close(lambda: closed.append(connection.close_reason))
    assert connection.deliver("a") and connection.deliver("b")
    assert not connection.deliver("c")
    assert connection.overflowed and closed == ["overflow"]
    assert connection.pending == 0 and await connection.receive() is None
    connection.close("closed")  # once closed, stays as it was closed
    assert closed == ["overflow"] and connection.close_reason == "overflow"


async def test_a_watch_set_after_the_close_is_called_at_once() -> None:
    connection = Connection("room", ANNA)
    connection.close("ended")
    called: list[bool] = []
    connection.on_close(lambda: called.append(True))
    assert called == [True]


async def test_a_cancelled_reader_does_not_break_the_next_one() -> None:
    connection = Connection("room", ANNA)
    first = asyncio.create_task(connection.receive())
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    second = asyncio.create_task(connection.receive())
    await asyncio.sleep(0)
    connection.deliver("hello")
    assert await asyncio.wait_for(second, 5) == "hello"
