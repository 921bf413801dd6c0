import json

import pytest

from live.protocol import (
    CLIENT_MESSAGE_TYPES,
    MAX_CHAT_TEXT,
    MAX_FRAME_BYTES,
    MAX_MESSAGE_ID_LENGTH,
    MAX_STROKE_POINTS,
    BoardStroke,
    ChatPost,
    HandLower,
    Ping,
    ProtocolError,
    QuizAnswer,
    QuizOpen,
    RoomKick,
    RtcOffer,
    ack_frame,
    error_frame,
    parse_client_message,
    server_frame,
)


def frame(type_: str, data: object = None, *, id_: str = "m1", **extra: object) -> str:
    envelope: dict[str, object] = {"type": type_, "id": id_, **extra}
    if data is not None:
        envelope["data"] = data
    return json.dumps(envelope)


VALID = [
    ("note.add", {"text": "Pupils know the aim", "criterion": "aim", "level": 3}),
    ("slide.goto", {"index": 3}),
    ("pace.set", {"mode": "pupil"}),
    ("pace.set", {"mode": "teacher"}),
    ("pupil.goto", {"index": 2}),
    ("nav.free", {"on": True}),
    ("quiz.open", {"block_id": "b-2"}),
    ("quiz.answer", {"block_id": "b-2", "answers": [1, [0, 2], "Москва", 0.75, None]}),
    ("quiz.close", {}),
    ("quiz.reveal", None),
    ("quiz.timer", {"seconds": 60}),
    ("quiz.timer", {"seconds": None}),
    ("poll.open", {"block_id": "p"}),
    ("poll.vote", {"option": 2}),
    ("poll.close", {}),
    ("board.stroke", {"points": [[0, 0], [0.5, 0.25], [1, 1]], "color": "#1a2B3c", "width": 2}),
    ("board.clear", {}),
    ("board.grant", {"user_id": 7}),
    ("board.grant", {"user_id": None}),
    ("hand.raise", None),
    ("hand.lower", {}),
    ("hand.lower", {"user_id": 7}),
    ("chat.post", {"text": "Здравствуйте!"}),
    ("chat.mode", {"on": False}),
    ("room.lock", {"on": True}),
    ("room.kick", {"user_id": 7}),
    ("room.kick", {"user_id": "obs-1"}),
    ("rtc.offer", {"sdp": "v=0...", "type": "offer"}),
    ("rtc.answer", {"sdp": "v=0...", "type": "answer"}),
    ("rtc.candidate", {"candidate": "candidate:1 1 udp ...", "sdpMid": "0"}),
    ("rtc.state", {"state": "connected"}),
    ("rtc.stop", {"role": "subscribe"}),
    ("rtc.config", None),
    ("rtc.grant", {"user_id": 7}),
    ("rtc.record", {"on": True}),
    ("ping", None),
    # The board and the classroom widgets (tests/live/test_board_room.py has the rest).
    ("board.show", {"chat": True}),
    ("chat.remove", {"seq": 12}),
    ("timer.start", {"seconds": 300}),
    ("timer.start", None),
    ("timer.pause", None),
    ("timer.reset", None),
    ("timer.clear", None),
    ("picker.pick", None),
    ("picker.show", {"on": True}),
    ("picker.clear", None),
]


@pytest.mark.parametrize(("type_", "data"), VALID)
def test_every_command_type_parses_into_its_model(type_: str, data: object) -> None:
    message = parse_client_message(frame(type_, data))
    assert message.type == type_
    assert message.id == "m1"


def test_the_valid_table_covers_every_command_type() -> None:
    assert {type_ for type_, _ in VALID} == CLIENT_MESSAGE_TYPES


def test_fields_arrive_typed() -> None:
    answer = parse_client_message(frame("quiz.answer", {"block_id": "q", "answers": [2, None]}))
    assert isinstance(answer, QuizAnswer)
    assert answer.data.answers == [2, None]
    stroke = parse_client_message(
        frame("board.stroke", {"points": [[0.1, 0.2]], "color": "#000000", "width": 1.5})
    )
    assert isinstance(stroke, BoardStroke)
    assert stroke.data.points == [(0.1, 0.2)]
    lower = parse_client_message(frame("hand.lower"))
    assert isinstance(lower, HandLower) and lower.data.user_id is None
    assert isinstance(parse_client_message(frame("ping")), Ping)


def test_integer_block_ids_are_read_as_text() -> None:
    message = parse_client_message(frame("quiz.open", {"block_id": 12}))
    assert isinstance(message, QuizOpen)
    assert message.data.block_id == "12"


def test_kick_tells_users_from_observers() -> None:
    user = parse_client_message(frame("room.kick", {"user_id": 7}))
    observer = parse_client_message(frame("room.kick", {"user_id": "7"}))
    assert isinstance(user, RoomKick) and user.data.user_id == 7
    assert isinstance(observer, RoomKick) and observer.data.user_id == "7"


