"""Who may show video in a live room, and what a participant reads when a media request is
refused (in their language)."""

from __future__ import annotations

from eschool.i18n import gettext as _
from live.media_homes import MediaError
from live.room import Actor, RoomState


def user_message(code: str, fallback: str) -> str:
    """The refusal a participant reads, in their language."""
    messages = {
        "no_publisher": _("Nothing is being shown right now."),
        "too_many_viewers": _(
            "Too many people are watching the video on this server right now. "
            "Try again in a few minutes."
        ),
        "forbidden": _(
            "Only the teacher, or the pupil the teacher lets share a screen, can show video."
        ),
        "observer": _("Observers can watch but not show video."),
        "bad_offer": _("Your browser's video offer could not be used. Reload the page."),
        "invalid": _("This video request is malformed."),
        "closed": _("The lesson's video has ended."),
        "ended": _("This live lesson has ended."),
        "media_unavailable": _("The video server does not answer. Trying again…"),
        "unsupported": _(
            "Send one complete offer (ICE gathered) with rtc.offer; nothing else is needed."
        ),
    }
    return messages.get(code, fallback)


def check_may_publish(state: RoomState, actor: Actor, kind: str) -> None:
    """Refuse with :class:`MediaError` unless ``actor`` may publish ``kind`` now."""
    if actor.role == "teacher":
        return
    if actor.role == "observer":
        raise MediaError("observer", "observers cannot publish")
    if state.screen_grant != actor.id or kind != "screen":
        raise MediaError("forbidden", "only the teacher, or a pupil allowed to share a screen")
