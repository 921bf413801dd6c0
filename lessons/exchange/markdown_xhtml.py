"""Our Markdown ↔ the XHTML of QTI item bodies and Common Cartridge pages.

Writing renders Markdown exactly as pages show it (:func:`lessons.markdown.render_markdown`:
markdown-it, then nh3), then makes the sanitized HTML well-formed XHTML: an element tree
(void elements closed, character references turned into characters, so no named entity is
left) holding only the elements QTI allows in an item body. Strikethrough, which QTI's
XHTML lacks, becomes ``<span class="strikethrough">``; attributes QTI does not know
(``rel``, ``align``, ``start``) are dropped. Pictures of our asset store (``/assets/<sha256>``)
are handed to a callback that gives their package path, or ``None`` to leave their alt text.

Reading (:func:`read_markdown`) turns XHTML back into Markdown with
:func:`lessons.exchange.xhtml_text.to_markdown`, first as is, then with Markdown's special
characters escaped, and keeps the first spelling that writes back to the same XHTML; when
neither does (content of another tool), the plain spelling is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, SubElement, tostring

from lessons.exchange.xhtml_text import ImageHandler, children_of, local_name, to_markdown
from lessons.markdown import render_markdown

# Elements of our rendered Markdown that QTI 3.0 item bodies allow (XHTML subset).
QTI_TAGS = frozenset(
    {
        *(f"h{level}" for level in range(1, 7)),
        *("p", "ul", "ol", "li", "pre", "code", "em", "strong", "a", "img", "span", "div"),
        *("blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td"),
    }
)
STRIKE_CLASS = "strikethrough"
_KEPT_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}, "span": {"class"}, "div": {"class"}}
_VOID = frozenset({"br", "hr", "img", "source", "wbr", "col"})
_ASSET_SRC = re.compile(r"/(?:api/v1/)?assets/([0-9a-f]{64})")
# Characters XML 1.0 cannot carry at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ImageSource = Callable[[str], str | None]
"""``sha256 -> package path`` of a picture of our asset store, ``None`` if not given."""


class _TreeBuilder(HTMLParser):
    """Sanitized HTML (our rendered Markdown) → an element tree, so it can be written as XHTML."""

    def __init__(self, root: Element) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = SubElement(self.stack[-1], tag, _attributes(attrs))
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        SubElement(self.stack[-1], tag, _attributes(attrs))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        data = xml_text(data)
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def _attributes(attrs: list[tuple[str, str | None]]) -> dict[str, str]:
    return {k: xml_text(v or "") for k, v in attrs if k.isalpha()}


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (control characters)."""
    return _NOT_XML.sub("", text)


def html_to_tree(html: str, tag: str = "body") -> Element:
    """An HTML fragment as the children of a new ``tag`` element."""
    root = Element(tag)
    parser = _TreeBuilder(root)
    parser.feed(html)
    parser.close()
    return root


def markdown_to_xhtml(text: str, image_source: ImageSource) -> Element:
    """Markdown → a ``div`` whose children are the QTI-safe XHTML of it."""
    root = html_to_tree(render_markdown(text), "div")
    _restrict(root, image_source)
    return root


def inline_markdown_to_xhtml(text: str, image_source: ImageSource) -> Element:
    """An option's Markdown → a ``span`` of inline XHTML: what a one-paragraph rendering holds,
    else (a text Markdown would read as a list or heading, such as ``- 5``) the text itself."""
    block = markdown_to_xhtml(text, image_source)
    span = Element("span")
    if len(block) == 1 and block[0].tag == "p" and not (block.text or "").strip():
        paragraph = block[0]
        span.text = paragraph.text
        span.extend(list(paragraph))
    else:
        span.text = xml_text(text)
    return span


def serialize(container: Element) -> str:
    """The XML of a container's children (no namespace: they take the document's default)."""
    parts = [_escape_text(container.text or "")]
    parts.extend(tostring(child, encoding="unicode") for child in container)
    return "".join(parts)


