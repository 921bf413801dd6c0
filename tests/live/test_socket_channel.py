"""A socket's channel (live.socket_channel.LiveChannel): what it makes only when asked."""

from __future__ import annotations

from typing import Any, cast

from live.room import Actor
from live.socket_channel import LiveChannel


def _channel() -> LiveChannel:
    websocket = cast(Any, object())  # (not used: nothing here sends)
    return LiveChannel(websocket, 1, "ABC123", Actor(id=7, role="pupil", name="Ann"))


def test_a_channels_media_id_is_its_own_and_stays_the_same() -> None:
    # Made the first time the media engine asks (most sockets never use media).
    first, second = _channel(), _channel()
    media_id = first.media_id
    assert len(media_id) == 16 and first.media_id == media_id
    assert second.media_id != media_id
