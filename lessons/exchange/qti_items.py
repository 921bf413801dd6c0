"""One QTI assessment item → one of our questions: the interaction mapping shared by QTI readers.

Written against QTI 2.1/2.2 names (``choiceInteraction``, ``responseIdentifier``); QTI 3.0's
(``qti-choice-interaction``, ``response-identifier``) are read by the same code, as
:func:`qti_name` folds them onto the 2.x ones. What maps:

- ``choiceInteraction`` → ``single`` (``maxChoices`` 1) or ``multiple``;
- ``textEntryInteraction`` → ``text`` (string: every ``correctResponse`` value and positively
  mapped ``mapEntry`` accepted) or ``number`` (float/integer: the value, with the tolerance of
  an ``equal`` in response processing, else exact);
- ``orderInteraction`` → ``order``; ``matchInteraction`` (directedPair) and
  ``associateInteraction`` (pair) → ``match``;
- ``inlineChoiceInteraction`` → ``single`` when it is the item's only interaction.

Anything else, or an item with several interactions, raises :class:`Unsupported` with the
reason the import report shows. Points: the ``MAXSCORE`` outcome, else the mapping's upper
bound, else 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from pydantic import TypeAdapter, ValidationError

from lessons.blocks import MAX_OPTION_CHARS, MAX_POINTS, MAX_PROMPT_CHARS, Question
from lessons.exchange.markdown_xhtml import read_markdown
from lessons.exchange.xhtml_text import children_of, local_name, to_markdown

GAP = "____"
QUESTION = TypeAdapter(Question)
_CAMEL = re.compile(r"-([a-z])")
BLOCK_INTERACTIONS = frozenset(
    {"choiceInteraction", "orderInteraction", "matchInteraction", "associateInteraction"}
)
INLINE_INTERACTIONS = frozenset({"textEntryInteraction", "inlineChoiceInteraction"})
# Parts of a body that are not the question's text.
_NOT_PROMPT = frozenset(
    {
        *("rubricBlock", "feedbackBlock", "feedbackInline", "modalFeedback"),
        *("templateBlock", "templateInline"),
    }
)
Option = Callable[[Element], str]


class Unsupported(Exception):
    """The item cannot become one of our questions; ``str()`` says why."""


def qti_name(tag: object) -> str:
    """``{ns}qti-choice-interaction`` and ``{ns}choiceInteraction`` → ``choiceInteraction``."""
    name = local_name(tag)
    if name.startswith("qti-"):
        return _CAMEL.sub(lambda m: m.group(1).upper(), name[4:])
    return name


def attr(element: Element, name: str, default: str = "") -> str:
    """An attribute by its QTI 2.x name, or its QTI 3.0 kebab-case spelling."""
    value = element.get(name)
    if value is None:
        value = element.get(re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), name))
    return default if value is None else str(value)


def kids(element: Element, name: str) -> list[Element]:
    return [node for node in element if qti_name(node.tag) == name]


def find_all(element: Element, name: str) -> list[Element]:
    return [node for node in element.iter() if qti_name(node.tag) == name]


@dataclass
class Declaration:
    """A ``responseDeclaration``: its key values and mapping."""

    cardinality: str
    base_type: str
    correct: list[str] = field(default_factory=list)
    mapping: dict[str, float] = field(default_factory=dict)
    upper_bound: float | None = None


@dataclass
class Converted:
    """A question (validated, JSON-ready) and the pictures of its body, as (src, alt)."""

    question: dict[str, Any]
    images: list[tuple[str, str]]


def convert_item(item: Element, *, on_image: Callable[[str, str], str] | None = None) -> Converted:
    """Map an ``assessmentItem`` to a question; raises :class:`Unsupported`.

    ``on_image(src, alt)`` is called for each picture of the body and options and returns
    the Markdown it leaves there (by default pictures are collected and leave nothing in
    the prompt, their alt text in an option).
    """
    body = next(iter(kids(item, "itemBody")), None)
    if body is None:
        raise Unsupported("the item has no body")
    interactions = [node for node in body.iter() if qti_name(node.tag).endswith("Interaction")]
    if not interactions:
        raise Unsupported("the item has no interaction")
    names = sorted({qti_name(node.tag) for node in interactions})
    if len(interactions) > 1:
        raise Unsupported(f"several interactions in one item ({', '.join(names)})")
    interaction = interactions[0]
    name = qti_name(interaction.tag)
    if name not in BLOCK_INTERACTIONS | INLINE_INTERACTIONS:
        raise Unsupported(f"{name} is not supported")
    declarations = _declarations(item)
    declaration = declarations.get(attr(interaction, "responseIdentifier"))
    if declaration is None:
        raise Unsupported("the interaction has no response declaration")
    images: list[tuple[str, str]] = []

    def image(src: str, alt: str) -> str:
        images.append((src, alt))
        return on_image(src, alt) if on_image else ""

    def option(node: Element) -> str:
        def picture(src: str, alt: str) -> str:
            images.append((src, alt))
            return on_image(src, alt) if on_image else alt

        return read_markdown(children_of(node), picture, inline=True)[:MAX_OPTION_CHARS]

    prompt = _prompt(body, interaction, image)
    question = _MAPPERS[name](interaction, declaration, item, option)
    question["prompt"] = prompt[:MAX_PROMPT_CHARS] or attr(item, "title") or "?"
    question["points"] = _points(item, declaration)
    try:
        checked = QUESTION.validate_python(question).model_dump(mode="json")
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"][1:])
        raise Unsupported(f"the item's key does not fit ({where}: {problem['msg']})") from error
    return Converted(question=checked, images=images)


def _declarations(item: Element) -> dict[str, Declaration]:
    found: dict[str, Declaration] = {}
    for node in kids(item, "responseDeclaration"):
        declaration = Declaration(
            cardinality=attr(node, "cardinality", "single"),
            base_type=attr(node, "baseType", "identifier"),
        )
        for correct in kids(node, "correctResponse"):
            declaration.correct = [_text(value) for value in kids(correct, "value")]
        for mapping in kids(node, "mapping"):
            declaration.upper_bound = _number(attr(mapping, "upperBound"))
            for entry in kids(mapping, "mapEntry"):
                mapped = _number(attr(entry, "mappedValue"))
                declaration.mapping[attr(entry, "mapKey")] = mapped if mapped is not None else 0
        found[attr(node, "identifier")] = declaration
    return found


def _prompt(body: Element, interaction: Element, image: Callable[[str, str], str]) -> str:
    """The body's Markdown without the interaction (an inline one in a paragraph of its own
    at the end is left out, elsewhere it leaves a gap), then the interaction's ``prompt``."""
    name = qti_name(interaction.tag)

    def replace(element: Element) -> str | None:
        if element is interaction:
            return GAP if name in INLINE_INTERACTIONS else ""
        return "" if qti_name(element.tag) in _NOT_PROMPT else None

    nodes = _text_nodes(children_of(body), interaction)
    tangled = any(
        node is interaction or qti_name(node.tag) in _NOT_PROMPT
        for top in nodes
        if not isinstance(top, str)
        for node in top.iter()
    )
    if tangled:
        text = to_markdown(nodes, on_image=image, replace=replace)
    else:
        text = read_markdown(nodes, image)
    prompt = next(iter(kids(interaction, "prompt")), None)
    if prompt is not None:
        own = read_markdown(children_of(prompt), image)
        text = f"{text}\n\n{own}".strip() if text else own
    return text


