"""A notification as its reader sees it: the title translated into their language, with its
placeholders filled; the wire form; the text of the e-mails."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from typing import Any

from eschool.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext, set_language
from eschool.notifications.models import Notification, NotificationPublic
from eschool.timeutil import iso

# What the settings form and the page call each kind and channel (translated when shown).
KIND_LABELS = {
    "mark": "Marks",
    "absence": "Absences and lateness",
    "homework": "Homework",
    "assignment": "Assignments",
    "due": "Assignments due tomorrow",
    "term_mark": "Term marks",
    "message": "Messages",
    "news": "News",
    "absence_note": "Absence notes",
}
CHANNEL_LABELS = {
    "app": "In the app",
    "email": "In the app and by e-mail",
    "digest": "In the app and a daily e-mail",
    "off": "Off",
}


class _Keep(dict[str, Any]):
    """Placeholders without a value stay as they are instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _in_language(lang: str, message: str, values: Mapping[str, Any]) -> str:
    def translate() -> str:
        set_language(lang)
        text = gettext(message)
        try:
            return text.format_map(_Keep(values))
        except (ValueError, IndexError, AttributeError):
            return text

    return contextvars.copy_context().run(translate)


def language_of(lang: str | None) -> str:
    """One of our languages for a person's stored choice."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def title_text(row: Notification, lang: str) -> str:
    """The row's title in ``lang``, its placeholders filled."""
    return _in_language(lang, row.title, row.params or {})


def text(lang: str, message: str, **values: Any) -> str:
    """One of this package's messages in ``lang``."""
    return _in_language(lang, message, values)


def notification_public(row: Notification, lang: str) -> NotificationPublic:
    """The wire form: ``{"id","kind","title","url","at","read","pupil_id"}``."""
    return NotificationPublic(
        id=row.id or 0,
        kind=row.kind,
        title=title_text(row, lang),
        url=row.url,
        at=iso(row.created_at) or "",
        read=row.read_at is not None,
        pupil_id=row.pupil_id,
    )


def _link(base_url: str, url: str) -> str:
    return f"{base_url}{url}" if url.startswith("/") else url


def single_email(row: Notification, *, lang: str, base_url: str) -> tuple[str, str]:
    """Subject and body of the e-mail about one notification."""
    title = title_text(row, lang)
    body = "\n".join(
        [
            title,
            "",
            _link(base_url, row.url),
            "",
            "-- ",
            text(lang, "You get these e-mails because of your notification settings:"),
            _link(base_url, "/account#notifications"),
        ]
    )
    return text(lang, "eschool: {title}", title=title), body


def digest_email(rows: Sequence[Notification], *, lang: str, base_url: str) -> tuple[str, str]:
    """Subject and body of a person's digest of ``rows``."""
    lines = [text(lang, "What happened since the last digest:"), ""]
    for row in rows:
        lines.append(f"• {title_text(row, lang)}")
        lines.append(f"  {_link(base_url, row.url)}")
    lines += [
        "",
        "-- ",
        text(lang, "You get these e-mails because of your notification settings:"),
        _link(base_url, "/account#notifications"),
    ]
    subject = text(lang, "eschool: {count} new notifications", count=len(rows))
    return subject, "\n".join(lines)


def settings_context(settings: dict[str, str]) -> dict[str, Any]:
    """What ``notifications/settings.html`` (included by the account page) needs."""
    return {
        "notification_settings": settings,
        "notification_kinds": {key: gettext(label) for key, label in KIND_LABELS.items()},
        "notification_channels": {key: gettext(label) for key, label in CHANNEL_LABELS.items()},
    }
