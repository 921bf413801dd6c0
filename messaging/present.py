"""How messaging's pages show a moment: in the school's time zone and the reader's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from eschool.i18n import current_language


def when(moment: str | None, timezone: str) -> str:
    """``"2026-12-06T09:05:00Z"`` as ``6 Dec 2026, 12:05`` (``6 дек. 2026 г., 12:05``)."""
    if not moment:
        return ""
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return moment
    return format_datetime(
        parsed, "d MMM y, HH:mm", tzinfo=ZoneInfo(timezone), locale=current_language()
    )
