"""Response processing that makes a QTI 3.0 engine score our questions as we do.

- ``text``: our scoring folds case, ``ё`` into ``е``, NFKC and runs of spaces
  (:func:`lessons.scoring.normalize_text_answer`); QTI's ``case-sensitive="false"`` folds case
  only. Each accepted answer becomes a ``qti-pattern-match`` (an XML Schema regular
  expression, implicitly anchored) whose letters are classes of their spellings
  (``[еёЕЁ]``, ``[pP]``) with ``\\s*`` around and ``\\s+`` between words; the item scores 1
  when any matches.
- ``number``: a ``qti-equal`` with an absolute tolerance against the correct value.
- ``order``: our credit is ``(L - 1) / (n - 1)``, ``L`` the longest run of items already in
  the right relative order. With ``qti-index`` and ``qti-match`` the processing finds each
  item's place in the answer (outcomes ``POS0…``), then computes the longest run ending at
  each item in key order (``RUN0…``: 1 + the longest run of an earlier key item placed
  before it), takes their ``qti-max`` (``BEST``) and sets ``SCORE`` to ``(BEST-1)/(n-1)``
  when the answer holds every item once.

Every item also declares ``SCORE`` (0..1) and ``MAXSCORE`` (the question's points).
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from lessons.exchange.markdown_xhtml import xml_text
from lessons.scoring import normalize_text_answer

# XML Schema regular expressions' metacharacters (``$`` is an ordinary character there).
_XSD_META = frozenset("\\|.-^?*+{}()[]")
_E_VARIANTS = "еёЕЁ"


def _var(name: str) -> str:
    return f'<qti-variable identifier="{name}"/>'


def _value(base_type: str, value: object) -> str:
    return f'<qti-base-value base-type="{base_type}">{value}</qti-base-value>'


def _set(name: str, expression: str) -> str:
    return f'<qti-set-outcome-value identifier="{name}">{expression}</qti-set-outcome-value>'


def _when(condition: str, rule: str) -> str:
    return (
        f"<qti-response-condition><qti-response-if>{condition}{rule}"
        "</qti-response-if></qti-response-condition>"
    )


def _processing(rules: str) -> str:
    return f"<qti-response-processing>{rules}</qti-response-processing>"


def text_pattern(answer: str) -> str:
    """An XML Schema pattern accepting what our scoring accepts for ``answer`` (case, ё/е,
    spaces); ``""`` for an answer that normalises to nothing."""
    words = normalize_text_answer(xml_text(answer)).split()
    return r"\s*" + r"\s+".join("".join(map(_letter, w)) for w in words) + r"\s*" if words else ""


def _letter(char: str) -> str:
    spellings = {char, char.lower(), char.upper(), char.title()}
    if char in _E_VARIANTS:
        spellings |= set(_E_VARIANTS)
    single = sorted(s for s in spellings if len(s) == 1)
    if len(single) > 1:
        return "[" + "".join(single) + "]"
    return "\\" + char if char in _XSD_META else char


def text_processing(answers: list[str]) -> str:
    patterns = [p for p in map(text_pattern, answers) if p]
    matches = "".join(
        f"<qti-pattern-match pattern={quoteattr(p)}>{_var('RESPONSE')}</qti-pattern-match>"
        for p in patterns
    )
    return _processing(_when(f"<qti-or>{matches}</qti-or>", _set("SCORE", _value("float", 1))))


def number_processing(tolerance: float | int) -> str:
    equal = (
        f'<qti-equal tolerance-mode="absolute" tolerance="{tolerance} {tolerance}">'
        f'{_var("RESPONSE")}<qti-correct identifier="RESPONSE"/></qti-equal>'
    )
    return _processing(_when(equal, _set("SCORE", _value("float", 1))))


def order_outcomes(count: int) -> str:
    """The integer outcomes :func:`order_processing` works with."""
    names = [*(f"POS{k}" for k in range(count)), *(f"RUN{k}" for k in range(count)), "BEST"]
    return "".join(
        f'<qti-outcome-declaration identifier="{name}" cardinality="single" base-type="integer">'
        "<qti-default-value><qti-value>0</qti-value></qti-default-value>"
        "</qti-outcome-declaration>"
        for name in names
    )


def order_processing(key: list[str]) -> str:
    """Partial credit for an ordering of the identifiers ``key`` (in the right order)."""
    count = len(key)
    rules: list[str] = []
    for place in range(1, count + 1):
        item = f'<qti-index n="{place}">{_var("RESPONSE")}</qti-index>'
        branches = "".join(
            f"<qti-response-{'if' if k == 0 else 'else-if'}>"
            f"<qti-match>{item}{_value('identifier', ident)}</qti-match>"
            f"{_set(f'POS{k}', _value('integer', place))}"
            f"</qti-response-{'if' if k == 0 else 'else-if'}>"
            for k, ident in enumerate(key)
        )
        rules.append(f"<qti-response-condition>{branches}</qti-response-condition>")
    for later in range(count):
        rules.append(_set(f"RUN{later}", _value("integer", 1)))
        for earlier in range(later):
            condition = (
                f"<qti-and><qti-lt>{_var(f'POS{earlier}')}{_var(f'POS{later}')}</qti-lt>"
                f"<qti-gte>{_var(f'RUN{earlier}')}{_var(f'RUN{later}')}</qti-gte></qti-and>"
            )
            longer = f"<qti-sum>{_var(f'RUN{earlier}')}{_value('integer', 1)}</qti-sum>"
            rules.append(_when(condition, _set(f"RUN{later}", longer)))
    runs = "".join(_var(f"RUN{k}") for k in range(count))
    rules.append(_set("BEST", f"<qti-max>{runs}</qti-max>"))
    complete = (
        "<qti-and><qti-match>"
        f"<qti-container-size>{_var('RESPONSE')}</qti-container-size>"
        f"{_value('integer', count)}</qti-match>"
        + "".join(f"<qti-gt>{_var(f'POS{k}')}{_value('integer', 0)}</qti-gt>" for k in range(count))
        + "</qti-and>"
    )
    credit = (
        f"<qti-divide><qti-subtract>{_var('BEST')}{_value('integer', 1)}</qti-subtract>"
        f"{_value('float', max(count - 1, 1))}</qti-divide>"
    )
    rules.append(_when(complete, _set("SCORE", credit)))
    return _processing("".join(rules))
