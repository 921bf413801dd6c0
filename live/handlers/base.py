"""What every handler of the room reducer shares: the parsed event, the refusal, small helpers.

A handler is ``(state, event) -> new state | None``: ``None`` when the event changes nothing,
:class:`Reject` when it does not fit the state (``decide`` turns that into a refusal of the
command; ``apply`` ignores the event). Handlers never change ``state`` in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from live.room_state import Actor, ActorId, RoomState, replace


def is_number(value: object) -> TypeGuard[int | float]:
    """Whether ``value`` is a JSON number: an int or a float, never a bool."""
    return type(value) in (int, float)


class Reject(Exception):
    """An event that does not fit the state; ``decide`` reports it, ``apply`` ignores it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Event:
    """One event as a handler sees it, with readers that reject ill-typed data."""

    type: str
    data: Mapping[str, Any]
    actor: Actor | None
    seq: int
    at: float | None

    def integer(self, key: str) -> int:
        """``data[key]`` as an integer (booleans are not integers here)."""
        value = self.data.get(key)
        if type(value) is not int:
            raise Reject("invalid", f"{key} must be an integer")
        return value

    def optional_integer(self, key: str) -> int | None:
        """``data[key]`` as an integer, or ``None`` when absent or null."""
        return None if self.data.get(key) is None else self.integer(key)

    def text(self, key: str) -> str:
        """``data[key]`` as a non-empty string."""
        value = self.data.get(key)
        if not isinstance(value, str) or value == "":
            raise Reject("invalid", f"{key} must be a non-empty string")
        return value

    def flag(self, key: str) -> bool:
        """``data[key]`` as a boolean."""
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise Reject("invalid", f"{key} must be true or false")
        return value

    def person_id(self, key: str) -> ActorId | None:
        """``data[key]`` as a participant's id (or ``None``)."""
        value = self.data.get(key)
        if value is None or type(value) is int or (isinstance(value, str) and value):
            return value
        raise Reject("invalid", f"{key} must name a participant")

    @property
    def who(self) -> Actor:
        """The actor, for events that need one."""
        if self.actor is None:
            raise Reject("invalid", "this event needs an actor")
        return self.actor


Handler = Callable[[RoomState, Event], RoomState | None]


def with_(mapping: Mapping[Any, Any], key: Any, value: Any) -> dict[Any, Any]:
    """A copy of ``mapping`` with ``key`` set to ``value``."""
    updated = dict(mapping)
    updated[key] = value
    return updated


def without(mapping: Mapping[Any, Any], key: Any) -> dict[Any, Any]:
    """A copy of ``mapping`` without ``key``."""
    return {k: v for k, v in mapping.items() if k != key}


def switch(attribute: str) -> Handler:
    """The handler of an on/off command (``{"on": bool}``) that sets one boolean attribute."""

    def handle(state: RoomState, event: Event) -> RoomState | None:
        on = event.flag("on")
        changes: dict[str, Any] = {attribute: on}
        return None if getattr(state, attribute) == on else replace(state, **changes)

    return handle