def test_chat_text_is_trimmed() -> None:
    message = parse_client_message(frame("chat.post", {"text": "  hello \n"}))
    assert isinstance(message, ChatPost)
    assert message.data.text == "hello"


def test_bytes_are_accepted() -> None:
    assert parse_client_message(frame("ping").encode()).type == "ping"


def code_of(raw: str | bytes) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(raw)
    return caught.value.code


@pytest.mark.parametrize("raw", ["{", "", "not json", b"\xff\xfe"])
def test_malformed_json_is_bad_json(raw: str | bytes) -> None:
    assert code_of(raw) == "bad_json"


def test_unknown_type_is_named() -> None:
    assert code_of(frame("quiz.cheat", {})) == "unknown_type"


INVALID = [
    pytest.param(json.dumps([1, 2]), id="not an object"),
    pytest.param(json.dumps({"id": "m1", "data": {}}), id="no type"),
    pytest.param(json.dumps({"type": "ping"}), id="no id"),
    pytest.param(frame("ping", id_=""), id="empty id"),
    pytest.param(frame("ping", id_="x" * (MAX_MESSAGE_ID_LENGTH + 1)), id="long id"),
    pytest.param(frame("ping", v=1), id="unknown envelope field"),
    pytest.param(frame("slide.goto", {"index": 1, "extra": 2}), id="unknown data field"),
    pytest.param(frame("slide.goto", {"index": -1}), id="negative slide"),
    pytest.param(frame("slide.goto", {"index": "1"}), id="slide index as text"),
    pytest.param(frame("slide.goto"), id="missing data"),
    pytest.param(frame("quiz.close", {"block_id": "q"}), id="data on a no-data command"),
    pytest.param(frame("poll.vote", {"option": True}), id="bool as option"),
    pytest.param(
        frame("board.stroke", {"points": [[1.5, 0]], "color": "#000000", "width": 1}),
        id="point off the board",
    ),
    pytest.param(
        frame("board.stroke", {"points": [], "color": "#000000", "width": 1}), id="no points"
    ),
    pytest.param(
        frame(
            "board.stroke",
            {"points": [[0, 0]] * (MAX_STROKE_POINTS + 1), "color": "#000000", "width": 1},
        ),
        id="too many points",
    ),
    pytest.param(
        frame("board.stroke", {"points": [[0, 0, 0]], "color": "#000000", "width": 1}),
        id="3d point",
    ),
    pytest.param(
        frame("board.stroke", {"points": [[0, 0]], "color": "red", "width": 1}), id="bad color"
    ),
    pytest.param(
        frame("board.stroke", {"points": [[0, 0]], "color": "#000000", "width": 0}),
        id="zero width",
    ),
    pytest.param(frame("chat.post", {"text": "   "}), id="blank chat"),
    pytest.param(frame("chat.post", {"text": "x" * (MAX_CHAT_TEXT + 1)}), id="long chat"),
    pytest.param(frame("chat.mode", {"on": "yes"}), id="switch as text"),
    pytest.param(frame("board.grant", {"user_id": 0}), id="user id zero"),
    pytest.param(frame("quiz.timer", {"seconds": 0}), id="zero timer"),
    pytest.param(frame("rtc.offer", {"sdp": "x" * (40 * 1024)}), id="huge signalling"),
]


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_frames_are_refused(raw: str) -> None:
    assert code_of(raw) == "invalid"


def test_an_invalid_frame_still_names_its_id() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(frame("slide.goto", {"index": -1}, id_="abc"))
    assert caught.value.message_id == "abc"
    assert "index" in caught.value.message


def test_frames_over_the_limit_are_too_large() -> None:
    padding = "x" * MAX_FRAME_BYTES
    assert code_of(frame("chat.post", {"text": padding})) == "too_large"
    assert code_of(frame("chat.post", {"text": padding}).encode()) == "too_large"


def test_the_limit_counts_bytes_not_characters() -> None:
    # 40k Cyrillic characters are 80 KiB of UTF-8.
    assert code_of(frame("chat.post", {"text": "ж" * 40_000})) == "too_large"


def test_signalling_data_is_free_form() -> None:
    message = parse_client_message(frame("rtc.offer", {"sdp": "v=0", "nested": {"a": [1, 2]}}))
    assert isinstance(message, RtcOffer)
    assert message.data == {"sdp": "v=0", "nested": {"a": [1, 2]}}


def test_server_frame_envelope() -> None:
    assert json.loads(server_frame("slide.goto", 42, {"index": 2})) == {
        "v": 1,
        "type": "slide.goto",
        "seq": 42,
        "data": {"index": 2},
    }


def test_server_frame_keeps_unicode_readable() -> None:
    assert "Москва" in server_frame("chat.post", 1, {"text": "Москва"})


def test_ack_and_error_frames() -> None:
    assert json.loads(ack_frame("m1", 7)) == {"v": 1, "type": "ack", "id": "m1", "seq": 7}
    assert json.loads(error_frame("m1", "forbidden", "no")) == {
        "v": 1,
        "type": "error",
        "id": "m1",
        "error": {"code": "forbidden", "message": "no"},
    }
