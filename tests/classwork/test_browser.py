"""In Chromium: a library lesson as homework, done on a tablet. The teacher sets it through the
API; the pupil answers every question by touch on a tablet, reloads halfway and finds the
answers kept, hands in and sees the score and the keys; the teacher writes the mark into the
journal from the results; the parent finds it on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser import sign_in

pytestmark = pytest.mark.browser

TABLET = {"width": 1024, "height": 768}
DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


def _watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def _api(base_url: str, login: str) -> httpx.Client:
    token = httpx.post(
        f"{base_url}/api/v1/auth/token", json={"login": login, "password": "demo"}
    ).json()["token"]
    return httpx.Client(base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def teacher_api(demo_url: str) -> Iterator[httpx.Client]:
    """The demo teacher's API client (bearer token)."""
    with _api(demo_url, "teacher") as client:
        yield client


def _quiz_questions(lesson: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for b in lesson["blocks"] if b["kind"] == "quiz" for q in b["questions"]]


def _pick_lesson(teacher: httpx.Client) -> dict[str, Any]:
    """The published grade-7 Mathematics lesson of the demo with the most kinds of question
    (the teacher sees its keys)."""
    listed = teacher.get("/lessons", params={"status": "published", "per_page": 100}).json()
    candidates = [
        teacher.get(f"/lessons/{item['id']}").json()
        for item in listed["items"]
        if item["subject"] == "Mathematics"
        and 7 in item["grades"]
        and "quiz" in item["block_kinds"]
    ]
    assert candidates, "the demo has published Mathematics lessons with quizzes"
    return max(candidates, key=lambda lesson: len({q["kind"] for q in _quiz_questions(lesson)}))


def _covering(teacher: httpx.Client, kinds: set[str]) -> dict[str, Any]:
    """A published demo lesson with as many of ``kinds`` of question as there is."""
    listed = teacher.get("/lessons", params={"status": "published", "per_page": 100}).json()
    lessons = [
        teacher.get(f"/lessons/{item['id']}").json()
        for item in listed["items"]
        if "quiz" in item["block_kinds"]
    ]
    return max(
        lessons, key=lambda lesson: len(kinds & {q["kind"] for q in _quiz_questions(lesson)})
    )


