"""Item bodies (XHTML inside QTI and Common Cartridge) → the simple Markdown our prompts hold.

Paragraphs, line breaks, emphasis, strikethrough, code, code blocks, links, lists, quotes,
headings, rules and our math (``span.math-inline`` / ``div.math-block``) become Markdown;
every other element gives its text, ``script``/``style``/``object`` and the like give nothing.
The only attribute copied is a link's ``href`` when it is ``http(s):`` or ``mailto:`` (so event
handlers, styles and ``javascript:`` URLs cannot survive). Pictures are handed to a callback
that decides what they become (a Markdown picture of our asset store, or their alt text).
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
_LINK_SCHEMES = ("http://", "https://", "mailto:")
# Markdown's inline specials, escaped by ``escape=True``.
_SPECIALS = re.compile(r"([\\`*_\[\]$~&<])")
_VERBATIM = re.compile("\x00(\\d+)\x00")

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
    escape: bool = False,
) -> str:
    """Return the Markdown of a sequence of nodes (elements and text strings).

    ``replace`` may give the text an element stands for (a gap for an inline interaction),
    or ``None`` to render it as usual; ``escape`` backslash-escapes Markdown's special
    characters in text (so ``2*3*4`` does not turn into emphasis).
    """
    writer = _Writer(on_image, replace, escape=escape)
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
        escape: bool = False,
    ) -> None:
        self.parts: list[str] = []
        self.verbatim: list[str] = []  # code, math: kept as written, spliced in at the end
        self.plain = plain
        self.escape = escape
        self.on_image = on_image
        self.replace = replace
        self.lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self.in_item = 0  # list items open around the current node

    def text(self, value: str) -> None:
        value = _SPACES.sub(" ", value.replace("\n", " "))
        self.parts.append(_SPECIALS.sub(r"\\\1", value) if self.escape else value)

    def keep(self, text: str) -> None:
        """Text that no tidying or escaping may touch (code, TeX)."""
        self.parts.append(f"\x00{len(self.verbatim)}\x00")
        self.verbatim.append(text)

    def inner(self, element: Element) -> str:
        """An element's content as Markdown of its own (same settings)."""
        writer = _Writer(self.on_image, self.replace, plain=self.plain, escape=self.escape)
        writer.verbatim = self.verbatim  # placeholders are spliced in by the outermost writer
        writer.children(element)
        return writer.tidy()

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
        elif not self.plain and self.markdown_only(name, element):
            pass
        elif name in {"ul", "ol"}:
            gap = 0 if self.lists else 2  # a nested list's items start their own lines
            self.newline(gap)
            self.lists.append([1] if name == "ol" else [])
            self.children(element)
            self.lists.pop()
            self.newline(gap)
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

    def markdown_only(self, name: str, element: Element) -> bool:
        """Write the elements only Markdown (not plain text) keeps; ``False`` for others."""
        if name in _EMPHASIS or _is_strike(element):
            mark = "~~" if name in {"s", "del", "span"} else _EMPHASIS[name]
            inner = " ".join(self.inner(element).split())
            if inner:
                self.parts.append(f"{mark}{inner}{mark}")
        elif name == "code":
            self.keep(_code_span("".join(element.itertext())))
        elif name == "pre":
            code = "".join(element.itertext()).rstrip("\n")
            fence = "`" * max(3, _longest_run(code, "`") + 1)
            self.newline(2)
            self.keep(f"{fence}\n{code}\n{fence}")
            self.newline(2)
        elif name == "span" and element.get("class") == "math-inline":
            self.keep(f"${''.join(element.itertext())}$")
        elif name == "div" and element.get("class") == "math-block":
            self.newline(2)
            self.keep(f"$$\n{''.join(element.itertext()).strip()}\n$$")
            self.newline(2)
        elif name == "a" and str(element.get("href", "")).startswith(_LINK_SCHEMES):
            href = str(element.get("href"))
            if any(c in href for c in " ()<>"):
                href = f"<{href}>" if not any(c in href for c in "<>\n") else ""
            inner = " ".join(self.inner(element).split())
            self.parts.append(f"[{inner}]({href})" if href and inner else inner)
        elif name == "blockquote":
            quoted = self.inner(element)
            self.newline(2)
            self.parts.append("\n".join(f"> {line}".rstrip() for line in quoted.split("\n")))
            self.newline(2)
        elif name == "hr":
            self.newline(2)
            self.parts.append("---")
            self.newline(2)
        else:
            return False
        return True

    def children(self, element: Element) -> None:
        for node in children_of(element):
            if isinstance(node, str):
                self.text(node)
            else:
                self.element(node)

    def tidy(self) -> str:
        lines = [_tidy_line(line) for line in "".join(self.parts).split("\n")]
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()

    def result(self) -> str:
        return _VERBATIM.sub(lambda m: self.verbatim[int(m.group(1))], self.tidy())


def _is_strike(element: Element) -> bool:
    name = local_name(element.tag).lower()
    return name in {"s", "del"} or (name == "span" and element.get("class") == "strikethrough")


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)


def _code_span(code: str) -> str:
    fence = "`" * (_longest_run(code, "`") + 1)
    pad = " " if code.startswith(("`", " ")) or code.endswith(("`", " ")) else ""
    return f"{fence}{pad}{code}{pad}{fence}"


def _tidy_line(line: str) -> str:
    """Collapse runs of spaces; keep a list item's indentation only."""
    indent = line[: len(line) - len(line.lstrip())] if _LIST_LINE.match(line) else ""
    return indent + " ".join(line.split())
