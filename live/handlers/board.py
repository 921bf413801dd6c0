"""The shared whiteboard: strokes per slide, clearing a slide, the pen handed to a pupil."""

from __future__ import annotations

from live.handlers.base import Event, Reject, is_number
from live.protocol import MAX_STROKE_POINTS, MAX_STROKE_WIDTH
from live.room_state import MAX_BOARD_POINTS, MAX_STROKES, RoomState, Stroke, replace


def _stroke_points(value: object) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_STROKE_POINTS:
        raise Reject("invalid", "points must be a non-empty list of [x, y]")
    points: list[tuple[float, float]] = []
    for point in value:
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise Reject("invalid", "each point is [x, y]")
        x, y = point
        for coordinate in (x, y):
            if not is_number(coordinate) or not 0.0 <= coordinate <= 1.0:
                raise Reject("invalid", "coordinates are between 0 and 1")
        points.append((float(x), float(y)))
    return tuple(points)


def board_stroke(state: RoomState, event: Event) -> RoomState | None:
    """``board.stroke``: add a batch of points to a slide (a pupil needs the pen)."""
    if event.who.role == "pupil" and state.pen != event.who.id:
        raise Reject("forbidden", "the teacher has not given you the pen")
    points = _stroke_points(event.data.get("points"))
    color, width = event.text("color"), event.data.get("width")
    if not is_number(width) or not 0 < width <= MAX_STROKE_WIDTH:
        raise Reject("invalid", "width is out of range")
    slide = event.integer("slide")
    stroke = Stroke(event.seq, slide, event.who.id, points, color, float(width))
    strokes, total = (*state.strokes, stroke), state.board_points + len(points)
    # Oldest strokes go first when the board is full, so a snapshot stays small.
    while len(strokes) > MAX_STROKES or total > MAX_BOARD_POINTS:
        total -= len(strokes[0].points)
        strokes = strokes[1:]
    return replace(state, strokes=strokes, board_points=total)


def board_clear(state: RoomState, event: Event) -> RoomState | None:
    """``board.clear``: wipe the strokes of one slide."""
    slide = event.integer("slide")
    kept = tuple(stroke for stroke in state.strokes if stroke.slide != slide)
    if len(kept) == len(state.strokes):
        return None
    return replace(state, strokes=kept, board_points=sum(len(s.points) for s in kept))


def board_grant(state: RoomState, event: Event) -> RoomState | None:
    """``board.grant``: hand the pen to a pupil who is here, or take it back (``None``)."""
    target = event.person_id("user_id")
    if target is not None:
        person = state.people.get(target)
        if person is None or person.role != "pupil" or target not in state.present:
            raise Reject("invalid", "the pen can go only to a pupil who is here")
    return None if state.pen == target else replace(state, pen=target)
