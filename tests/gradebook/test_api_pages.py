"""The gradebook's server-rendered pages: journal list and grid, setup, diary, per role."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx

from tests.gradebook.conftest import Gradebook
from tests.login_form import form_login


async def _sign_in(client: httpx.AsyncClient, login: str) -> str:
    response = await form_login(client, login)
    assert response.status_code == 303
    home = await client.get("/")
    return home.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def _embedded(page: str, element_id: str) -> dict:
    found = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert found, element_id
    return json.loads(found.group(1))


async def test_teacher_journal_list_and_grid(
    client: httpx.AsyncClient, gradebook: Gradebook
) -> None:
    await _sign_in(client, "teacher")
    index = await client.get("/journal")
    assert index.status_code == 200
    assert f'href="/journal/{gradebook.math_7a}"' in index.text
    assert f'href="/journal/{gradebook.russian_7a}"' in index.text  # form tutor of 7A
    assert "Read only" in index.text
    page = await client.get(f"/journal/{gradebook.math_7a}")
    assert page.status_code == 200
    assert "/static/js/gradebook/journal.js" in page.text
    assert "style=" not in page.text  # the CSP forbids inline styles
    journal = _embedded(page.text, "journal-data")
    assert journal["course"]["id"] == gradebook.math_7a and len(journal["pupils"]) == 27
    assert _embedded(page.text, "journal-i18n")["average"] == "Average"
    assert f"/api/v1/courses/{gradebook.math_7a}/journal.xlsx?term={gradebook.term_id}" in page.text
    other = await client.get(f"/journal/{gradebook.math_7a}?term={gradebook.term_id}")
    assert other.status_code == 200


async def test_journal_page_refusals(client: httpx.AsyncClient, gradebook: Gradebook) -> None:
    await _sign_in(client, "teacher2")
    response = await client.get(f"/journal/{gradebook.math_7a}")
    assert response.status_code == 404
    assert "Математика" not in response.text
    await client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    await _sign_in(client, "pupil")
    assert (await client.get("/journal")).status_code == 403
    assert (await client.get(f"/journal/{gradebook.math_7a}")).status_code == 403
    assert (await client.get("/journal/setup")).status_code == 403


async def test_admin_setup_adds_a_holiday_and_regenerates(
    client: httpx.AsyncClient, gradebook: Gradebook
) -> None:
    csrf = await _sign_in(client, "admin")
    page = await client.get("/journal/setup")
    assert page.status_code == 200 and "Regenerate slots" in page.text
    slot = gradebook.slots[gradebook.math_7a][0]
    added = await client.post(
        "/journal/setup",
        data={
            "csrf_token": csrf,
            "action": "holiday_add",
            "name": "Карантин",
            "starts": slot.date.isoformat(),
            "ends": (slot.date + timedelta(days=2)).isoformat(),
        },
    )
    assert added.status_code == 200 and "Карантин" in added.text
    generated = await client.post(
        "/journal/setup",
        data={"csrf_token": csrf, "action": "generate", "term_id": str(gradebook.term_id)},
    )
    assert generated.status_code == 200
    assert "removed" in generated.text
    journal = (await client.get(f"/api/v1/courses/{gradebook.math_7a}/journal")).json()
    assert slot.id not in {s["id"] for s in journal["slots"]}
    bad = await client.post(
        "/journal/setup",
        data={
            "csrf_token": csrf,
            "action": "holiday_add",
            "name": "x",
            "starts": "2026-05-02",
            "ends": "2026-05-01",
        },
    )
    assert bad.status_code == 422 and "alert-error" in bad.text
    no_csrf = await client.post("/journal/setup", data={"action": "generate", "term_id": "1"})
    assert no_csrf.status_code == 403


async def test_diary_page_for_pupil_and_parent(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    await client.post(
        "/api/v1/marks",
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": 5, "work_type": "test"},
        headers=await as_user("teacher"),
    )
    await client.patch(
        f"/api/v1/slots/{slot.id}",
        json={"homework": "Выучить таблицу"},
        headers=await as_user("teacher"),
    )
    await _sign_in(client, "parent")
    page = await client.get("/diary", params={"week": slot.date.isoformat()})
    assert page.status_code == 200
    assert pupil.name in page.text
    assert f'data-slot="{slot.id}"' in page.text
    assert "Выучить таблицу" in page.text
    assert 'class="mk mk-5 mk-heavy"' in page.text
    assert "New since your last visit" in page.text
    other = await client.get("/diary", params={"pupil": gradebook.classmate().id})
    assert other.status_code == 404
    assert gradebook.classmate().name not in other.text


def _news(page: httpx.Response) -> str:
    return page.text.split('id="news-title"', 1)[1].split("</section>", 1)[0]


async def test_diary_news_stays_until_the_reader_has_seen_it(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    """Reloading, another week and another language keep "new since your last visit"; the
    page's "Mark as seen" (or its beacon on leaving: a form body with the CSRF token, as
    navigator.sendBeacon sends it) clears it up to the moment the page showed it."""
    pupil = gradebook.pupil("pupil")
    slot = gradebook.past_slot(gradebook.math_7a)
    await client.patch(
        f"/api/v1/slots/{slot.id}",
        json={"homework": "Выучить таблицу"},
        headers=await as_user("teacher"),
    )
    csrf = await _sign_in(client, "parent")
    first = await client.get("/diary")
    assert "Выучить таблицу" in _news(first) and "Mark as seen" in _news(first)
    next_week = slot.date + timedelta(days=7)
    for page in (
        await client.get("/diary"),
        await client.get("/diary", params={"week": next_week.isoformat()}),
    ):
        assert "Выучить таблицу" in _news(page)
    switched = await client.post(
        "/lang", data={"csrf_token": csrf, "lang": "ru"}, headers={"Referer": "/diary"}
    )
    assert switched.status_code == 303
    russian = await client.get("/diary")
    assert "Выучить таблицу" in _news(russian) and "Отметить как просмотренное" in _news(russian)

    shown_at = re.search(r'data-shown-at="([^"]+)"', russian.text).group(1)
    seen = f"/api/v1/diary/{pupil.id}/seen"
    assert (await client.post(seen, params={"at": shown_at})).status_code == 403  # no token
    beacon = await client.post(seen, params={"at": shown_at}, data={"csrf_token": csrf})
    assert beacon.status_code == 204
    cleared = await client.get("/diary")
    assert "Выучить таблицу" not in _news(cleared)
    assert "Отметить как просмотренное" not in _news(cleared)
    # A later, older "seen" never brings the news back.
    older = await client.post(
        seen, params={"at": "2020-01-01T00:00:00Z"}, data={"csrf_token": csrf}
    )
    assert older.status_code == 204
    assert "Выучить таблицу" not in _news(await client.get("/diary"))


async def test_attendance_codes_and_the_legend_follow_the_interface_language(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    """The journal's cells take their attendance codes from the page (A, L, E, I in English;
    н, оп, уп, б in Russian) and the journal and the diary explain their signs."""
    teacher = await as_user("teacher")
    expected = {
        "en": {"absent": "A", "late": "L", "excused": "E", "ill": "I"},
        "ru": {"absent": "н", "late": "оп", "excused": "уп", "ill": "б"},
    }
    legend_title = {"en": "What the signs mean", "ru": "Условные обозначения"}
    for lang, codes in expected.items():
        headers = {**teacher, "Accept-Language": lang}
        journal = await client.get(f"/journal/{gradebook.math_7a}", headers=headers)
        assert journal.status_code == 200
        shown = _embedded(journal.text, "journal-i18n")["codes"]
        assert {status: shown[status] for status in codes} == codes
        assert legend_title[lang] in journal.text
        assert f'class="att att-late">{codes["late"]}</span>' in journal.text
        assert 'class="mk mk-4 mk-heavy"' in journal.text  # the framed mark explained
    parent = {**(await as_user("parent")), "Accept-Language": "en"}
    diary = await client.get("/diary", headers=parent)
    assert diary.status_code == 200 and "What the signs mean" in diary.text
    assert "A framed mark weighs more" in diary.text
