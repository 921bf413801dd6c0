"""An open lesson in real browsers: a visiting expert on a tablet writes notes and scores the
rubric while the teacher drives the lesson; right after the end the teacher replays it and sees
the notes as markers on the seek bar. Photographed into ``test-output/``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 768}


def open_page(
    chromium: Browser, viewport: dict[str, int], base_url: str, login: str | None, **extra
) -> Page:
    context = chromium.new_context(viewport=viewport, locale="en-US", **extra)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    if login:
        sign_in(page, base_url, login)
    return page


def test_an_expert_scores_an_open_lesson_and_the_teacher_replays_it(
    demo_url: str, chromium: Browser, shots: Path
) -> None:
    teacher = open_page(chromium, LAPTOP, demo_url, "teacher")
    teacher.goto(f"{demo_url}/live")
    lesson = teacher.locator("#lesson_id option", has_text=re.compile(r"· quiz$")).first
    teacher.select_option("#lesson_id", lesson.get_attribute("value"))
    rubric = teacher.locator("#rubric_id option:not([value=''])").first
    teacher.select_option("#rubric_id", rubric.get_attribute("value"))
    teacher.check("input[name=allow_observer_replay]")
    teacher.click("text=Start live lesson")
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{4}-[A-Z0-9]{2}/present$"))
    expect(teacher.locator("[data-status]")).to_have_attribute("data-state", "online")
    code = teacher.locator("[data-code]").inner_text()
    teacher.click("[data-action=join-hide]")

    # The expert joins from a tablet with the code and her name.
    expert = open_page(chromium, TABLET, demo_url, None, has_touch=True)
    expert.goto(f"{demo_url}/join?code={code}")
    expert.fill("#name", "Elena Expert")
    expert.click("button[type=submit]")
    expect(expert).to_have_url(f"{demo_url}/live/{code}/watch")
    expect(expert.locator("[data-status]")).to_have_attribute("data-state", "online")

    # The teacher moves on; the expert writes a note, scores a criterion, writes another.
    teacher.click("[data-action=next]")
    expect(expert.locator("[data-slide-counter]").first).to_have_text(re.compile(r"^2 / "))
    expert.fill("#note-text", "The aim is on the board from the first minute")
    expert.click("#note-send")
    expect(expert.locator("#my-notes li.note")).to_have_count(1)
    level = expert.locator("[data-criterion][data-level]").nth(2)
    level.tap()
    expect(level).to_have_attribute("aria-pressed", "true")
    teacher.click("[data-action=next]")
    expect(expert.locator("[data-slide-counter]").first).to_have_text(re.compile(r"^3 / "))
    expert.fill("#note-text", "Pupils explain the rule to each other")
    expert.click("#note-send")
    expect(expert.locator("#my-notes li.note", has_text="explain the rule")).to_have_count(1)
    expert.screenshot(path=shots / "1-expert-tablet-notes.png")

    # The end, and the replay right after it: the two notes are markers on the seek bar.
    teacher.click("[data-action=end]")
    expect(teacher).to_have_url(f"{demo_url}/live/{code}/report")
    expect(teacher.locator("[data-replay-link]")).to_be_visible()
    teacher.goto(f"{demo_url}/live/{code}/replay")
    expect(teacher.locator("body")).to_have_attribute("data-notes", "ready")
    markers = teacher.locator(".replay-marker")
    expect(markers).to_have_count(2)
    expect(teacher.locator("[data-replay-play]")).to_be_enabled()
    teacher.screenshot(path=shots / "2-teacher-replay.png")

    # A marker takes the replay to that moment: the slide the note was written on.
    markers.last.click()
    expect(teacher.locator("[data-slide-counter]").first).to_have_text(re.compile(r"^3 / "))
    teacher.click("[data-speed='4']")
    teacher.click("[data-replay-play]")
    expect(teacher.locator("[data-replay-play]")).to_have_attribute("aria-pressed", "true")
    teacher.screenshot(path=shots / "3-teacher-replay-playing.png")