def _assign(teacher: httpx.Client, lesson: dict[str, Any], course: dict[str, Any]) -> int:
    """Set the lesson as homework in the course's last lesson so far (as from the journal's
    slot panel): its marks go there, never into a future lesson other browser tests of the
    shared demo server write in."""
    journal = teacher.get(f"/courses/{course['id']}/journal").json()
    past = [s for s in journal["slots"] if s["date"] <= journal["today"]]
    given_in = past[-1] if past else journal["slots"][0]  # the first days of a term
    created = teacher.post(
        "/assignments",
        json={
            "lesson_id": lesson["id"],
            "course_id": course["id"],
            "slot_id": given_in["id"],
            "due": (date.today() + timedelta(days=3)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _answer(page: Page, item: Locator, question: dict[str, Any]) -> None:
    """Give the right answer to one question by touch (a select is chosen, as on a tablet)."""
    kind, key = question["kind"], question["answer"]
    if kind == "single":
        item.locator(".cw-choice").nth(key).tap()
    elif kind == "multiple":
        for option in key:
            item.locator(".cw-choice").nth(option).tap()
    elif kind in ("text", "number"):
        field = item.locator("input.cw-text-answer")
        field.tap()
        page.keyboard.type(str(key[0] if kind == "text" else key["value"]))
        field.blur()
    elif kind == "order":
        shown = list(range(len(question["options"])))
        if shown == key:
            item.get_by_role("button", name="This order is my answer").tap()
        for place, wanted in enumerate(key):
            while shown.index(wanted) > place:
                at = shown.index(wanted)
                item.locator(".cw-order-item").nth(at).locator('[data-move="up"]').tap()
                shown[at - 1], shown[at] = shown[at], shown[at - 1]
    elif kind == "match":
        rows = item.locator(".cw-match-row select")
        for left, right in key:
            rows.nth(left).tap()
            rows.nth(left).select_option(str(right))
    expect(item).to_have_class(re.compile(r"\bis-answered\b"))


def test_homework_on_a_tablet_marked_into_the_journal(
    chromium: Browser, demo_url: str, shots: Path, teacher_api: httpx.Client
) -> None:
    lesson = _pick_lesson(teacher_api)
    questions = _quiz_questions(lesson)
    course = next(
        c
        for c in teacher_api.get("/courses", params={"teacher": "me"}).json()["items"]
        if c["class"]["name"] == "7A" and c["subject"]["name"] == "Математика"
    )
    assignment_id = _assign(teacher_api, lesson, course)
    # The kinds of question that lesson lacks (put in order, match pairs) come in a second one.
    missing = {"single", "multiple", "text", "number", "order", "match"} - {
        q["kind"] for q in questions
    }
    extra = _covering(teacher_api, missing) if missing else None
    extra_id = _assign(teacher_api, extra, course) if extra else None

    # --- the pupil, on a tablet ---------------------------------------------------------------
    tablet = chromium.new_context(viewport=TABLET, locale="en-US", has_touch=True)
    page = tablet.new_page()
    errors = _watch_errors(page)
    sign_in(page, demo_url, "pupil")
    page.goto(f"{demo_url}/assignments")
    card = page.locator(f'a.cw-item[data-assignment="{assignment_id}"]')
    expect(card).to_contain_text(lesson["title"])
    expect(card).to_contain_text("Not started")
    page.screenshot(path=str(shots / "1-pupil-assignments.png"), full_page=True)
    card.tap()
    expect(page.locator("#cw-count")).to_have_text(f"Answered 0 of {len(questions)}")
    page.screenshot(path=str(shots / "2-pupil-lesson.png"))

    items = page.locator(".cw-question")
    expect(items).to_have_count(len(questions))
    half = len(questions) // 2
    for number, question in enumerate(questions[:half]):
        _answer(page, items.nth(number), question)
    expect(page.locator("#cw-save")).to_have_attribute("data-state", "saved")
    items.nth(half - 1).scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "3-pupil-half-answered.png"))

    page.reload()
    expect(page.locator("#cw-count")).to_have_text(f"Answered {half} of {len(questions)}")
    expect(page.locator(".cw-question.is-answered")).to_have_count(half)
    page.screenshot(path=str(shots / "4-pupil-after-reload.png"))

    for number, question in enumerate(questions[half:], start=half):
        _answer(page, items.nth(number), question)
    expect(page.locator("#cw-count")).to_have_text(f"Answered {len(questions)} of {len(questions)}")
    expect(page.locator("#cw-save")).to_have_attribute("data-state", "saved")
    page.screenshot(path=str(shots / "5-pupil-all-answered.png"))

    page.locator("#cw-submit").tap()
    dialog = page.locator("#cw-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Answered {len(questions)} of {len(questions)}")
    page.screenshot(path=str(shots / "6-pupil-hand-in.png"))
    dialog.get_by_role("button", name="Hand in").tap()
    result = page.locator("#cw-result")
    top = sum(q.get("points", 1) for q in questions)
    expect(result).to_contain_text(f"{top} / {top}")
    expect(result).to_contain_text("100%")
    expect(result).to_contain_text("No attempts are left.")
    # The last attempt is spent: the keys show what was right.
    expect(page.locator(".cw-do.is-locked")).to_have_count(1)
    expect(page.locator(".cw-points.badge-success")).to_have_count(len(questions))
    result.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "7-pupil-score.png"))
    page.screenshot(path=str(shots / "8-pupil-keys.png"), full_page=True)

    if extra is not None:
        # Ordering with the arrow buttons and matching with a select per item, kept on reload.
        page.goto(f"{demo_url}/assignments/{extra_id}")
        extra_questions = _quiz_questions(extra)
        items = page.locator(".cw-question")
        expect(items).to_have_count(len(extra_questions))
        for number, question in enumerate(extra_questions):
            _answer(page, items.nth(number), question)
        expect(page.locator("#cw-save")).to_have_attribute("data-state", "saved")
        page.reload()
        total = len(extra_questions)
        expect(page.locator("#cw-count")).to_have_text(f"Answered {total} of {total}")
        expect(page.locator(".cw-question.is-answered")).to_have_count(total)
        kept = page.locator(".cw-kind-order, .cw-kind-match").first
        kept.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "8b-pupil-order-and-match.png"))
        assert errors == []

        # No connection: the answer waits, the bar says so and offers to retry; back online
        # it is saved. Then the teacher closes the assignment: the next answer is refused in
        # words and nothing more can be given.
        save = page.locator("#cw-save")
        tablet.set_offline(True)
        kept.locator("button:not(:disabled), select").first.tap()
        if kept.locator("select").count():
            kept.locator("select").first.select_option(index=0)
        expect(save).to_have_attribute("data-state", "error")
        expect(page.locator("#cw-retry")).to_be_visible()
        page.screenshot(path=str(shots / "8c-pupil-offline.png"))
        tablet.set_offline(False)
        expect(save).to_have_attribute("data-state", "saved")
        assert teacher_api.patch(f"/assignments/{extra_id}", json={"closed": True}).is_success
        kept.locator("button:not(:disabled), select").first.tap()
        if kept.locator("select").count():
            kept.locator("select").first.select_option(index=1)
        expect(page.locator("#cw-alert")).to_have_text("The teacher has closed this assignment.")
        expect(page.locator("#cw-submit")).to_be_hidden()
        page.screenshot(path=str(shots / "8d-pupil-closed.png"))
        errors[:] = [e for e in errors if not e.startswith("Failed to load resource")]
    assert errors == []
    tablet.close()

    # --- the teacher, at a desk ---------------------------------------------------------------
    desk = chromium.new_context(viewport=DESKTOP, locale="en-US")
    page = desk.new_page()
    errors = _watch_errors(page)
    sign_in(page, demo_url, "teacher")
    page.goto(f"{demo_url}/assignments")
    row = page.locator(f'tr[data-assignment="{assignment_id}"]')
    expect(row).to_contain_text("1 / ")
    row.get_by_role("link", name="Results").click()
    with _api(demo_url, "pupil") as pupil_api:
        me = pupil_api.get("/me").json()
    pupil_row = page.locator(f'#cw-table tr[data-pupil="{me["id"]}"]')
    expect(pupil_row).to_have_attribute("data-state", "submitted")
    expect(pupil_row.locator("select.cw-mark-select")).to_have_value("5")
    page.screenshot(path=str(shots / "9-teacher-results.png"), full_page=True)
    page.get_by_role("button", name="Write to journal").click()
    expect(page.locator("#cw-write-result")).to_contain_text("Written to the journal: 1.")
    expect(pupil_row.locator(".cw-written")).to_have_text("5")
    page.screenshot(path=str(shots / "10-teacher-marks-written.png"), full_page=True)
    assert errors == []
    desk.close()

    results = teacher_api.get(f"/assignments/{assignment_id}/results").json()
    mine = next(p for p in results["pupils"] if p["pupil_id"] == me["id"])
    assert mine["state"] == "marked" and mine["mark"] == "5"
    journal = teacher_api.get(f"/courses/{course['id']}/journal").json()
    mark = next(m for m in journal["marks"] if m["id"] == mine["mark_id"])
    assert (mark["pupil_id"], mark["value"], mark["work_type"]) == (me["id"], "5", "homework")
    slot = next(s for s in journal["slots"] if s["id"] == mark["slot_id"])

    # --- the parent, on a phone ---------------------------------------------------------------
    phone = chromium.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors = _watch_errors(page)
    sign_in(page, demo_url, "parent")
    page.goto(f"{demo_url}/assignments")
    card = page.locator(f'a.cw-item[data-assignment="{assignment_id}"]')
    expect(card.locator(".cw-mark")).to_have_text("5")
    expect(card).to_contain_text("Marked")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "11-parent-assignments.png"))
    card.tap()
    expect(page.locator(f'.cw-child-card[data-pupil="{me["id"]}"] .cw-mark')).to_have_text("5")
    page.screenshot(path=str(shots / "12-parent-assignment.png"), full_page=True)
    page.goto(f"{demo_url}/diary?pupil={me['id']}&week={slot['date']}")
    lesson_line = page.locator(f'li.diary-lesson[data-slot="{slot["id"]}"]')
    expect(lesson_line.locator(".lesson-marks")).to_contain_text("5")
    lesson_line.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "13-parent-diary.png"))
    assert errors == []
    phone.close()