def read_markdown(
    nodes: Iterable[Element | str], on_image: ImageHandler, *, inline: bool = False
) -> str:
    """XHTML nodes → Markdown that writes back to the same XHTML when any spelling does.

    ``on_image(src, alt)`` gives a picture's Markdown (``![alt](/assets/<sha256>)``), or its
    alt text; ``inline`` reads an option (compared with :func:`inline_markdown_to_xhtml`).
    """
    nodes = list(nodes)
    sources: dict[str, str] = {}

    def image(src: str, alt: str) -> str:
        text = on_image(src, alt)
        for sha in _ASSET_SRC.findall(text):
            sources[sha] = src
        return text

    plain, escaped = (to_markdown(nodes, on_image=image, escape=escape) for escape in (False, True))
    if inline:
        plain, escaped = " ".join(plain.split()), " ".join(escaped.split())
    if escaped == plain:
        return plain  # nothing to choose between (no special character in the text)
    wanted = _canonical(nodes)
    write = inline_markdown_to_xhtml if inline else markdown_to_xhtml
    for candidate in (plain, escaped):
        written = write(candidate, sources.get)
        if _canonical(children_of(written)) == wanted:
            return candidate
    return plain


def image_markdown(alt: str, asset: str | None) -> str:
    """A picture of the lesson's files as Markdown (``![alt](/assets/<sha256>)``); without an
    asset, its alt text."""
    alt = " ".join(alt.split())
    if asset is None:
        return alt
    return "![" + alt.replace("[", "(").replace("]", ")") + f"](/assets/{asset})"


def _restrict(element: Element, image_source: ImageSource) -> None:
    """Keep QTI's elements and attributes; pictures point into the package or become text."""
    for child in list(element):
        _restrict(child, image_source)
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in {"s", "del"}:
            child.tag, child.attrib = "span", {"class": STRIKE_CLASS}
            continue
        if tag == "img":
            src = str(child.get("src", ""))
            match = _ASSET_SRC.fullmatch(src)
            path = image_source(match.group(1)) if match else src
            if path and (match or src.startswith("https://")):
                child.attrib = {"src": path, "alt": str(child.get("alt", ""))}
                continue
            _unwrap(element, child, str(child.get("alt", "")))
            continue
        if tag not in QTI_TAGS:
            _unwrap(element, child, None)
            continue
        kept = _KEPT_ATTRIBUTES.get(tag, set())
        child.attrib = {k: v for k, v in child.attrib.items() if k in kept}


def _unwrap(parent: Element, child: Element, replacement: str | None) -> None:
    """Replace ``child`` by its content (or by ``replacement`` text) inside ``parent``."""
    index = list(parent).index(child)
    inner = [replacement] if replacement is not None else [child.text or ""]
    kids = [] if replacement is not None else list(child)
    text = "".join(inner)
    tail = child.tail or ""
    parent.remove(child)
    if kids:
        kids[-1].tail = (kids[-1].tail or "") + tail
        for offset, kid in enumerate(kids):
            parent.insert(index + offset, kid)
        _append_text(parent, index, text)
    else:
        _append_text(parent, index, text + tail)


def _append_text(parent: Element, index: int, text: str) -> None:
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _canonical(nodes: Iterable[Element | str]) -> str:
    """A comparable form of XHTML: element names, meaningful attributes, words."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(node)
            continue
        name = local_name(node.tag)
        if not name:
            continue
        kept = _KEPT_ATTRIBUTES.get(name, set())
        attributes = " ".join(f"{k}={v!r}" for k, v in sorted(node.attrib.items()) if k in kept)
        if name in {"s", "del"}:  # as written into QTI
            name, attributes = "span", f"class={STRIKE_CLASS!r}"
        inner = _canonical(children_of(node))
        if name == "pre":
            inner = inner.rstrip("\n")  # kept verbatim otherwise
        parts.append(f"\x01{name} {attributes}\x02{inner}\x03")
    text = "".join(parts)
    return " ".join(text.split()).replace(" \x01", "\x01").replace("\x03 ", "\x03")
