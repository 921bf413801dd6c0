"""A small evaluator of QTI 3.0 response processing, for tests comparing an item's own rules
with :func:`lessons.scoring.score_question` on the same answers.

It runs the ``match_correct`` and ``map_response`` templates and the rules ``write_qti3``
writes: ``qti-response-condition`` (if / else-if / else), ``qti-set-outcome-value``, and the
operators ``variable``, ``base-value``, ``correct``, ``index``, ``match``, ``equal`` (absolute
tolerance), ``lt``/``lte``/``gt``/``gte``, ``and``/``or``/``not``, ``sum``/``subtract``/
``divide``/``max``, ``container-size``, ``is-null`` and ``pattern-match``. NULL is ``None``
and propagates as QTI says (a condition that is NULL is false). Returns points:
``SCORE`` × ``MAXSCORE``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from lessons.exchange.qti_items import attr, find_all, qti_name
from lessons.exchange.safe_xml import parse_xml

Value = Any  # None (NULL), str, int, float, bool, or a list (container)


def score_item(item_xml: bytes, response: list[str] | str | None) -> float:
    """Points for ``response`` (identifiers, a string, a number as text) by the item's rules."""
    item = parse_xml(item_xml)
    declaration = find_all(item, "responseDeclaration")[0]
    outcomes: dict[str, Value] = {}
    for outcome in find_all(item, "outcomeDeclaration"):
        values = find_all(outcome, "value")
        outcomes[attr(outcome, "identifier")] = (
            _typed(attr(outcome, "baseType"), _text(values[0])) if values else None
        )
    outcomes["SCORE"] = outcomes.get("SCORE") or 0.0
    processing = find_all(item, "responseProcessing")[0]
    template = attr(processing, "template")
    if template.endswith("map_response.xml"):
        score = _map_response(declaration, response)
    elif template.endswith("match_correct.xml"):
        score = _match_correct(declaration, response)
    else:
        machine = _Machine(declaration, response, outcomes)
        machine.rules(processing)
        score = float(outcomes["SCORE"] or 0)
    return round(score * float(outcomes.get("MAXSCORE") or 1), 6)


def _given(response: list[str] | str | None) -> list[str]:
    return [] if response is None else [response] if isinstance(response, str) else response


def _map_response(declaration: Element, response: list[str] | str | None) -> float:
    mapping = find_all(declaration, "mapping")[0]
    entries = find_all(mapping, "mapEntry")
    total, seen = 0.0, set()
    for value in _given(response):
        if value in seen:
            continue
        seen.add(value)
        for entry in entries:
            key = attr(entry, "mapKey")
            folded = attr(entry, "caseSensitive", "true") == "false"
            if key == value or (folded and key.casefold() == value.strip().casefold()):
                total += float(attr(entry, "mappedValue"))
                break
        else:
            total += float(attr(mapping, "defaultValue", "0"))
    lower, upper = attr(mapping, "lowerBound"), attr(mapping, "upperBound")
    if lower:
        total = max(total, float(lower))
    if upper:
        total = min(total, float(upper))
    return total


def _match_correct(declaration: Element, response: list[str] | str | None) -> float:
    correct = [_text(v) for v in find_all(declaration, "value")]
    given = _given(response)
    if attr(declaration, "cardinality") == "multiple":
        return 1.0 if sorted(given) == sorted(correct) else 0.0
    return 1.0 if list(given) == correct else 0.0


