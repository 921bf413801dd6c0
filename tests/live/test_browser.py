"""A live lesson in real browsers: the teacher presents on a smart board, a pupil answers on a
tablet, a visitor watches; every view is photographed into ``test-output/``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import sign_in

pytestmark = pytest.mark.browser

BOARD = {"width": 1920, "height": 1080}
TABLET = {"width": 1280, "height": 800}
LAPTOP = {"width": 1366, "height": 768}
# Whether a canvas has any painted pixel.
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) return true;
  return false;
}"""


def open_page(
    chromium: Browser, viewport: dict[str, int], base_url: str, login: str | None
) -> Page:
    context = chromium.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    if login:
        sign_in(page, base_url, login)
    return page


def start_lesson_with_a_quiz(teacher: Page, base_url: str) -> str:
    teacher.goto(f"{base_url}/live")
    lesson = teacher.locator("#lesson_id option", has_text=re.compile(r"· quiz$")).first
    teacher.select_option("#lesson_id", lesson.get_attribute("value"))
    teacher.click("text=Start live lesson")
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{4}-[A-Z0-9]{2}/present$"))
    expect(teacher.locator("[data-status]")).to_have_attribute("data-state", "online")
    return teacher.locator("[data-code]").inner_text()


def test_a_live_lesson_on_the_board_a_tablet_and_a_guests_laptop(
    demo_url: str, chromium: Browser, shots: Path
) -> None:
    teacher = open_page(chromium, BOARD, demo_url, "teacher")
    code = start_lesson_with_a_quiz(teacher, demo_url)
    expect(teacher.locator(".live-join-code")).to_have_text(code)
    teacher.screenshot(path=shots / "1-board-join-code.png")

    # The pupil types the code on the tablet.
    pupil = open_page(chromium, TABLET, demo_url, "pupil")
    pupil.goto(f"{demo_url}/join")
    pupil.fill("#code", code.lower().replace("-", ""))
    pupil.click("button[type=submit]")
    expect(pupil).to_have_url(f"{demo_url}/live/{code}")
    expect(pupil.locator("[data-status]")).to_have_attribute("data-state", "online")
    pupil_name = json.loads(pupil.locator("#live-config").inner_text())["me"]["name"]
    expect(teacher.locator("[data-people]")).to_contain_text(pupil_name)
    expect(teacher.locator(".live-join-count [data-pupil-count]")).to_have_text("1")
    teacher.click("[data-action=join-hide]")
    teacher.screenshot(path=shots / "2-board-first-slide.png")

    # The teacher moves to the quiz; the tablet follows.
    for _ in range(30):
        if teacher.locator("[data-action=quiz-open]").is_visible():
            break
        teacher.click("[data-action=next]")
        teacher.wait_for_timeout(150)
    counter = teacher.locator("[data-slide-counter]").first.inner_text()
    expect(pupil.locator("[data-slide-counter]").first).to_have_text(counter)
    expect(pupil.locator(".live-quiz")).to_be_visible()
    teacher.click("[data-action=quiz-open]")
    expect(pupil.locator(".live-quiz")).to_have_attribute("data-phase", "open")

    # The pupil answers every question she can see.
    questions = pupil.locator(".live-question")
    for index in range(questions.count()):
        question = questions.nth(index)
        if question.locator("input[type=radio], input[type=checkbox]").count():
            question.locator(".live-choice").first.click()
        elif question.locator("input.live-text-answer").count():
            question.locator("input.live-text-answer").fill("4")
        elif question.locator("select").count():
            for select in question.locator("select").all():
                select.select_option(index=1)
    pupil.screenshot(path=shots / "3-tablet-answering.png")
    pupil.click("[data-send-answers]")
    expect(pupil.locator(".live-sent")).to_be_visible()

    # The board shows the class's results as they come.
    expect(teacher.locator("[data-progress]")).to_contain_text("1 / 1")
    first_bars = teacher.locator(".live-question").first.locator(".live-bar-count")
    expect(first_bars.first).to_have_text("1")
    teacher.screenshot(path=shots / "4-board-histogram.png")

    # A guest joins with the code and a name, and sees the slide but no pupil's name.
    guest = open_page(chromium, LAPTOP, demo_url, None)
    guest.goto(f"{demo_url}/join?code={code}")
    guest.fill("#name", "Olga Guest")
    guest.click("button[type=submit]")
    expect(guest).to_have_url(f"{demo_url}/live/{code}/watch")
    expect(guest.locator(".live-quiz")).to_be_visible()
    expect(guest.locator("[data-pupil-count]").first).to_have_text("1")
    assert pupil_name not in guest.locator("body").inner_text()
    expect(teacher.locator("[data-people]")).to_contain_text("Olga Guest")

    teacher.click("[data-action=quiz-close]")
    expect(guest.locator(".live-quiz")).to_have_attribute("data-phase", "closed")
    expect(guest.locator(".live-bars").first).to_be_visible()
    assert pupil_name not in guest.locator("body").inner_text()
    guest.screenshot(path=shots / "5-guest-results.png")
    teacher.click("[data-action=quiz-reveal]")
    expect(pupil.locator("[data-score]")).to_be_visible()
    pupil.screenshot(path=shots / "6-tablet-revealed.png")

    # The teacher hands the pen over; the pupil's drawing appears on the board.
    teacher.locator("[data-people] li", has_text=pupil_name).get_by_role(
        "button", name="Give pen"
    ).click()
    expect(pupil.locator("[data-pen-tools]")).to_be_visible()
    box = pupil.locator("canvas[data-board]").bounding_box()
    assert box is not None
    pupil.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    pupil.mouse.down()
    for step in range(1, 21):
        x = box["x"] + box["width"] * (0.3 + step * 0.02)
        y = box["y"] + box["height"] * (0.3 + (step % 5) * 0.03)
        pupil.mouse.move(x, y)
        pupil.wait_for_timeout(15)
    pupil.mouse.up()
    teacher.wait_for_function(PAINTED, arg="canvas[data-board]")
    teacher.screenshot(path=shots / "7-board-pupil-drew.png")
    teacher.locator("[data-people] li", has_text=pupil_name).get_by_role(
        "button", name="Take pen"
    ).click()
    expect(pupil.locator("[data-pen-tools]")).to_be_hidden()

    # Chat and a raised hand reach the board.
    pupil.click("[data-action=chat-toggle]")
    pupil.fill("#chat-text", "I have a question")
    pupil.press("#chat-text", "Enter")
    pupil.click("[data-action=hand]")
    expect(teacher.locator("[data-chat-log]")).to_contain_text("I have a question")
    expect(teacher.locator("[data-hands]")).to_contain_text(pupil_name)
    teacher.screenshot(path=shots / "8-board-chat-and-hand.png")

    # The end: everyone is told, the teacher gets the report with the proposed mark.
    teacher.click("[data-action=end]")
    expect(teacher).to_have_url(f"{demo_url}/live/{code}/report")
    expect(pupil.locator("[data-closed]")).to_be_visible()
    expect(guest.locator("[data-closed]")).to_be_visible()
    expect(teacher.locator("table").first).to_contain_text(pupil_name)
    teacher.screenshot(path=shots / "9-report.png", full_page=True)
    pupil.screenshot(path=shots / "10-tablet-ended.png")


