"""People in the room: arriving and leaving, raised hands, chat, removal by the teacher."""

from __future__ import annotations

from live.handlers.base import Event, Reject, with_, without
from live.protocol import MAX_CHAT_TEXT
from live.room_state import MAX_CHAT_MESSAGES, ChatMessage, RoomState, replace


def hand_raise(state: RoomState, event: Event) -> RoomState | None:
    """``hand.raise``: a pupil joins the queue of raised hands (once)."""
    if event.who.id in state.hands:
        return None
    return replace(state, hands=(*state.hands, event.who.id))


def hand_lower(state: RoomState, event: Event) -> RoomState | None:
    """``hand.lower``: a pupil lowers their own hand; the teacher one hand or every hand."""
    target = event.person_id("user_id")
    if event.who.role == "pupil":
        if target not in (None, event.who.id):
            raise Reject("forbidden", "a pupil can lower only their own hand")
        target = event.who.id
    if target is None:
        return replace(state, hands=()) if state.hands else None
    if target not in state.hands:
        return None
    return replace(state, hands=tuple(hand for hand in state.hands if hand != target))


def chat_post(state: RoomState, event: Event) -> RoomState | None:
    """``chat.post``: one chat line (pupils only while the chat is on); the newest are kept."""
    if event.who.role == "pupil" and not state.chat_on:
        raise Reject("forbidden", "the teacher has turned the chat off")
    text = event.text("text").strip()
    if not text or len(text) > MAX_CHAT_TEXT:
        raise Reject("invalid", f"a chat message holds 1 to {MAX_CHAT_TEXT} characters")
    message = ChatMessage(event.seq, event.who.id, text, event.at)
    return replace(state, chat=(*state.chat, message)[-MAX_CHAT_MESSAGES:])


def room_kick(state: RoomState, event: Event) -> RoomState | None:
    """``room.kick``: remove a pupil or an observer, with their hand, pen and screen grant."""
    target = event.person_id("user_id")
    person = state.people.get(target) if target is not None else None
    if person is None or person.role == "teacher":
        raise Reject("invalid", "only a pupil or an observer who has joined can be removed")
    if person.id in state.kicked:
        return None
    return replace(
        state,
        kicked=state.kicked | {person.id},
        present=without(state.present, person.id),
        hands=tuple(hand for hand in state.hands if hand != person.id),
        pen=None if state.pen == person.id else state.pen,
        screen_grant=None if state.screen_grant == person.id else state.screen_grant,
        picker=replace(state.picker, pupil=None, shown=False)
        if state.picker.pupil == person.id
        else state.picker,
    )


def presence_join(state: RoomState, event: Event) -> RoomState | None:
    """``presence.join`` (server): one more connection of someone; the first one counts as
    attendance."""
    who = event.who
    if who.id in state.kicked:
        raise Reject("forbidden", "removed from this lesson")
    attended = (
        state.attended if who.id in state.attended else with_(state.attended, who.id, event.seq)
    )
    present = with_(state.present, who.id, state.present.get(who.id, 0) + 1)
    return replace(state, present=present, attended=attended)


def presence_leave(state: RoomState, event: Event) -> RoomState | None:
    """``presence.leave`` (server): one connection fewer."""
    who = event.who
    connections = state.present.get(who.id, 0)
    if connections == 0:
        return None
    if connections == 1:
        return replace(state, present=without(state.present, who.id))
    return replace(state, present=with_(state.present, who.id, connections - 1))
