"""A connection's outbox: bounded, closed after what is queued, watched without a task; frames
straight to the socket while it keeps up."""

from __future__ import annotations

import asyncio

from websockets.frames import Frame, Opcode

from live.outbox import Connection
from live.room import Actor
from live.ws_writes import text_frame

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


async def test_frames_go_straight_to_the_socket_until_it_cannot_take_one() -> None:
    connection = Connection("room", ANNA, max_pending=2)
    written: list[str] = []
    writable = True

    def write(frame: str, soon: bool) -> bool:
        if writable:
            written.append(frame)
        return writable

    connection.writer = write
    assert connection.deliver("one") and connection.pending == 0
    writable = False  # the socket is busy: the frame waits in the outbox
    assert connection.deliver("two")
    writable = True  # writable again, but "two" is still queued: "three" goes after it
    assert connection.deliver("three")
    assert written == ["one"] and connection.take_queued() == ["two", "three"]
    writable = False
    assert connection.deliver("a") and connection.deliver("b")
    assert not connection.deliver("c") and connection.overflowed  # still bounded


def test_a_text_frame_is_encoded_as_the_websockets_library_does() -> None:
    for size in (0, 125, 126, 65_535, 65_536):
        text = "é" * (size // 2) + "x" * (size % 2)
        frame = Frame(Opcode.TEXT, text.encode())
        assert text_frame(text) == frame.serialize(mask=False, extensions=[])


async def test_only_a_frame_that_waits_in_the_outbox_is_announced() -> None:
    connection = Connection("room", ANNA, max_pending=4)
    writable = True
    announced: list[int] = []
    connection.writer = lambda frame, soon: writable
    connection.on_queued = lambda: announced.append(connection.pending)
    assert connection.deliver("straight") and announced == []  # written: nothing to send
    writable = False
    assert connection.deliver("one") and connection.deliver("two")
    assert announced == [1, 2] and connection.take_queued() == ["one", "two"]
    connection.close("kicked")
    assert not connection.deliver("late") and announced == [1, 2]
