"""Jinja2 templates of every package, with translation and the common context."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from eschool.i18n import LANGUAGES, current_language, format_date, gettext, pgettext
from eschool.models import Role
from eschool.packages import package_dirs

# (path, label, roles): the navigation each role sees
NAVIGATION: list[tuple[str, str, tuple[str, ...]]] = [
    ("/", "Home", (Role.admin, Role.teacher, Role.pupil, Role.parent)),
    ("/lessons", "Library", (Role.admin, Role.teacher, Role.pupil)),
    ("/journal", "Journal", (Role.admin, Role.teacher)),
    ("/diary", "Diary", (Role.pupil, Role.parent)),
    ("/assignments", "Assignments", (Role.teacher, Role.pupil, Role.parent)),
    ("/live", "Live lessons", (Role.teacher, Role.pupil)),
    ("/messages", "Messages", (Role.admin, Role.teacher, Role.pupil, Role.parent)),
    ("/admin/setup", "Set-up", (Role.admin,)),
    ("/admin/people", "People", (Role.admin,)),
    ("/admin/classes", "Classes", (Role.admin,)),
    ("/admin/terms", "Terms", (Role.admin,)),
    ("/admin/privacy", "Privacy", (Role.admin,)),
]


def _context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    auth = getattr(request.state, "auth", None)
    path = request.url.path
    nav = []
    if user is not None:
        for href, label, roles in NAVIGATION:
            if user.role in roles:
                active = path == href if href == "/" else path.startswith(href)
                nav.append({"href": href, "label": gettext(label), "active": active})
    return {
        "user": user,
        "csrf_token": auth.csrf_token if auth is not None else "",
        "nav": nav,
        "lang": current_language(),
        "languages": LANGUAGES,
    }


# What ``getattr`` finds on a plain dict: its methods and the like (``d.items()`` in a template).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Jinja's environment with a faster ``a.b`` on a plain dict, the pages' usual data.

    Jinja looks for the attribute first and the item only when that raises AttributeError:
    on a dict, one exception for every ``mark.value`` (a diary page makes thousands, and they
    were its biggest cost). A name that is not an attribute of ``dict`` can only be found as
    an item, so it is looked up as one straight away: the same answer, or the same undefined,
    without the exception. Every other lookup is Jinja's own."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def create_templates() -> Jinja2Templates:
    """The shared template environment (``eschool/base.html`` is every page's layout)."""
    env = PageEnvironment(
        loader=FileSystemLoader([str(folder) for folder in package_dirs("templates")]),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(_=gettext, pgettext=pgettext, format_date=format_date)
    return Jinja2Templates(env=env, context_processors=[_context])
