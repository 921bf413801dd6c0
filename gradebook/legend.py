"""What the signs of the journal and the diary mean, in the reader's language."""

from __future__ import annotations

from eschool.i18n import pgettext

__all__ = ["attendance_codes"]


def attendance_codes() -> dict[str, str]:
    """The short code a journal cell shows for each attendance status, in the interface's
    language (Russian: н, оп, уп, б; English: A, L, E, I); "present" shows none.

    The exports keep the paper journal's Russian codes (``gradebook.exports``), which their
    import reads back.
    """
    return {
        "present": "",
        "absent": pgettext("attendance code", "A"),
        "late": pgettext("attendance code", "L"),
        "excused": pgettext("attendance code", "E"),
        "ill": pgettext("attendance code", "I"),
    }
