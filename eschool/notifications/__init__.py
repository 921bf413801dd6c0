"""Notifications: what a family (or anyone) should know about, stored per recipient and
delivered after the commit — live to open pages through the broker (one subscription per
process, see ``live``), by e-mail at once or as a daily digest, per each person's setting.

Domain services call :func:`notify` in their transaction with the recipients (usually
:func:`family_of` a pupil; :func:`notify_family` finds a pupil's family itself) — or
:func:`notify_many` with a :class:`Notice` per pupil and :func:`families_of` for a whole
class, in a fixed number of queries; the rest happens after their commit (see ``pending``):

- ``models`` — ``Notification`` (one per recipient) and ``NotificationSetting``;
- ``queries`` / ``services`` — reads and writes; ``present`` — a row in the reader's language;
- ``delivery`` — the live push and the e-mail outbox; ``live`` — the process's fan-in to
  its open streams; ``mail`` — SMTP; ``routes`` — the API, the page, the live stream and
  the lifespan that runs the background work.
"""

from eschool.notifications.queries import families_of, family_of, family_recipients
from eschool.notifications.services import Notice, notify, notify_family, notify_many

__all__ = [
    "Notice",
    "families_of",
    "family_of",
    "family_recipients",
    "notify",
    "notify_family",
    "notify_many",
]
