"""Quizzes: the teacher-paced run (open, answer, close, reveal, countdown) and pupil-paced answers.

A teacher-paced quiz is opened by the teacher and is the room's ``active_quiz``; in pupil-paced
mode a pupil answers any quiz block without it being opened, and the block gets a run of its
own (``paced``) on the first answer. Either way answers are scored by
:func:`~live.room_state.score_answers` and end up in ``state.quizzes``, which the report reads.
"""

from __future__ import annotations

import copy

from lessons.answers import answer_problem
from live.handlers.base import Event, Reject, with_
from live.room_state import QuizRun, RoomState, questions_of, replace, score_answers


def open_quiz(state: RoomState) -> QuizRun | None:
    """The teacher-paced quiz that is open now, if any."""
    run = state.quizzes.get(state.active_quiz) if state.active_quiz else None
    return run if run is not None and not run.closed else None


def quiz_open(state: RoomState, event: Event) -> RoomState | None:
    """``quiz.open``: start a teacher-paced run of a quiz block (one open at a time, each block
    run once, none while pupils work at their own pace)."""
    block_id = event.text("block_id")
    block = state.block(block_id)
    if block is None or block.get("kind") != "quiz":
        raise Reject("invalid", "this block is not a quiz")
    if state.pace == "pupil":
        raise Reject("conflict", "pupils are working at their own pace now")
    if open_quiz(state) is not None:
        raise Reject("conflict", "close the open quiz first")
    if block_id in state.quizzes:
        raise Reject("conflict", "this quiz has already been run")
    run = QuizRun(block_id=block_id, opened_seq=event.seq)
    return replace(state, quizzes=with_(state.quizzes, block_id, run), active_quiz=block_id)


def _running_quiz(state: RoomState, event: Event) -> QuizRun:
    run = open_quiz(state)
    if run is None:
        raise Reject("conflict", "no quiz is open")
    if run.block_id != event.data.get("block_id"):
        raise Reject("conflict", "this quiz is not open")
    return run


def _paced_run(state: RoomState, event: Event) -> QuizRun:
    """The run a pupil-paced answer goes to: the block's own, started by the first answer."""
    block_id = event.text("block_id")
    block = state.block(block_id)
    if block is None or block.get("kind") != "quiz":
        raise Reject("invalid", "this block is not a quiz")
    run = state.quizzes.get(block_id)
    if run is None:
        return QuizRun(block_id=block_id, opened_seq=event.seq, paced=True)
    if not run.paced:
        raise Reject("conflict", "this quiz has already been run")
    return run


def quiz_answer(state: RoomState, event: Event) -> RoomState | None:
    """``quiz.answer``: a pupil's answers, one per question, scored at once; a later answer to
    the same run replaces the earlier one. Teacher-paced: to the open quiz only. Pupil-paced:
    to any quiz block not run by the teacher, without opening it."""
    run = _paced_run(state, event) if state.pace == "pupil" else _running_quiz(state, event)
    answers = event.data.get("answers")
    questions = questions_of(state.block(run.block_id))
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise Reject("invalid", f"give one answer per question ({len(questions)})")
    for number, (question, answer) in enumerate(zip(questions, answers, strict=True), start=1):
        problem = answer_problem(question, answer)
        if problem is not None:  # the shape homework answers are held to (lessons.answers)
            raise Reject("invalid", f"question {number}: {problem}")
    pupil = event.who.id
    run = replace(
        run,
        answers=with_(run.answers, pupil, tuple(copy.deepcopy(answers))),
        points=with_(run.points, pupil, score_answers(questions, answers)),
    )
    return replace(state, quizzes=with_(state.quizzes, run.block_id, run))


def quiz_close(state: RoomState, event: Event) -> RoomState | None:
    """``quiz.close``: no more answers to the open quiz."""
    run = replace(_running_quiz(state, event), closed=True)
    return replace(state, quizzes=with_(state.quizzes, run.block_id, run))


def quiz_reveal(state: RoomState, event: Event) -> RoomState | None:
    """``quiz.reveal``: show the keys of the closed quiz on the board, and each pupil's score."""
    block_id = state.active_quiz
    run = state.quizzes.get(block_id) if block_id else None
    if run is None or event.data.get("block_id") != block_id:
        raise Reject("conflict", "no quiz is on the board")
    if not run.closed:
        raise Reject("conflict", "close the quiz before revealing the answers")
    if run.revealed:
        return None
    run = replace(run, revealed=True)
    return replace(state, quizzes=with_(state.quizzes, run.block_id, run))


def quiz_timer(state: RoomState, event: Event) -> RoomState | None:
    """``quiz.timer``: start (or cancel, ``None``) a countdown on the open quiz."""
    run = _running_quiz(state, event)
    seconds = event.optional_integer("seconds")
    if seconds is not None and seconds <= 0:
        raise Reject("invalid", "seconds must be positive")
    run = replace(run, timer_seconds=seconds, timer_started_at=event.at if seconds else None)
    return replace(state, quizzes=with_(state.quizzes, run.block_id, run))
