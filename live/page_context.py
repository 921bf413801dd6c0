"""What the pages of a live lesson hand their JavaScript: the words it shows in the page's
language and the room's settings (``#live-config``).

Used by :mod:`live.page_routes` (the pupil's, the observer's and the teacher's pages) and
:mod:`live.board_routes` (the board).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from eschool.i18n import gettext as _
from eschool.web import db
from live import queries
from live.models import LiveSession
from live.room import Actor


def client_strings() -> dict[str, str]:
    """The words the room's JavaScript shows, in the page's language."""
    return {
        "aPupil": _("A pupil"),
        "someone": _("Someone"),
        "failed": _("That did not work. Try again."),
        "penYours": _("The teacher gave you the pen: draw on the board."),
        "role_teacher": _("Teacher"),
        "role_pupil": _("Pupil"),
        "role_observer": _("Observer"),
        "role_board": _("Board"),
        "handUp": _("Hand raised"),
        "hasPen": _("Has the pen"),
        "person_left": _("left"),
        "person_removed": _("removed"),
        "person_missing": _("not here"),
        "givePen": _("Give pen"),
        "takePen": _("Take pen"),
        "remove": _("Remove"),
        "confirmRemove": _("Remove {name} from the lesson?"),
        "lowerHand": _("Done"),
        "raiseHand": _("Raise hand"),
        "lowerMyHand": _("Lower hand"),
        "status_connecting": _("Connecting…"),
        "status_online": _("Online"),
        "status_offline": _("Reconnecting…"),
        "status_closed": _("Disconnected"),
        "closedEnded": _("The lesson has ended. Thank you!"),
        "closedRemoved": _("The teacher removed you from this lesson."),
        "closedLocked": _("The teacher has locked the room."),
        "closedSignIn": _("Sign in, or join as a guest with the code and your name."),
        "closedUnknown": _("No live lesson has this code."),
        "closedOther": _("The connection was closed."),
        "answerSent": _("Answer sent"),
        "sendAnswers": _("Send answers"),
        "sendAgain": _("Send again"),
        "answered": _("Answered"),
        "correct": _("Correct"),
        "votes": _("Votes"),
        "typeAnswer": _("Type your answer"),
        "typeNumber": _("A number"),
        "moveUp": _("Move up"),
        "moveDown": _("Move down"),
        "unknownQuestion": _("This kind of question cannot be answered here."),
        "download": _("Download the file"),
        "boardHint": _("Whiteboard"),
        "quiz": _("Quiz"),
        "poll": _("Poll"),
        "phase_idle": _("Not started"),
        "phase_open": _("In progress"),
        "phase_closed": _("Closed"),
        "phase_revealed": _("Answers shown"),
        "poll_idle": _("Not started"),
        "poll_open": _("Voting"),
        "poll_closed": _("Closed"),
        "rightAnswer": _("Right answer"),
        "quizWait": _("The teacher will open this quiz soon."),
        "quizClosedAnswered": _("The quiz is closed. Your answers are in."),
        "quizClosedMissed": _("The quiz is closed."),
        "yourScore": _("Your score"),
        "pollWait": _("The teacher will open this poll soon."),
        "confirmEnd": _("End the lesson for everyone?"),
        "lock": _("Lock room"),
        "unlock": _("Unlock room"),
        "navFree": _("Let pupils browse"),
        "navFollow": _("Pupils follow me"),
        "pacePupil": _("Pupil-paced"),
        "paceTeacher": _("Teacher-paced"),
        "paceQuizOpen": _("Close the open quiz first."),
        "paceStarted": _("Work at your own pace: use Previous and Next."),
        "paceEnded": _("The teacher leads the lesson again."),
        "chatOn": _("Turn chat on"),
        "chatOff": _("Turn chat off"),
        **media_strings(),
        **board_strings(),
    }


def media_strings() -> dict[str, str]:
    """The words of the video panel and the video controls (static/js/live/media*.js)."""
    return {
        "media_waiting": _("No video yet"),
        "media_connecting": _("Connecting video…"),
        "media_live": _("Live"),
        "media_stopped": _("Video stopped"),
        "media_reconnecting": _("Reconnecting video…"),
        "media_lost": _("The video was interrupted. Waiting for it to come back…"),
        "media_unmute": _("Tap to unmute"),
        "media_play": _("Tap to play"),
        "media_enlarge": _("Enlarge"),
        "media_shrink": _("Make smaller"),
        "media_camera": _("Camera"),
        "media_screen": _("Share screen"),
        "media_stop": _("Stop video"),
        "media_mute": _("Mute"),
        "media_unmuteMic": _("Unmute"),
        "media_onAir": _("On air"),
        "media_denied": _("The browser may not use the camera or the microphone."),
        "media_noDevice": _("No camera or microphone was found."),
        "media_unsupported": _("This browser cannot send video."),
        "media_noScreen": _("This device cannot share its screen."),
        "media_granted": _("The teacher lets you share your screen."),
        "media_revoked": _("The teacher has stopped your screen sharing."),
        "media_shareMine": _("Share my screen"),
        "media_stopMine": _("Stop sharing"),
        "media_grant": _("Allow screen"),
        "media_revoke": _("Stop screen"),
        "media_record": _("Record"),
        "media_stopRecord": _("Stop recording"),
        "media_sharing": _("{name} is sharing a screen"),
        "media_teacherCamera": _("The teacher's camera"),
        "media_sharedScreen": _("Shared screen"),
        "media_replaced": _("Someone else is showing video now."),
        "media_defaultDevice": _("Default"),
    }


def board_strings() -> dict[str, str]:
    """The words of the board, the console's board switches and the classroom widgets
    (static/js/live/widgets.js, board-page.js)."""
    return {
        "timer": _("Timer"),
        "timerResume": _("Resume"),
        "timerPause": _("Pause"),
        "timerPaused": _("Paused"),
        "timerDone": _("Time is up"),
        "pickedHidden": _("A pupil has been picked"),
        "pickedYou": _("The teacher picked you!"),
        "pickAgain": _("Pick another"),
        "pickerShow": _("Show the name on the board"),
        "pickerHide": _("Hide the name from the board"),
        "pickLeft": _("{n} not picked yet in this round"),
        "answeredCount": _("Answered"),
        "paceSlide": _("Slide {n}"),
        "boardCodeExpires": _("The code works once, for {minutes} minutes."),
        "boardConnected": _("Board connected"),
        "boardNone": _("No board connected"),
        "removeMessage": _("Remove"),
        "noAnswers": _("No answers yet."),
        "pupil": _("Pupil"),
        "score": _("Score"),
        "notVoted": _("No votes yet."),
        "popupBlocked": _("The browser blocked the new window: allow pop-ups for this site."),
        "closedBoard": _("This board is not paired any more. Pair it again at /board."),
        "kind_text": _("Text"),
        "kind_image": _("Picture"),
        "kind_video": _("Video"),
        "kind_file": _("File"),
        "kind_quiz": _("Quiz"),
        "kind_poll": _("Poll"),
        "kind_whiteboard": _("Whiteboard"),
    }


async def room_context(
    request: Request,
    live: LiveSession,
    actor: Actor,
    *,
    token: str = "",
    view: str | None = None,
) -> dict[str, Any]:
    """The template context of a room page: the session, who is looking, the class and the
    ``config`` for the page's JavaScript (``view`` ``"board"`` makes its socket the board's)."""
    base_url = str(request.base_url).rstrip("/")
    public = queries.session_public(live, base_url=base_url).model_dump(mode="json")
    return {
        "live": public,
        "me": actor.as_dict(),
        "class_name": await queries.class_name(db(request), class_id=live.class_id),
        "join_address": f"{request.url.netloc}/join",
        "board_address": f"{request.url.netloc}/board",
        "config": {
            "code": public["code"],
            "token": token,
            "view": view,
            "ping": request.app.state.settings.live_ping_seconds,
            "me": actor.as_dict(),
            "strings": client_strings(),
            "rtc": {"ice_servers": request.app.state.media.config.browser_ice_servers()},
        },
    }