class _Machine:
    def __init__(
        self, declaration: Element, response: list[str] | str | None, outcomes: dict[str, Value]
    ) -> None:
        base_type = attr(declaration, "baseType")
        self.cardinality = attr(declaration, "cardinality")
        given = [_typed(base_type, v) for v in _given(response)]
        if self.cardinality == "single":
            self.response: Value = given[0] if given else None
        else:
            self.response = given or None
        self.correct = [_typed(base_type, _text(v)) for v in find_all(declaration, "value")]
        self.outcomes = outcomes

    def rules(self, parent: Element) -> None:
        for rule in parent:
            name = qti_name(rule.tag)
            if name == "setOutcomeValue":
                (expression,) = list(rule)
                self.outcomes[attr(rule, "identifier")] = self.value(expression)
            elif name == "responseCondition":
                for branch in rule:
                    if qti_name(branch.tag) == "responseElse":
                        self.rules(branch)
                        break
                    condition, *_ = list(branch)
                    if self.value(condition) is True:
                        self.rules(_after_first(branch))
                        break
            else:
                raise ValueError(f"rule {name} is not evaluated")

    def value(self, node: Element) -> Value:
        name = qti_name(node.tag)
        if name == "variable":
            ident = attr(node, "identifier")
            return self.response if ident == "RESPONSE" else self.outcomes.get(ident)
        if name == "baseValue":
            return _typed(attr(node, "baseType"), _text(node))
        if name == "correct":
            return self.correct[0] if self.cardinality == "single" else self.correct
        args = [self.value(child) for child in node]
        if name == "isNull":
            return args[0] is None or args[0] == []
        if name in {"and", "or"}:
            decisive = name == "or"  # a true sub-expression decides "or", a false one "and"
            if any(a is decisive for a in args):
                return decisive
            return None if any(a is None for a in args) else not decisive
        if name == "containerSize":
            return 0 if args[0] is None else len(args[0])
        if any(a is None for a in args):
            return None
        operator = _OPERATORS.get(name)
        if operator is None:
            raise ValueError(f"operator {name} is not evaluated")
        return operator(node, args)


def _after_first(branch: Element) -> Element:
    rest = Element("rules")
    rest.extend(list(branch)[1:])
    return rest


def _index(node: Element, args: list[Value]) -> Value:
    place = int(attr(node, "n"))
    return args[0][place - 1] if 0 < place <= len(args[0]) else None


def _equal(node: Element, args: list[Value]) -> Value:
    bounds = [float(b) for b in attr(node, "tolerance", "0").split()] or [0.0]
    if attr(node, "toleranceMode", "exact") != "absolute":
        bounds = [0.0]
    low, high = bounds[0], bounds[-1]
    return args[1] - low - 1e-9 <= args[0] <= args[1] + high + 1e-9


def _pattern(node: Element, args: list[Value]) -> Value:
    return re.fullmatch(xsd_to_python(attr(node, "pattern")), str(args[0])) is not None


def xsd_to_python(pattern: str) -> str:
    """An XML Schema regular expression (anchored, ``$``/``^`` ordinary) for ``re.fullmatch``."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif char == "$":
            out.append("\\$")
        else:
            out.append(char)
    return "".join(out)


_OPERATORS: dict[str, Callable[[Element, list[Value]], Value]] = {
    "index": _index,
    "match": lambda _n, a: a[0] == a[1],
    "equal": _equal,
    "lt": lambda _n, a: a[0] < a[1],
    "lte": lambda _n, a: a[0] <= a[1],
    "gt": lambda _n, a: a[0] > a[1],
    "gte": lambda _n, a: a[0] >= a[1],
    "not": lambda _n, a: not a[0],
    "sum": lambda _n, a: sum(a),
    "subtract": lambda _n, a: a[0] - a[1],
    "divide": lambda _n, a: None if a[1] == 0 else a[0] / a[1],
    "max": lambda _n, a: max(a),
    "patternMatch": _pattern,
}


def _typed(base_type: str, text: str) -> Value:
    """A value as its base type reads it; a number that does not parse is NULL."""
    try:
        if base_type == "integer":
            return int(text)
        if base_type == "float":
            return float(text.replace(",", "."))
    except ValueError:
        return None
    if base_type == "boolean":
        return text.strip() == "true"
    return text


def _text(element: Element) -> str:
    return "".join(element.itertext())


__all__ = ["score_item", "xsd_to_python"]
