"""Absence notes as the API sends them (``*Public``) and the query parameters of their list.
The limits are the request models' (`gradebook.models`, `gradebook.wire_fields`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from eschool.api_schema import Moment, Public
from eschool.models import MAX_ID, Id, WireQuery
from gradebook.models import ABSENCE_NOTE_STATUSES, ABSENCE_REASON_MAX, REASON_MAX
from gradebook.ref_models import ClassRef, PersonRef
from gradebook.wire_fields import Period

AbsenceNoteStatus = Literal[ABSENCE_NOTE_STATUSES]  # type: ignore[valid-type]


class AbsenceNotesQuery(WireQuery):
    """``GET /absence-notes?pupil=&status=&class=&page=&per_page=``."""

    pupil: Id | None = Field(default=None, description="Only this pupil's notes.")
    status: AbsenceNoteStatus | None = None
    class_ref: str | None = Field(
        default=None, alias="class", description="A class's id or name, e.g. `7A`."
    )
    page: int = Field(default=1, ge=1, le=MAX_ID)
    per_page: int = Field(default=50, ge=1, le=200)


class NoteUpload(Public):
    """The note's document (a doctor's note), served at `url` to whoever may see the note;
    `mime`, `size` and `filename` are null when the file is gone."""

    id: str = Field(pattern=r"^[0-9a-f]{64}$", description="The file's SHA-256.")
    url: str
    mime: str | None = None
    size: int | None = Field(default=None, ge=0)
    filename: str | None = None


class NoteActions(Public):
    """What the caller may do with the note now."""

    decide: bool = Field(description="Accept or decline it (the class tutor, an admin).")
    withdraw: bool = Field(description="Withdraw it (the family, whoever reported it).")


class AbsenceNotePublic(Public):
    """A report that a pupil will be, or was, away: whole days `from`–`to`, or only the
    lesson `periods` of those days."""

    model_config = ConfigDict(populate_by_name=True)

    id: Id
    pupil_id: Id
    pupil: PersonRef | None
    school_class: ClassRef | None = Field(alias="class")
    starts: dt.date = Field(alias="from")
    ends: dt.date = Field(alias="to")
    periods: list[Period] | None = Field(description="null: whole days.")
    reason: str = Field(max_length=ABSENCE_REASON_MAX)
    upload: NoteUpload | None
    status: AbsenceNoteStatus
    reported_by: PersonRef | None
    reported_at: Moment
    decided_by: PersonRef | None
    decided_at: Moment | None
    decision_reason: str | None = Field(max_length=REASON_MAX)
    can: NoteActions
