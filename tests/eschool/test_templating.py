"""The pages' template environment reads ``a.b`` on a dict as Jinja does: the item, the dict's
own methods, undefined for a missing key (strict or not), attributes of everything else."""

from __future__ import annotations

from collections import OrderedDict
from types import SimpleNamespace

import pytest
from jinja2 import Environment, StrictUndefined, UndefinedError

from eschool.templating import PageEnvironment, create_templates

SOURCE = (
    "{{ d.value }}|{{ d.missing is defined }}|{{ d.items()|list|length }}|{{ d.get('value') }}"
    "|{{ o.value }}|{{ od.value }}|{{ d['value'] }}|{{ keyed.items }}|{{ keyed.keys is callable }}"
)
DATA = {
    "d": {"value": "5"},
    "o": SimpleNamespace(value="4"),
    "od": OrderedDict(value="3"),  # a dict subclass: Jinja's own way
    # A key named like a dict method: the method wins, as in Jinja.
    "keyed": {"keys": "k", "items": "i"},
}


def test_the_same_text_as_jinjas_own_environment() -> None:
    ours = PageEnvironment(autoescape=True).from_string(SOURCE).render(DATA)
    theirs = Environment(autoescape=True).from_string(SOURCE).render(DATA)
    assert ours == theirs
    assert ours.startswith("5|False|1|5|4|3|5|&lt;built-in method items")


def test_a_missing_key_is_undefined_as_configured() -> None:
    strict = PageEnvironment(undefined=StrictUndefined).from_string("{{ d.missing }}")
    with pytest.raises(UndefinedError, match="missing"):
        strict.render(d={"value": "5"})
    assert PageEnvironment().from_string("[{{ d.missing }}]").render(d={}) == "[]"


def test_the_pages_use_it() -> None:
    assert isinstance(create_templates().env, PageEnvironment)