def test_the_phone_join_form_and_the_live_page(
    demo_url: str, chromium: Browser, shots: Path
) -> None:
    phone = open_page(chromium, {"width": 390, "height": 844}, demo_url, None)
    phone.goto(f"{demo_url}/join")
    phone.fill("#code", "ZZZZ-ZZ")
    phone.fill("#name", "Guest")
    phone.click("button[type=submit]")
    expect(phone.locator(".alert-error")).to_contain_text("No live lesson has this code.")
    phone.screenshot(path=shots / "phone-join-error.png", full_page=True)
    teacher = open_page(chromium, LAPTOP, demo_url, "teacher")
    teacher.goto(f"{demo_url}/live")
    expect(teacher.locator("#lesson_id")).to_be_visible()
    teacher.screenshot(path=shots / "teacher-live-index.png", full_page=True)

    # A pupil on a phone.
    code = start_lesson_with_a_quiz(teacher, demo_url)
    pupil = open_page(chromium, {"width": 390, "height": 844}, demo_url, "pupil")
    pupil.goto(f"{demo_url}/live/{code}")
    expect(pupil.locator("[data-status]")).to_have_attribute("data-state", "online")
    pupil.screenshot(path=shots / "phone-pupil.png")
    teacher.click("[data-action=join-hide]")
    teacher.click("[data-action=end]")
    expect(pupil.locator("[data-closed]")).to_be_visible()


