"""Item bodies (XHTML inside QTI and Common Cartridge) → the simple Markdown our prompts hold.

Only text survives: paragraphs, line breaks, emphasis, lists and headings become Markdown;
every other element gives its text, ``script``/``style``/``object`` and the like give nothing,
and no attribute is ever copied (so event handlers, styles and ``javascript:`` URLs cannot
survive). Pictures are handed to a callback that decides what they become (an image block,
or their text alternative).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from xml.etree.ElementTree import Element

# Elements whose content is never text a reader should see.
DROPPED = frozenset(
    {"script", "style", "object", "embed", "iframe", "applet", "head", "math", "template"}
)
_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "table", "tr", "section", "article", "figure", "dl"}
)
_EMPHASIS = {"em": "*", "i": "*", "strong": "**", "b": "**"}
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_LIST_LINE = re.compile(r"\s*(?:-|\d+\.) ")

ImageHandler = Callable[[str, str], str]
"""``(src, alt) -> text``: what an ``img`` becomes in the text (often ``""`` or the alt)."""


def local_name(tag: object) -> str:
    """The element's name without its namespace (``{ns}p`` → ``p``); ``""`` for comments."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def to_markdown(
    elements: Iterable[Element | str],
    *,
    on_image: ImageHandler,
    replace: Callable[[Element], str | None] | None = None,
) -> str:
    """Return the Markdown of a sequence of nodes (elements and text strings).

    ``replace`` may give the text an element stands for (a gap for an inline interaction),
    or ``None`` to render it as usual.
    """
    writer = _Writer(on_image, replace)
    for node in elements:
        if isinstance(node, str):
            writer.text(node)
        else:
            writer.element(node)
    return writer.result()


def children_of(element: Element) -> list[Element | str]:
    """An element's content as nodes: its text, then each child followed by its tail."""
    nodes: list[Element | str] = []
    if element.text:
        nodes.append(element.text)
    for child in element:
        nodes.append(child)
        if child.tail:
            nodes.append(child.tail)
    return nodes


def plain_text(element: Element) -> str:
    """An element's visible words on one line (for options): no markup, no pictures."""
    writer = _Writer(lambda _src, alt: alt, None, plain=True)
    writer.children(element)
    return " ".join(writer.result().split())


class _Writer:
    def __init__(
        self,
        on_image: ImageHandler,
        replace: Callable[[Element], str | None] | None,
        *,
        plain: bool = False,
    ) -> None:
        self.parts: list[str] = []
        self.plain = plain
        self.on_image = on_image
        self.replace = replace
        self.lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self.in_item = 0  # list items open around the current node

    def text(self, value: str) -> None:
        self.parts.append(_SPACES.sub(" ", value.replace("\n", " ")))

    def newline(self, count: int = 1) -> None:
        self.parts.append("\n" * count)

    def element(self, element: Element) -> None:
        name = local_name(element.tag).lower()
        if not name or name in DROPPED:
            return  # nothing of it; its tail is a node of the caller's list
        if self.replace is not None:
            replaced = self.replace(element)
            if replaced is not None:
                self.parts.append(replaced)
                return
        if name == "br":
            self.newline()
        elif name == "img":
            self.parts.append(
                self.on_image(str(element.get("src", "")), str(element.get("alt", "")))
            )
        elif name in _EMPHASIS and not self.plain:
            mark = _EMPHASIS[name]
            inner = to_markdown(children_of(element), on_image=self.on_image, replace=self.replace)
            inner = " ".join(inner.split())
            if inner:
                self.parts.append(f"{mark}{inner}{mark}")
        elif name in {"ul", "ol"}:
            self.newline(2)
            self.lists.append([1] if name == "ol" else [])
            self.children(element)
            self.lists.pop()
            self.newline(2)
        elif name == "li":
            self.newline()
            marker = self.lists[-1] if self.lists else []
            indent = "   " * max(len(self.lists) - 1, 0)
            if marker:
                self.parts.append(f"{indent}{marker[0]}. ")
                marker[0] += 1
            else:
                self.parts.append(f"{indent}- ")
            self.in_item += 1
            self.children(element)
            self.in_item -= 1
        elif len(name) == 2 and name[0] == "h" and name[1] in "123456":
            self.newline(2)
            self.parts.append("#" * int(name[1]) + " ")
            self.children(element)
            self.newline(2)
        elif name in _BLOCKS and self.in_item:
            self.children(element)  # a paragraph inside a list item stays on its line
            self.parts.append(" ")
        elif name in _BLOCKS:
            self.newline(2)
            self.children(element)
            self.newline(2)
        else:
            self.children(element)

    def children(self, element: Element) -> None:
        for node in children_of(element):
            if isinstance(node, str):
                self.text(node)
            else:
                self.element(node)

    def result(self) -> str:
        lines = [_tidy_line(line) for line in "".join(self.parts).split("\n")]
        text = "\n".join(lines)
        return _BLANK_LINES.sub("\n\n", text).strip()


def _tidy_line(line: str) -> str:
    """Collapse runs of spaces; keep a list item's indentation only."""
    indent = line[: len(line) - len(line.lstrip())] if _LIST_LINE.match(line) else ""
    return indent + " ".join(line.split())
