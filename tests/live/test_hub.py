import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from eschool.broker import Broker, BrokerError
from eschool.broker.memory import MemoryBroker
from live.hub import Connection, Hub
from live.protocol import ClientMessage, parse_client_message
from live.room import Actor, RoomError, RoomState, new_room

# Waiting for a frame that should arrive; a bound only so a broken hub fails, not hangs.
ARRIVAL = 5.0
ROOM = "room-1"
BLOCKS: list[dict[str, Any]] = [
    {"id": "intro", "kind": "text", "text": "Hello"},
    {
        "id": "q1",
        "kind": "quiz",
        "questions": [
            {"kind": "single", "prompt": "?", "options": ["a", "b"], "answer": 1, "points": 1}
        ],
    },
    {"id": "notes", "kind": "text", "text": "Notes"},
]
TEACHER = Actor(1, "teacher", "Teacher Tamara")
ANNA = Actor(101, "pupil", "Pupilname Anna")
BORIS = Actor(102, "pupil", "Pupilname Boris")
VISITOR = Actor("obs-1", "observer", "Observer Olga")
_ids = iter(range(10**9))


def command(
    type_: str, data: dict[str, Any] | None = None, id_: str | None = None
) -> ClientMessage:
    envelope: dict[str, Any] = {"type": type_, "id": id_ or f"m{next(_ids)}"}
    if data is not None:
        envelope["data"] = data
    return parse_client_message(json.dumps(envelope))


