"""The limits of the school structure's wire fields, declared once: the request models
(`gradebook.models`) and the answers (`gradebook.structure_models`) share them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

PERIOD_MAX = 12  # the last lesson of a day (0 is an early lesson before the first)
WORK_TYPE_CODE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"

SubjectName = Annotated[str, Field(min_length=1, max_length=100)]
ShortName = Annotated[str, Field(max_length=32)]
ScaleCode = Annotated[str, Field(max_length=16, description="A grade scale's code, e.g. `five`.")]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 is Monday.")]
Period = Annotated[int, Field(ge=0, le=PERIOD_MAX, description="The lesson's number in the day.")]
Room = Annotated[str, Field(max_length=32)]
HolidayName = Annotated[str, Field(min_length=1, max_length=100)]
WorkTypeCode = Annotated[str, Field(pattern=WORK_TYPE_CODE_PATTERN)]
WorkTypeName = Annotated[str, Field(min_length=1, max_length=100)]
Weight = Annotated[float, Field(ge=0, le=10)]
RoundingThreshold = Annotated[float, Field(gt=0, le=1)]
Share = Annotated[float, Field(ge=0, le=1, description="A share of the points, 0–1.")]

TimeOfDay = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$", examples=["08:30"])]
"""A time of day at school, ``HH:MM``."""
