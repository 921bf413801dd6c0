"""Translation helpers: language negotiation, catalogs, contexts."""

from __future__ import annotations

import pytest

from eschool.i18n import gettext, negotiate, pgettext, set_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
        ("fr;q=1, ru;q=0.5", "ru"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_gettext_translates_and_fills_placeholders() -> None:
    set_language("ru")
    try:
        assert gettext("Sign in") == "Войти"
        assert gettext("Hello, {name}", name="Аня") == "Здравствуйте, Аня"
        assert gettext("A sentence nobody translated") == "A sentence nobody translated"
    finally:
        set_language("en")
    assert gettext("Sign in") == "Sign in"
    # A placeholder may be called "message" (the lesson importer's error uses one).
    assert gettext("{where}: {message}", where="title", message="bad") == "title: bad"


def test_pgettext_falls_back_to_the_plain_message() -> None:
    set_language("ru")
    try:
        assert pgettext("nowhere", "Sign in") == "Войти"
        assert pgettext("nowhere", "Untranslated") == "Untranslated"
    finally:
        set_language("en")
