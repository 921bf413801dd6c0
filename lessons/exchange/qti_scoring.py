"""A small evaluator of the QTI 3.0 response processing ``write_qti3`` emits: the
``match_correct`` and ``map_response`` templates and the numeric ``qti-equal`` with an
absolute tolerance. Returns points (``SCORE`` × ``MAXSCORE``) so tests can compare the item's
own rules with :func:`lessons.scoring.score_question` on the same answers."""

from __future__ import annotations

from lessons.exchange.qti_items import attr, find_all
from lessons.exchange.safe_xml import parse_xml


def score_item(item_xml: bytes, response: list[str] | str | None) -> float:
    """Points for ``response`` (identifiers, a string, a number as text) by the item's rules."""
    item = parse_xml(item_xml)
    declaration = find_all(item, "responseDeclaration")[0]
    cardinality = attr(declaration, "cardinality")
    correct = ["".join(v.itertext()) for v in find_all(declaration, "value")]
    maxscore = 1.0
    for outcome in find_all(item, "outcomeDeclaration"):
        if attr(outcome, "identifier") == "MAXSCORE":
            maxscore = float("".join(find_all(outcome, "value")[0].itertext()))
    given = [] if response is None else [response] if isinstance(response, str) else response
    processing = find_all(item, "responseProcessing")[0]
    template = attr(processing, "template")
    if template.endswith("map_response.xml"):
        mapping = find_all(declaration, "mapping")[0]
        entries = find_all(mapping, "mapEntry")
        total, seen = 0.0, set()
        for value in given:
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
        return round(total * maxscore, 6)
    if template.endswith("match_correct.xml"):
        if cardinality == "multiple":
            ok = sorted(given) == sorted(correct)
        else:
            ok = list(given) == correct
        return maxscore if ok else 0.0
    equal = find_all(processing, "equal")[0]
    tolerance = max(float(part) for part in attr(equal, "tolerance", "0").split())
    try:
        value = float(given[0].replace(",", "."))
    except (IndexError, ValueError):
        return 0.0
    return maxscore if abs(value - float(correct[0])) <= tolerance + 1e-9 else 0.0
