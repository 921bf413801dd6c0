"""What the room knows of its WebRTC media: who may share a screen, what is shown."""

from __future__ import annotations

from live.handlers.base import Event, Reject
from live.room_state import MEDIA_KINDS, NOT_LIVE, MediaInfo, RoomState, replace


def rtc_grant(state: RoomState, event: Event) -> RoomState | None:
    """``rtc.grant``: let one pupil who is here share their screen, or nobody (``None``)."""
    target = event.person_id("user_id")
    if target is not None:
        person = state.people.get(target)
        if person is None or person.role != "pupil" or target not in state.present:
            raise Reject("invalid", "only a pupil who is here can share their screen")
    return None if state.screen_grant == target else replace(state, screen_grant=target)


def rtc_state(state: RoomState, event: Event) -> RoomState | None:
    """The media home's word on what is shown (a server event: clients cannot send it)."""
    if event.actor is not None:
        raise Reject("forbidden", "only the server tells the media state")
    if state.ended:
        raise Reject("ended", "the lesson has ended")
    if not event.flag("live"):
        media = NOT_LIVE
    else:
        kind = event.text("kind")
        publisher = event.person_id("publisher")
        if kind not in MEDIA_KINDS or publisher is None:
            raise Reject("invalid", "a live publication has a kind and a publisher")
        media = MediaInfo(True, kind, publisher, event.optional_integer("publication"))
    return None if media == state.media else replace(state, media=media)