def test_a_pupil_goes_at_her_own_pace_on_a_tablet(
    demo_url: str, chromium: Browser, shots: Path
) -> None:
    teacher = open_page(chromium, BOARD, demo_url, "teacher")
    code = start_lesson_with_a_quiz(teacher, demo_url)
    teacher.click("[data-action=join-hide]")
    pupil = open_page(chromium, {"width": 1024, "height": 768}, demo_url, "pupil")
    pupil.goto(f"{demo_url}/live/{code}")
    expect(pupil.locator("[data-status]")).to_have_attribute("data-state", "online")
    pupil_name = json.loads(pupil.locator("#live-config").inner_text())["me"]["name"]
    expect(teacher.locator("[data-people]")).to_contain_text(pupil_name)

    teacher.click("[data-action=pace]")
    expect(teacher.locator("[data-action=pace]")).to_have_attribute("aria-pressed", "true")
    where = teacher.locator("[data-pace-rows] tr", has_text=pupil_name).locator("[data-pace-slide]")
    expect(where).to_have_text(re.compile(r"^1 / "))
    expect(pupil.locator("[data-pace-badge]")).to_be_visible()
    forward = pupil.locator("[data-action=browse-next]")
    for control in (forward, pupil.locator("[data-action=browse-prev]")):
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44

    forward.click()
    expect(pupil.locator("[data-slide-counter]").first).to_have_text(re.compile(r"^2 / "))
    expect(where).to_have_text(re.compile(r"^2 / "))
    # Only the pupil moved: the teacher's own slide stays where it was.
    expect(teacher.locator("[data-slide-counter]").first).to_have_text(re.compile(r"^1 / "))
    pupil.screenshot(path=shots / "1-tablet-own-pace.png")

    # On to the quiz, which the teacher never opened: the pupil answers it on her own.
    for _ in range(10):
        if pupil.locator(".live-quiz").is_visible():
            break
        forward.click()
        pupil.wait_for_timeout(150)
    expect(pupil.locator(".live-quiz")).to_have_attribute("data-phase", "open")
    for question in pupil.locator(".live-question").all():
        if question.locator(".live-choice").count():
            question.locator(".live-choice").first.click()
        elif question.locator("input.live-text-answer").count():
            question.locator("input.live-text-answer").fill("4")
    pupil.click("[data-send-answers]")
    expect(pupil.locator(".live-sent")).to_be_visible()
    row = teacher.locator("[data-pace-rows] tr", has_text=pupil_name)
    expect(row.locator("td").nth(1)).to_have_text(re.compile(r"^1 / "))
    pupil.screenshot(path=shots / "2-tablet-quiz-answered.png")
    teacher.screenshot(path=shots / "3-board-pupils-progress.png")

    # Back to teacher-paced: the tablet shows the teacher's slide again.
    teacher.click("[data-action=pace]")
    expect(pupil.locator("[data-slide-counter]").first).to_have_text(re.compile(r"^1 / "))
    expect(teacher.locator("[data-pace-panel]")).to_be_hidden()
    teacher.click("[data-action=end]")
    expect(pupil.locator("[data-closed]")).to_be_visible()