class Loader:
    """The injected room loader, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, room_id: str) -> RoomState:
        self.calls.append(room_id)
        await asyncio.sleep(0)  # a database would make the caller wait
        return new_room(BLOCKS, title="Lesson", roster=(ANNA, BORIS))


@pytest.fixture
def loader() -> Loader:
    return Loader()


@pytest.fixture
async def make_hub(loader: Loader) -> AsyncIterator[Callable[..., Hub]]:
    hubs: list[Hub] = []

    def make(broker: Broker | None = None, **options: Any) -> Hub:
        hub = Hub(broker or MemoryBroker(), load_room=loader, **options)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        await hub.close()


@pytest.fixture
def hub(make_hub: Callable[..., Hub]) -> Hub:
    return make_hub()


def decoded(frames: list[str]) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in frames]


def drain(connection: Connection) -> list[dict[str, Any]]:
    """The frames queued right now (delivery to local connections does not wait)."""
    return [json.loads(frame) for frame in connection.take_queued()]


async def wait_for_frame(
    connection: Connection, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    while True:
        frame = await asyncio.wait_for(connection.receive(), ARRIVAL)
        assert frame is not None, f"closed: {connection.close_reason}"
        parsed = json.loads(frame)
        if wanted(parsed):
            return parsed


def of_type(type_: str) -> Callable[[dict[str, Any]], bool]:
    return lambda frame: frame["type"] == type_


# --- joining -----------------------------------------------------------------------------------


async def test_joining_gives_a_welcome_with_the_state_and_seq(hub: Hub) -> None:
    connection, frames = await hub.join(ROOM, ANNA)
    (welcome,) = decoded(frames)
    assert welcome["type"] == "welcome"
    assert welcome["data"]["you"] == {"id": 101, "role": "pupil", "name": "Pupilname Anna"}
    assert [slide["id"] for slide in welcome["data"]["state"]["slides"]] == ["intro", "q1", "notes"]
    assert "answer" not in welcome["data"]["state"]["slides"][1]["questions"][0]
    assert welcome["seq"] == welcome["data"]["seq"] == 0
    # Her own arrival follows as the first event.
    (joined,) = drain(connection)
    assert (joined["type"], joined["seq"]) == ("presence.join", 1)


async def test_others_hear_who_joins_as_they_may_see_it(hub: Hub) -> None:
    teacher, _ = await hub.join(ROOM, TEACHER)
    visitor, _ = await hub.join(ROOM, VISITOR)
    drain(teacher)
    await hub.join(ROOM, ANNA)
    (to_teacher,) = drain(teacher)
    assert to_teacher["data"]["person"] == ANNA.as_dict()
    (to_visitor,) = [frame for frame in drain(visitor) if frame["seq"] == to_teacher["seq"]]
    assert to_visitor["data"] == {
        "person": {"role": "pupil"},
        "here": True,
        "pupils": 1,
        "observers": 1,
    }


async def test_the_room_is_loaded_once_however_many_join_at_once(hub: Hub, loader: Loader) -> None:
    pupils = [Actor(200 + n, "pupil", f"Pupil {n}") for n in range(20)]
    await asyncio.gather(*(hub.join(ROOM, pupil) for pupil in pupils))
    assert loader.calls == [ROOM]
    replica = hub.replica(ROOM)
    assert replica is not None and replica.present_count("pupil") == 20


async def test_a_locked_room_turns_newcomers_away(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    anna, _ = await hub.join(ROOM, ANNA)
    await hub.submit(ROOM, TEACHER, command("room.lock", {"on": True}))
    with pytest.raises(RoomError) as refused:
        await hub.join(ROOM, BORIS)
    assert refused.value.code == "locked"
    await hub.leave(anna)
    await hub.join(ROOM, ANNA)  # she was here before


# --- commands ----------------------------------------------------------------------------------


async def test_a_command_reaches_every_connection(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    pupils = [Actor(300 + n, "pupil", f"Pupil {n}") for n in range(60)]
    connections = [(await hub.join(ROOM, pupil))[0] for pupil in pupils]
    for connection in connections:
        drain(connection)
    seq = await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 2}))
    for connection in connections:
        assert drain(connection) == [
            {"v": 1, "type": "slide.goto", "seq": seq, "data": {"index": 2}}
        ]


async def test_a_slow_client_is_cut_off_without_holding_up_the_others(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub(outbox_size=4)
    await hub.join(ROOM, TEACHER)
    slow, _ = await hub.join(ROOM, ANNA)
    fast, _ = await hub.join(ROOM, BORIS)
    drain(fast)
    received = []
    for number in range(10):
        await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": (number + 1) % 3}))
        received += drain(fast)
    assert [frame["data"]["index"] for frame in received] == [(n + 1) % 3 for n in range(10)]
    assert slow.overflowed and slow.close_reason == "overflow"
    assert await slow.receive() is None  # nothing stale is left for it to send
    assert not fast.closed


async def test_reconnecting_with_since_gets_exactly_what_was_missed(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    boris, _ = await hub.join(ROOM, BORIS)
    anna, _ = await hub.join(ROOM, ANNA)
    last_seen = drain(anna)[-1]["seq"]
    drain(boris)
    await hub.leave(anna)
    await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 1}))
    await hub.submit(ROOM, TEACHER, command("chat.post", {"text": "while you were away"}))
    await hub.submit(ROOM, TEACHER, command("nav.free", {"on": True}))
    stayed = drain(boris)
    anna, frames = await hub.join(ROOM, ANNA, since=last_seen)
    missed = decoded(frames)
    assert [(f["type"], f["seq"]) for f in missed] == [(f["type"], f["seq"]) for f in stayed]
    assert [f["type"] for f in missed] == ["presence.leave", "slide.goto", "chat.post", "nav.free"]
    assert missed[1:] == stayed[1:]
    assert [f["type"] for f in drain(anna)] == ["presence.join"]


async def test_events_that_change_nothing_reach_no_one(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    anna, _ = await hub.join(ROOM, ANNA)
    boris, _ = await hub.join(ROOM, BORIS)
    since = drain(boris)[-1]["seq"]
    drain(anna)
    # Events the reducer ignores: a hand raised twice (two tabs deciding at once), a pupil
    # moving the slide (a log written by something other than decide).
    await hub.submit(ROOM, ANNA, command("hand.raise"))
    await hub.emit(ROOM, "hand.raise", actor=ANNA)
    await hub.emit(ROOM, "slide.goto", {"index": 2}, actor=ANNA)
    raised = drain(anna)
    assert [f["type"] for f in raised] == ["hand.raise"]
    seq = await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 1}))
    assert [(f["type"], f["seq"]) for f in drain(anna)] == [("slide.goto", seq)]
    _, frames = await hub.join(ROOM, BORIS, since=since)
    expected = [("hand.raise", raised[0]["seq"]), ("slide.goto", seq)]
    assert [(f["type"], f["seq"]) for f in decoded(frames)] == expected


async def test_a_client_that_is_up_to_date_gets_nothing_to_catch_up(hub: Hub) -> None:
    anna, _ = await hub.join(ROOM, ANNA)
    seq = drain(anna)[-1]["seq"]
    _, frames = await hub.join(ROOM, ANNA, since=seq)
    assert frames == []


@pytest.mark.parametrize("since", [1, 10_000, -1])
async def test_a_since_too_old_or_unknown_gets_a_fresh_welcome(
    make_hub: Callable[..., Hub], since: int
) -> None:
    hub = make_hub(replay_limit=3)
    await hub.join(ROOM, TEACHER)
    for index in (1, 2, 0, 1, 2):
        await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": index}))
    _, frames = await hub.join(ROOM, ANNA, since=since)
    (welcome,) = decoded(frames)
    assert welcome["type"] == "welcome"
    assert welcome["data"]["state"]["slide"] == 2


async def test_a_repeated_message_is_applied_once(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    await hub.join(ROOM, ANNA)
    await hub.submit(ROOM, TEACHER, command("quiz.open", {"block_id": "q1"}))
    answer = command("quiz.answer", {"block_id": "q1", "answers": [1]}, id_="answer-1")
    first = await hub.submit(ROOM, ANNA, answer)
    await hub.submit(ROOM, TEACHER, command("quiz.close"))
    # The retry after the quiz closed is still acknowledged with the original seq.
    assert await hub.submit(ROOM, ANNA, answer) == first
    log = await hub.broker.read(ROOM, 0)
    assert [event["type"] for event in log].count("quiz.answer") == 1


async def test_a_refused_command_raises_and_records_nothing(hub: Hub) -> None:
    await hub.join(ROOM, VISITOR)
    before = await hub.broker.bounds(ROOM)
    with pytest.raises(RoomError) as refused:
        await hub.submit(ROOM, VISITOR, command("hand.raise"))
    assert refused.value.code == "forbidden"
    assert await hub.broker.bounds(ROOM) == before


async def test_ping_is_acknowledged_with_the_current_seq(hub: Hub) -> None:
    await hub.join(ROOM, ANNA)
    before = await hub.broker.bounds(ROOM)
    assert await hub.submit(ROOM, VISITOR, command("ping")) == before.last
    assert await hub.broker.bounds(ROOM) == before


async def test_events_carry_the_time_they_were_recorded(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub(clock=lambda: 1_700_000_000.0)
    await hub.join(ROOM, TEACHER)
    await hub.submit(ROOM, TEACHER, command("chat.post", {"text": "hi"}))
    replica = hub.replica(ROOM)
    assert replica is not None and replica.chat[0].at == 1_700_000_000.0


async def test_observers_never_receive_a_pupils_name_or_answer(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    visitor, _ = await hub.join(ROOM, VISITOR)
    await hub.join(ROOM, ANNA)
    await hub.submit(ROOM, TEACHER, command("quiz.open", {"block_id": "q1"}))
    await hub.submit(ROOM, ANNA, command("quiz.answer", {"block_id": "q1", "answers": [0]}))
    await hub.submit(ROOM, ANNA, command("hand.raise"))
    await hub.submit(ROOM, ANNA, command("chat.post", {"text": "a question"}))
    await hub.submit(ROOM, TEACHER, command("board.grant", {"user_id": ANNA.id}))
    received = drain(visitor)
    assert {frame["type"] for frame in received} >= {"quiz.progress", "hand.raise", "chat.post"}
    assert "quiz.answer" not in {frame["type"] for frame in received}
    assert ANNA.name not in json.dumps(received, ensure_ascii=False)
    _, again = await hub.join(ROOM, VISITOR)
    assert ANNA.name not in again[0]


# --- leaving, removal, the end -----------------------------------------------------------------


async def test_a_removed_pupil_is_cut_off_and_kept_out(hub: Hub) -> None:
    await hub.join(ROOM, TEACHER)
    anna, _ = await hub.join(ROOM, ANNA)
    drain(anna)
    await hub.submit(ROOM, TEACHER, command("room.kick", {"user_id": ANNA.id}))
    (removed,) = [json.loads(frame) async for frame in anna]
    assert removed["type"] == "room.kick"
    assert anna.close_reason == "kicked"
    with pytest.raises(RoomError) as refused:
        await hub.join(ROOM, ANNA)
    assert refused.value.code == "forbidden"


async def test_the_end_of_the_lesson_closes_every_connection(hub: Hub) -> None:
    teacher, _ = await hub.join(ROOM, TEACHER)
    anna, _ = await hub.join(ROOM, ANNA)
    drain(anna)
    ended = await hub.emit(ROOM, "lesson.end", {"reason": "finished"}, actor=TEACHER)
    frames = [json.loads(frame) async for frame in anna]
    assert frames == [
        {"v": 1, "type": "lesson.end", "seq": ended["seq"], "data": {"reason": "finished"}}
    ]
    assert anna.close_reason == teacher.close_reason == "ended"
    with pytest.raises(RoomError) as refused:
        await hub.join(ROOM, BORIS)
    assert refused.value.code == "ended"


async def test_an_idle_room_is_let_go_and_rebuilt_from_the_log(hub: Hub, loader: Loader) -> None:
    teacher, _ = await hub.join(ROOM, TEACHER)
    await hub.submit(ROOM, TEACHER, command("slide.goto", {"index": 2}))
    await hub.leave(teacher)
    assert hub.replica(ROOM) is None
    _, frames = await hub.join(ROOM, TEACHER)
    (welcome,) = decoded(frames)
    assert welcome["data"]["state"]["slide"] == 2
    assert loader.calls == [ROOM, ROOM]


async def test_closing_the_hub_closes_connections(hub: Hub) -> None:
    anna, _ = await hub.join(ROOM, ANNA)
    await hub.close()
    assert anna.close_reason == "shutdown"
    assert hub.replica(ROOM) is None


class BreakingBroker(MemoryBroker):
    """A broker whose room streams fail after the first event."""

    def subscribe_batches(self, room: str, *, after_seq: int | None = None) -> Any:
        inner = super().subscribe_batches(room, after_seq=after_seq)

        class Breaking:
            async def __aenter__(self) -> AsyncIterator[list[dict[str, Any]]]:
                batches = await inner.__aenter__()

                async def failing() -> AsyncIterator[list[dict[str, Any]]]:
                    async for batch in batches:
                        yield batch
                        raise BrokerError("stream lost")

                return failing()

            async def __aexit__(self, *exc: object) -> None:
                await inner.__aexit__(*exc)

        return Breaking()


async def test_a_lost_stream_cuts_clients_off_so_they_resync(
    make_hub: Callable[..., Hub], caplog: pytest.LogCaptureFixture
) -> None:
    broker = BreakingBroker()
    hub = make_hub(broker)
    anna, _ = await hub.join(ROOM, ANNA)
    await broker.append(
        ROOM, {"type": "slide.goto", "data": {"index": 1}, "actor": TEACHER.as_dict()}
    )
    while await asyncio.wait_for(anna.receive(), ARRIVAL) is not None:
        pass
    assert anna.close_reason == "resync"
    assert hub.replica(ROOM) is None
    assert "lost its event stream" in caplog.text


async def test_a_connection_yields_its_frames_then_ends() -> None:
    connection = Connection(ROOM, ANNA, max_pending=2)
    assert connection.deliver("one") and connection.deliver("two")
    connection.close("closed")
    assert not connection.deliver("three")
    assert connection.take_queued() == ["one", "two"]
    assert connection.take_queued() == []
    assert await connection.receive() is None
    assert await connection.receive() is None


# --- several processes -------------------------------------------------------------------------


async def test_two_processes_converge_on_one_room(
    make_hub: Callable[..., Hub], shared_brokers: tuple[Broker, Broker]
) -> None:
    here, there = make_hub(shared_brokers[0]), make_hub(shared_brokers[1])
    teacher, _ = await here.join(ROOM, TEACHER)
    anna, _ = await there.join(ROOM, ANNA)
    await here.submit(ROOM, TEACHER, command("quiz.open", {"block_id": "q1"}))
    await wait_for_frame(anna, of_type("quiz.open"))
    seq = await there.submit(ROOM, ANNA, command("quiz.answer", {"block_id": "q1", "answers": [1]}))
    answered = await wait_for_frame(teacher, of_type("quiz.answer"))
    assert answered["seq"] == seq
    assert answered["data"]["person"] == ANNA.as_dict()
    assert answered["data"]["score"] == 1.0
    await here.submit(ROOM, TEACHER, command("quiz.close"))
    await wait_for_frame(anna, of_type("quiz.close"))
    assert here.replica(ROOM) == there.replica(ROOM)


async def test_a_command_acked_elsewhere_counts_before_this_replica_has_it(
    make_hub: Callable[..., Hub], shared_brokers: tuple[Broker, Broker]
) -> None:
    here, there = make_hub(shared_brokers[0]), make_hub(shared_brokers[1])
    await here.join(ROOM, TEACHER)
    await there.join(ROOM, ANNA)
    opened = await here.submit(ROOM, TEACHER, command("quiz.open", {"block_id": "q1"}))
    # Answered at once through the other process, before its replica follows the log there.
    answered = await there.submit(
        ROOM, ANNA, command("quiz.answer", {"block_id": "q1", "answers": [1]})
    )
    assert answered > opened
    # A refusal that stands after catching up is still a refusal.
    with pytest.raises(RoomError):
        await there.submit(ROOM, ANNA, command("quiz.open", {"block_id": "q1"}))


async def test_a_retry_through_another_process_is_applied_once(
    make_hub: Callable[..., Hub], shared_brokers: tuple[Broker, Broker]
) -> None:
    here, there = make_hub(shared_brokers[0]), make_hub(shared_brokers[1])
    await here.join(ROOM, ANNA)
    await there.join(ROOM, ANNA)
    raised = command("hand.raise", id_="hand-1")
    first = await here.submit(ROOM, ANNA, raised)
    assert await there.submit(ROOM, ANNA, raised) == first
    log = await shared_brokers[0].read(ROOM, 0)
    assert [event["type"] for event in log].count("hand.raise") == 1


async def test_the_welcome_tells_the_servers_time(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub(clock=lambda: 1_700_000_123.25)
    _connection, frames = await hub.join(ROOM, ANNA)
    (welcome,) = decoded(frames)
    assert welcome["data"]["now"] == 1_700_000_123.25


async def test_events_read_together_reach_each_socket_together(
    make_hub: Callable[..., Hub], shared_brokers: tuple[Broker, Broker]
) -> None:
    here = make_hub(shared_brokers[0])
    anna, _ = await here.join(ROOM, ANNA)
    written: list[tuple[str, bool]] = []

    def writer(frame: str, soon: bool) -> bool:
        written.append((json.loads(frame)["type"], soon))
        return True

    anna.take_queued()  # (her own arrival)
    anna.writer = writer
    # Appended by another process in one go: the follower reads them together, and hands
    # them to the socket to be written in one go (none of them at once on its own).
    slides = [
        {"type": "slide.goto", "data": {"index": i}, "actor": TEACHER.as_dict()}
        for i in (1, 2, 0, 1)
    ]
    await asyncio.gather(*(shared_brokers[1].append(ROOM, event) for event in slides[:3]))
    async with asyncio.timeout(ARRIVAL):
        while len(written) < 3:
            await asyncio.sleep(0.01)
    assert written == [("slide.goto", True)] * 3
    await shared_brokers[1].append(ROOM, slides[3])
    async with asyncio.timeout(ARRIVAL):
        while len(written) < 4:
            await asyncio.sleep(0.01)
    assert written[3] == ("slide.goto", False)  # a lone event: at once
