"""The media engine's vocabulary: its configuration, its state and events, its errors.

Kept apart from the engine (:mod:`live.rtc`) so that the signalling, the settings and the tests
can speak of media without importing aiortc's machinery.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from aiortc import RTCConfiguration, RTCIceServer

from eschool.settings import Settings

PUBLISH_KINDS = ("camera", "screen")
MAX_SDP_CHARS = 32 * 1024
ICE_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")

StateReason = Literal["live", "stopped", "replaced", "publisher_lost", "viewer_lost"]


class MediaState(TypedDict):
    """The media state of a room, as ``MediaRoom.state()`` returns it."""

    live: bool
    kind: str | None  # "camera" | "screen" while live
    publisher: str | None  # the publisher's id while live
    viewers: int
    publication: int | None  # increases each time a publisher goes live; None when not live


class MediaStateEvent(MediaState):
    """A change worth telling the room about: the state plus why it changed."""

    reason: StateReason
    viewer: NotRequired[str]  # only with reason "viewer_lost": the viewer whose pc failed


StateCallback = Callable[[str, MediaStateEvent], Awaitable[None]]
"""``await on_state(room_id, event)``: called on every publication change and lost peer."""


class RtcError(Exception):
    """A media request that cannot be served; ``code`` is meant for the client's error frame."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


@dataclass(frozen=True, slots=True)
class RtcConfig:
    """How this process does WebRTC.

    ``ice_servers`` are ``stun:``/``stuns:``/``turn:``/``turns:`` URLs; ``ice_username`` and
    ``ice_credential`` go with the TURN ones. The default is none at all, so nothing is asked of
    the network; aiortc itself uses only the first STUN and the first TURN URL, browsers all.
    ``max_viewers`` bounds the viewers' peer connections of the whole process.
    ``connect_timeout`` (seconds) closes a peer connection that has not connected by then, such
    as a viewer that went away between its offer and its connection.
    ``port_min``/``port_max`` (``None`` or 0: unset) cannot be honoured: aioice binds each ICE
    host candidate to a port the OS picks and has no option to narrow it, so a range is refused
    rather than silently ignored.
    """

    ice_servers: list[str] = field(default_factory=list)
    ice_username: str | None = None
    ice_credential: str | None = None
    max_viewers: int = 200
    connect_timeout: float = 15.0
    port_min: int | None = None
    port_max: int | None = None

    def __post_init__(self) -> None:
        for url in self.ice_servers:
            if not url.startswith(ICE_SCHEMES):
                raise ValueError(f"ICE server {url!r} is not a stun:, stuns:, turn: or turns: URL")
            if url.startswith("turn") and not (self.ice_username and self.ice_credential):
                raise ValueError(f"TURN server {url!r} needs ice_username and ice_credential")
        if self.max_viewers < 0:
            raise ValueError("max_viewers cannot be negative")
        if self.connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")
        if self.port_min or self.port_max:
            raise ValueError(
                "a UDP port range for WebRTC is not supported: aiortc/aioice bind ICE host "
                "candidates to ports chosen by the OS; narrow the ephemeral range of the "
                "server's network namespace instead (sysctl net.ipv4.ip_local_port_range)"
            )

    def rtc_configuration(self) -> RTCConfiguration:
        """The aiortc configuration of every peer connection (never the public default STUN)."""
        return RTCConfiguration(iceServers=[RTCIceServer(**s) for s in self.browser_ice_servers()])

    def browser_ice_servers(self) -> list[dict[str, Any]]:
        """The same ICE servers in the shape of a browser's ``RTCConfiguration.iceServers``."""
        stun = [url for url in self.ice_servers if url.startswith("stun")]
        turn = [url for url in self.ice_servers if url.startswith("turn")]
        servers: list[dict[str, Any]] = []
        if stun:
            servers.append({"urls": stun})
        if turn:
            servers.append(
                {"urls": turn, "username": self.ice_username, "credential": self.ice_credential}
            )
        return servers


def rtc_config(settings: Settings) -> RtcConfig:
    """The media engine's configuration from the application's settings."""
    return RtcConfig(
        ice_servers=list(settings.rtc_ice_servers),
        ice_username=settings.rtc_ice_username,
        ice_credential=settings.rtc_ice_credential,
        max_viewers=settings.rtc_max_viewers,
    )


def check_offer(offer_sdp: str, offer_type: str) -> None:
    """Refuse what is not an SDP offer of a sensible size."""
    if offer_type != "offer":
        raise RtcError("bad_offer", f"expected an SDP offer, not {offer_type!r}")
    if not isinstance(offer_sdp, str) or not offer_sdp or len(offer_sdp) > MAX_SDP_CHARS:
        raise RtcError("bad_offer", "the offer is not an SDP text of a sensible size")