def _text_nodes(nodes: list[Element | str], interaction: Element) -> list[Element | str]:
    """The body's nodes without the interaction, or the last paragraph holding only it."""
    kept = [node for node in nodes if node is not interaction]
    elements = [n for n in kept if not isinstance(n, str)]
    last = elements[-1] if elements else None
    if (
        last is not None
        and len(last) == 1
        and last[0] is interaction
        and not (last.text or "").strip()
        and not (interaction.tail or "").strip()
        and all(isinstance(n, str) and not n.strip() for n in kept[kept.index(last) + 1 :])
    ):
        kept.remove(last)
    return kept


def _choices(interaction: Element, name: str, option: Option) -> tuple[list[str], list[str]]:
    nodes = kids(interaction, name)
    return [attr(node, "identifier") for node in nodes], [option(node) for node in nodes]


def _keys(declaration: Declaration) -> list[str]:
    """The right values: ``correctResponse``, else the positively mapped keys, best first."""
    if declaration.correct:
        return declaration.correct
    ranked = sorted(declaration.mapping.items(), key=lambda entry: -entry[1])
    return [key for key, value in ranked if value > 0]


def _index(ids: list[str], value: str) -> int:
    if value not in ids:
        raise Unsupported(f"the key names {value!r}, which is not a choice")
    return ids.index(value)


def _choice(interaction: Element, declaration: Declaration, _item: Element, option: Option) -> dict:
    ids, options = _choices(interaction, "simpleChoice", option)
    keys = _keys(declaration)
    if not keys:
        raise Unsupported("the item has no right answer")
    if attr(interaction, "maxChoices", "1") == "1" and declaration.cardinality == "single":
        return {"kind": "single", "options": options, "answer": _index(ids, keys[0])}
    answer = sorted({_index(ids, key) for key in keys})
    return {"kind": "multiple", "options": options, "answer": answer}


def _inline_choice(
    interaction: Element, declaration: Declaration, _item: Element, option: Option
) -> dict:
    ids, options = _choices(interaction, "inlineChoice", option)
    keys = _keys(declaration)
    if not keys:
        raise Unsupported("the item has no right answer")
    return {"kind": "single", "options": options, "answer": _index(ids, keys[0])}


