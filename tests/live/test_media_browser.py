"""Live video in real browsers: the teacher puts Chromium's fake camera on air from the smart
board and a pupil's tablet plays it; screenshots go to ``test-output/``."""

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
# The video element's picture size and position in time, once it shows something.
PLAYING = """() => {
  const video = document.querySelector('[data-media-video]');
  return video && video.videoWidth > 0 && video.currentTime > 0
    ? {width: video.videoWidth, time: video.currentTime, muted: video.muted,
       paused: video.paused, audio: video.srcObject?.getAudioTracks().length ?? 0}
    : null;
}"""


def open_page(chromium: Browser, viewport: dict[str, int], base_url: str, login: str) -> Page:
    context = chromium.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base_url, login)
    return page


def playing(page: Page) -> dict:
    handle = page.wait_for_function(PLAYING, timeout=20_000)
    return handle.json_value()


def test_the_teachers_camera_plays_on_a_pupils_tablet(
    demo_url: str, chromium: Browser, shots: Path
) -> None:
    teacher = open_page(chromium, BOARD, demo_url, "teacher")
    teacher.goto(f"{demo_url}/live")
    teacher.click("text=Start live lesson")
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{4}-[A-Z0-9]{2}/present$"))
    expect(teacher.locator("[data-status]")).to_have_attribute("data-state", "online")
    code = teacher.locator("[data-code]").inner_text()
    teacher.click("[data-action=join-hide]")

    pupil = open_page(chromium, TABLET, demo_url, "pupil")
    pupil.goto(f"{demo_url}/live/{code}")
    expect(pupil.locator("[data-status]")).to_have_attribute("data-state", "online")
    # The browser's peer connections use the server's ICE servers: none by default.
    config = json.loads(pupil.locator("#live-config").inner_text())
    assert config["rtc"] == {"ice_servers": []}
    expect(pupil.locator("[data-media-status]")).to_have_attribute("data-state", "waiting")
    expect(pupil.locator("[data-media-view]")).to_be_hidden()

    # The teacher turns the camera on: the board shows the preview, the tablet the video.
    teacher.click("[data-media-action=camera]")
    expect(teacher.locator("[data-media-status]")).to_have_attribute("data-state", "onair")
    expect(teacher.locator("[data-media-action=stop]")).to_be_visible()
    expect(pupil.locator("[data-media-status]")).to_have_attribute("data-state", "live")
    first = playing(pupil)
    assert first["width"] > 0
    assert first["audio"] == 1
    # Autoplay policies: the video starts muted, with a clear way to turn the sound on.
    assert first["muted"] is True
    unmute = pupil.locator("[data-media-unmute]")
    expect(unmute).to_be_visible()
    pupil.wait_for_timeout(1000)
    later = playing(pupil)
    assert later["time"] > first["time"], "the video does not move"
    pupil.screenshot(path=shots / "1-tablet-teacher-video.png")
    teacher.screenshot(path=shots / "2-board-on-air.png")

    unmute.click()
    expect(unmute).to_be_hidden()
    assert pupil.evaluate("document.querySelector('[data-media-video]').muted") is False
    pupil.click("[data-media-size]")
    expect(pupil.locator("[data-media-view]")).to_have_attribute("data-size", "large")
    pupil.wait_for_timeout(300)
    pupil.screenshot(path=shots / "3-tablet-video-enlarged.png")

    # The teacher lets the pupil share her screen: her tablet offers it; then takes it back.
    share = pupil.locator("[data-media-action=screen]")
    expect(share).to_be_hidden()
    teacher.click("[data-people] [data-screen-grant]")
    expect(share).to_be_visible()
    expect(teacher.locator("[data-people] [data-screen-grant]")).to_have_text("Stop screen")
    teacher.click("[data-people] [data-screen-grant]")
    expect(share).to_be_hidden()

    # The teacher stops: the tablet says so and the video goes away.
    teacher.click("[data-media-action=stop]")
    expect(pupil.locator("[data-media-status]")).to_have_attribute("data-state", "stopped")
    expect(pupil.locator("[data-media-view]")).to_be_hidden()
    expect(teacher.locator("[data-media-action=camera]")).to_be_visible()
    teacher.context.close()
    pupil.context.close()
