"""Authored Markdown → safe HTML, and Markdown → plain text for search.

Rendering is markdown-it-py (CommonMark + tables + strikethrough + ``$…$``/``$$…$$`` math)
with raw HTML switched off, and its output then goes through nh3 with a strict allow-list,
so the sanitizer is a second wall rather than the only one. Math is left as escaped TeX in
``<span class="math-inline">`` / ``<div class="math-block">`` for a client-side typesetter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

MATH_INLINE_CLASS = "math-inline"
MATH_BLOCK_CLASS = "math-block"

ALLOWED_TAGS = frozenset(
    {
        *(f"h{level}" for level in range(1, 7)),
        "p",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "pre",
        "code",
        "em",
        "strong",
        "del",
        "s",
        "a",
        "img",
        "span",
        "div",
        "blockquote",
        "hr",
        "br",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "ol": {"start"},
}
_CELL_ALIGNMENTS = {"align": {"left", "center", "right"}}
_ALLOWED_ATTRIBUTE_VALUES = {"th": _CELL_ALIGNMENTS, "td": _CELL_ALIGNMENTS}
_ALLOWED_CLASSES = {"span": {MATH_INLINE_CLASS}, "div": {MATH_BLOCK_CLASS}}
_URL_SCHEMES = {"http", "https", "mailto"}
# Images load without a click, so they may come only from our own asset store or over https.
_LOCAL_ASSET_SRC = re.compile(r"/assets/[A-Za-z0-9_-][A-Za-z0-9_./-]*")
_TABLE_ALIGNMENT = re.compile(r"text-align:(left|center|right)")
_TEXT_TOKENS = frozenset(
    {
        "text",
        "code_inline",
        "code_block",
        "fence",
        "math_inline",
        "math_inline_double",
        "math_block",
    }
)


def render_markdown(text: str) -> str:
    """Render authored Markdown to sanitized HTML, exactly as pages and the API show it."""
    return sanitize_html(_markdown().render(text))


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes, classes and URLs of an HTML fragment."""
    return _cleaner().clean(html)


def markdown_to_text(text: str) -> str:
    """Return the words of a Markdown text without its markup (for full-text search)."""
    words: list[str] = []
    _collect_text(_markdown().parse(text), words)
    return " ".join(" ".join(words).split())


def _collect_text(tokens: Sequence[Token], words: list[str]) -> None:
    for token in tokens:
        if token.children:
            _collect_text(token.children, words)
        elif token.type in _TEXT_TOKENS:
            words.append(token.content)


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # Pandoc's rules: no space inside the dollars, no digit right after the closing one,
    # so "costs $5 or $ 6" stays text.
    dollarmath_plugin(
        md, allow_labels=False, allow_space=False, allow_digits=False, double_inline=True
    )
    md.add_render_rule("math_inline", _render_math_inline)
    md.add_render_rule("math_inline_double", _render_math_inline)
    md.add_render_rule("math_block", _render_math_block)
    md.core.ruler.push("table_alignment_attribute", _table_alignment_as_attribute)
    return md


def _render_math_inline(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    return f'<span class="{MATH_INLINE_CLASS}">{escapeHtml(tokens[idx].content)}</span>'


def _render_math_block(
    renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    return f'<div class="{MATH_BLOCK_CLASS}">{escapeHtml(tokens[idx].content.strip())}</div>\n'


def _table_alignment_as_attribute(state: StateCore) -> None:
    """Turn table cells' ``style="text-align:…"`` into ``align``: no style attribute survives."""
    for token in state.tokens:
        if token.type not in {"th_open", "td_open"}:
            continue
        style = token.attrs.pop("style", None)
        match = _TABLE_ALIGNMENT.fullmatch(str(style)) if style else None
        if match:
            token.attrs["align"] = match.group(1)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        if value.startswith("https://") or (
            _LOCAL_ASSET_SRC.fullmatch(value) and ".." not in value
        ):
            return value
        return None
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        tag_attribute_values=_ALLOWED_ATTRIBUTE_VALUES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes=set(_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