def _text_entry(
    interaction: Element, declaration: Declaration, item: Element, option: Option
) -> dict:
    if declaration.base_type in {"float", "integer"}:
        keys = _keys(declaration)
        value = _number(keys[0]) if keys else None
        if value is None:
            raise Unsupported("the item has no numeric answer")
        return {
            "kind": "number",
            "options": [],
            "answer": {"value": _tidy(value), "tolerance": _tolerance(item, value)},
        }
    if declaration.base_type != "string":
        raise Unsupported(f"a text entry of type {declaration.base_type} is not supported")
    accepted: list[str] = []
    for text in [*declaration.correct, *_keys(Declaration("", "", [], declaration.mapping))]:
        if text.strip() and text not in accepted:
            accepted.append(text)
    if not accepted:
        raise Unsupported("the item has no accepted answer")
    return {"kind": "text", "options": [], "answer": accepted}


def _tolerance(item: Element, value: float) -> float:
    """An ``equal`` with a tolerance in response processing; its widest side (absolute, or
    relative as a percentage of the value); 0 for an exact match."""
    for equal in find_all(item, "equal"):
        mode = attr(equal, "toleranceMode", "exact")
        bounds = [_number(part) for part in attr(equal, "tolerance").split()]
        widest = max((bound for bound in bounds if bound is not None), default=0.0)
        if mode == "absolute":
            return _tidy(abs(widest))
        if mode == "relative":
            return _tidy(abs(value) * abs(widest) / 100)
    return 0


def _order(interaction: Element, declaration: Declaration, _item: Element, option: Option) -> dict:
    ids, options = _choices(interaction, "simpleChoice", option)
    keys = declaration.correct
    if not keys:
        raise Unsupported("the item has no right order")
    return {"kind": "order", "options": options, "answer": [_index(ids, key) for key in keys]}


def _pairs(declaration: Declaration) -> list[tuple[str, str]]:
    values = declaration.correct or _keys(declaration)
    pairs = []
    for value in values:
        parts = value.split()
        if len(parts) != 2:
            raise Unsupported(f"{value!r} is not a pair")
        pairs.append((parts[0], parts[1]))
    if not pairs:
        raise Unsupported("the item has no right pairs")
    return pairs


def _match(interaction: Element, declaration: Declaration, _item: Element, option: Option) -> dict:
    sets = kids(interaction, "simpleMatchSet")
    if len(sets) != 2:
        raise Unsupported("a match interaction needs two sets of choices")
    left_ids, left = _choices(sets[0], "simpleAssociableChoice", option)
    right_ids, right = _choices(sets[1], "simpleAssociableChoice", option)
    answer = [[_index(left_ids, a), _index(right_ids, b)] for a, b in _pairs(declaration)]
    return {"kind": "match", "options": {"left": left, "right": right}, "answer": sorted(answer)}


def _associate(
    interaction: Element, declaration: Declaration, _item: Element, option: Option
) -> dict:
    """Unordered pairs of one set: the first of each pair goes left, everything else right."""
    ids, texts = _choices(interaction, "simpleAssociableChoice", option)
    pairs = _pairs(declaration)
    for a, b in pairs:
        _index(ids, a), _index(ids, b)
    firsts = {a for a, _ in pairs}
    left_ids = [i for i in ids if i in firsts]
    right_ids = [i for i in ids if i not in firsts]
    answer = sorted([left_ids.index(a), right_ids.index(b)] for a, b in pairs)
    return {
        "kind": "match",
        "options": {
            "left": [texts[ids.index(i)] for i in left_ids],
            "right": [texts[ids.index(i)] for i in right_ids],
        },
        "answer": answer,
    }


_MAPPERS: dict[str, Callable[[Element, Declaration, Element, Option], dict]] = {
    "choiceInteraction": _choice,
    "inlineChoiceInteraction": _inline_choice,
    "textEntryInteraction": _text_entry,
    "orderInteraction": _order,
    "matchInteraction": _match,
    "associateInteraction": _associate,
}


def _points(item: Element, declaration: Declaration) -> float | int:
    for outcome in kids(item, "outcomeDeclaration"):
        if attr(outcome, "identifier") == "MAXSCORE":
            values = [_number(_text(v)) for v in find_all(outcome, "value")]
            if values and values[0] is not None and values[0] > 0:
                return _tidy(min(values[0], MAX_POINTS))
    if declaration.upper_bound is not None and declaration.upper_bound > 0:
        return _tidy(min(declaration.upper_bound, MAX_POINTS))
    return 1


def _text(element: Element) -> str:
    return "".join(element.itertext()).strip()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _tidy(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value
