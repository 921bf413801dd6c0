"""English and Russian: gettext catalogs (``<package>/locale/ru/LC_MESSAGES/messages.po``).

The language of a request comes from the user's choice, else the ``lang`` cookie, else
Accept-Language; it lives in a context variable so templates and services can translate.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache

from babel import Locale, negotiate_locale
from babel.messages.pofile import read_po

from eschool.packages import package_dirs

LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"

_current: ContextVar[str] = ContextVar("eschool_lang", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=8)
def _catalog(lang: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for folder in package_dirs("locale", lang, "LC_MESSAGES"):
        po_file = folder / "messages.po"
        if not po_file.exists():
            continue
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                key = message.id if isinstance(message.id, str) else message.id[0]
                value = message.string if isinstance(message.string, str) else message.string[0]
                messages[_key(message.context, key)] = value
    return messages


def _key(context: str | None, message: str) -> str:
    # Every package's catalog is merged into one; a context (msgctxt) keeps the same English
    # word apart where it needs two translations ("Present" the verb and the attendance mark).
    return f"{context}\x04{message}" if context else message


def set_language(lang: str) -> None:
    """Make ``lang`` the language of the current request or task."""
    _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language of the current request or task."""
    return _current.get()


def gettext(message: str, /, **values: object) -> str:
    """Translate ``message`` into the current language, then fill ``{name}`` placeholders
    (any name, ``message`` too)."""
    lang = _current.get()
    text = message if lang == DEFAULT_LANGUAGE else _catalog(lang).get(message, message)
    return text.format(**values) if values else text


_ = gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (a notification's title is
    translated when shown, in the reader's language)."""
    return message


def pgettext(context: str, message: str, **values: object) -> str:
    """Translate ``message`` as meant in ``context`` (``msgctxt`` in the catalog)."""
    lang = _current.get()
    text = message if lang == DEFAULT_LANGUAGE else _catalog(lang).get(_key(context, message))
    if text is None:
        text = _catalog(lang).get(message, message)
    return text.format(**values) if values else text


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    preferred = []
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag and tag != "*":
            preferred.append(tag)
    return negotiate_locale(preferred, list(LANGUAGES), sep="_") or DEFAULT_LANGUAGE


def format_date(value: object, style: str = "medium") -> str:
    """A date in the current language (``12 сент. 2026 г.`` / ``Sep 12, 2026``)."""
    if isinstance(value, datetime):  # a moment: not kept (there are too many)
        return _babel_date(value, style, _current.get())
    return _date_text(value, style, _current.get())


@lru_cache(maxsize=4096)
def _date_text(value: object, style: str, lang: str) -> str:
    """A day's text, kept: a page names the same few weeks' days again and again, and Babel
    takes a quarter of a millisecond for each."""
    return _babel_date(value, style, lang)


def _babel_date(value: object, style: str, lang: str) -> str:
    from babel.dates import format_date as babel_format_date

    return babel_format_date(value, format=style, locale=Locale.parse(lang))  # type: ignore[arg-type]
