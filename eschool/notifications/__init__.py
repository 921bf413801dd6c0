"""Notifications: what a family (or anyone) should know about, stored per recipient and
delivered after the commit — live to open pages through the broker (``notify:<user_id>``),
by e-mail at once or as a daily digest, per each person's setting.

Domain services call :func:`notify` in their transaction with the recipients (usually
:func:`family_of` a pupil); the rest happens after their commit (see ``pending``):

- ``models`` — ``Notification`` (one per recipient) and ``NotificationSetting``;
- ``queries`` / ``services`` — reads and writes; ``present`` — a row in the reader's language;
- ``delivery`` — the live push and the e-mail outbox; ``mail`` — SMTP; ``routes`` — the API,
  the page, the live stream and the lifespan that runs the background work.
"""

from eschool.notifications.queries import family_of
from eschool.notifications.services import notify

__all__ = ["family_of", "notify"]
