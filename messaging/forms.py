"""The pages' posted forms, read into the API's wire models (so a page and the API refuse
the same input the same way)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from eschool.web import parse_id, parse_model, read_form
from messaging.models import MessageCreate, NewsCreate, ThreadCreate


async def read_fields(
    request: Request, *repeated: str
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The posted fields, and every value of each ``repeated`` field (``read_form`` checks
    the body; the parsed form is cached on the request)."""
    fields = await read_form(request)
    form = await request.form()
    lists = {name: [v for v in form.getlist(name) if isinstance(v, str) and v] for name in repeated}
    return fields, lists


def thread_data(fields: dict[str, str], lists: dict[str, list[str]]) -> ThreadCreate:
    """``/messages/new``: ``to`` (repeated) or ``class_parents``, ``subject``, ``text``,
    ``attachments`` (upload ids, repeated)."""
    data: dict[str, object] = {
        "subject": fields.get("subject", ""),
        "text": fields.get("text", ""),
        "attachments": lists.get("attachments", []),
    }
    if fields.get("class_parents"):
        data["class_parents"] = parse_id(fields["class_parents"])
    else:
        data["to"] = [parse_id(value) for value in lists.get("to", [])] or None
    return parse_model(ThreadCreate, data)


async def message_form(request: Request) -> MessageCreate:
    """A reply: ``text`` and ``attachments`` (upload ids, repeated)."""
    fields, lists = await read_fields(request, "attachments")
    return parse_model(
        MessageCreate, {"text": fields.get("text", ""), "attachments": lists["attachments"]}
    )


@dataclass
class NewsForm:
    data: NewsCreate | None = None
    delete: int | None = None


async def news_form(request: Request) -> NewsForm:
    """``/news``: publish (``title``, ``text``, ``roles`` and ``class_ids`` repeated) or
    ``delete`` one."""
    fields, lists = await read_fields(request, "roles", "class_ids")
    if fields.get("action") == "delete":
        return NewsForm(delete=parse_id(fields.get("news_id")))
    data: dict[str, object] = {"title": fields.get("title", ""), "text": fields.get("text", "")}
    if lists["roles"]:
        data["roles"] = lists["roles"]
    classes = [parse_id(value) for value in lists["class_ids"]]
    if classes:
        data["class_ids"] = classes
    return NewsForm(data=parse_model(NewsCreate, data))
