"""The one rule for conditional GETs: tags match with or without W/, in a list, or as *."""

from __future__ import annotations

from starlette.requests import Request

from eschool.conditional import etag_response, make_etag, not_modified, with_etag


def _request(if_none_match: str | None = None) -> Request:
    headers = [] if if_none_match is None else [(b"if-none-match", if_none_match.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_tag_depends_on_every_part() -> None:
    assert make_etag(1, "ru") == make_etag(1, "ru")
    assert make_etag(1, "ru") != make_etag(1, "en")
    assert make_etag(1, "ru").startswith('W/"')


def test_not_modified_matches_weak_strong_lists_and_star() -> None:
    tag = make_etag("journal", 7)
    strong = tag.removeprefix("W/")
    assert not_modified(_request(), tag) is None
    assert not_modified(_request('W/"other"'), tag) is None
    for header in (tag, strong, f'W/"x", {tag}', "*"):
        answer = not_modified(_request(header), tag)
        assert answer is not None and answer.status_code == 304
        assert answer.headers["etag"] == tag
        assert answer.body == b""


def test_etag_response_hashes_the_body_and_the_vary_parts() -> None:
    first = etag_response(_request(), b"BEGIN", media_type="text/calendar", vary=("ru",))
    assert first.status_code == 200 and first.body == b"BEGIN"
    assert first.headers["cache-control"] == "private, no-cache"
    tag = first.headers["etag"]
    again = etag_response(_request(tag), b"BEGIN", media_type="text/calendar", vary=("ru",))
    assert again.status_code == 304
    changed = etag_response(_request(tag), b"BEGIN2", media_type="text/calendar", vary=("ru",))
    assert changed.status_code == 200
    other_lang = etag_response(_request(tag), b"BEGIN", media_type="text/calendar", vary=("en",))
    assert other_lang.status_code == 200


def test_with_etag_sets_the_validators() -> None:
    from starlette.responses import Response

    response = with_etag(Response(b"{}"), make_etag(3))
    assert response.headers["etag"] == make_etag(3)
    assert response.headers["cache-control"] == "private, no-cache"
