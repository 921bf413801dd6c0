"""Time helpers: aware UTC datetimes in code and database; ISO 8601 on the wire."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime | date | None) -> str | None:
    """ISO 8601 text for the wire; datetimes are UTC and marked with ``Z``."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.replace(microsecond=0).isoformat() + "Z"
    return moment.isoformat()


# Query dates outside these are refused: weeks and ranges around them would leave the
# calendar (year 1 or 9999), and no school's journal needs them.
MIN_QUERY_DATE = date(1900, 1, 1)
MAX_QUERY_DATE = date(2199, 12, 31)


def parse_date(raw: str | None, *, name: str) -> date | None:
    """Parse an ISO date from a query parameter; a clear error when it is not one, or when
    it is not between ``MIN_QUERY_DATE`` and ``MAX_QUERY_DATE``."""
    from eschool.errors import BadRequest

    if raw is None or raw == "":
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a date like 2026-09-01, not {raw!r}") from exc
    if not MIN_QUERY_DATE <= day <= MAX_QUERY_DATE:
        raise BadRequest(f"{name} must be a date between {MIN_QUERY_DATE} and {MAX_QUERY_DATE}")
    return day
