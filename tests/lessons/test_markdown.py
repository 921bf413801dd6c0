import re
from html.parser import HTMLParser

import pytest

from lessons.markdown import markdown_to_text, render_markdown, sanitize_html

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "span": {"class"},
    "div": {"class"},
}
ALLOWED_TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    *("p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "pre", "code"),
    *("em", "strong", "del", "s", "a", "img", "span", "div", "blockquote", "hr", "br"),
}
MATH_CLASSES = {"span": {"math-inline", ""}, "div": {"math-block", ""}}
# What a browser ignores inside a URL scheme: C0 controls and spaces (WHATWG URL parsing).
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]")


class UnsafeHtml(AssertionError):
    pass


class AllowListChecker(HTMLParser):
    """Fails on any tag, attribute, class or URL outside the allow-list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise UnsafeHtml(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                raise UnsafeHtml(f"attribute {name} on <{tag}>")
            check_attribute(tag, name, value or "")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        raise UnsafeHtml("comment")

    def handle_decl(self, decl: str) -> None:
        raise UnsafeHtml("declaration")

    def handle_pi(self, data: str) -> None:
        raise UnsafeHtml("processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise UnsafeHtml("unknown declaration")


def check_attribute(tag: str, name: str, value: str) -> None:
    if name == "class" and value not in MATH_CLASSES[tag]:
        raise UnsafeHtml(f"class {value!r} on <{tag}>")
    if name == "rel" and value != "noopener noreferrer":
        raise UnsafeHtml(f"rel {value!r}")
    if name == "align" and value not in {"left", "center", "right"}:
        raise UnsafeHtml(f"align {value!r}")
    if name == "href":
        url = _IGNORED_IN_SCHEME.sub("", value).lower()
        scheme = url.split(":", 1)[0] if ":" in url.split("/", 1)[0] else ""
        if scheme not in {"", "http", "https", "mailto"}:
            raise UnsafeHtml(f"href {value!r}")
    if name == "src" and not (
        value.startswith("https://") or (value.startswith("/assets/") and ".." not in value)
    ):
        raise UnsafeHtml(f"src {value!r}")


def assert_safe(html: str) -> None:
    checker = AllowListChecker()
    checker.feed(html)
    checker.close()


@pytest.mark.parametrize(
    "bad",
    [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<img src="http://tracker.example/x.png">',
        '<p style="color:red">x</p>',
        '<span class="evil">x</span>',
        "<!-- x -->",
        '<a href="https://x" onclick="y">x</a>',
    ],
)
def test_the_checker_itself_catches_unsafe_html(bad: str) -> None:
    with pytest.raises(UnsafeHtml):
        assert_safe(bad)


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="/assets/x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;script&#x3A;alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href=" \x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="https://ok.example" onclick="alert(1)" style="color:red">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<style>body { display: none }</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<div onclick="alert(1)" class="math-block evil">x</div>',
    '<span class="math-inline" onmouseover="alert(1)">x</span>',
    "<details open ontoggle=alert(1)>x</details>",
    '<table background="javascript:alert(1)"><tr><td style="x">1</td></tr></table>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<img src="//evil.example/track.png">',
    '<img src="http://evil.example/track.png">',
    '<img src="/assets/../api/v1/me">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](http://tracker.example/pixel.gif)",
    "<javascript:alert(1)>",
    "$<img src=x onerror=alert(1)>$",
    "$$\n</div><script>alert(1)</script>\n$$",
    "```\n<script>alert(1)</script>\n```",
    "> <img src=x onerror=alert(1)>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_markdown_renders_to_allow_listed_html(hostile: str) -> None:
    assert_safe(render_markdown(hostile))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_is_sanitized_even_without_markdown(hostile: str) -> None:
    html = sanitize_html(hostile)
    assert_safe(html)
    assert "<script" not in html.lower()


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    html = render_markdown("Say <b>hi</b>")
    assert html == "<p>Say &lt;b&gt;hi&lt;/b&gt;</p>\n"


def test_table_with_alignment_and_no_style() -> None:
    html = render_markdown("| name | mark |\n|:--|--:|\n| Ann | 5 |\n")
    assert "<table>" in html
    assert '<th align="left">name</th>' in html
    assert '<td align="right">5</td>' in html
    assert "style" not in html
    assert_safe(html)


def test_code_is_escaped_and_kept() -> None:
    html = render_markdown("Use `a < b`.\n\n```python\nif a < b:\n    pass\n```\n")
    assert "<code>a &lt; b</code>" in html
    assert "<pre><code>if a &lt; b:\n    pass\n</code></pre>" in html


def test_math_is_left_as_escaped_tex_for_the_client() -> None:
    html = render_markdown("Area $\\pi r^2 < 4$ and\n\n$$\n\\frac{1}{2} > x\n$$\n")
    assert '<span class="math-inline">\\pi r^2 &lt; 4</span>' in html
    assert '<div class="math-block">\\frac{1}{2} &gt; x</div>' in html
    assert_safe(html)


def test_a_plain_dollar_amount_is_not_math() -> None:
    assert "math" not in render_markdown("It costs $5 or $ 6, and $7$8 too.")


def test_links_keep_safe_urls_and_gain_rel() -> None:
    html = render_markdown(
        '[site](https://example.org/a?b=1 "Example") [mail](mailto:t@school.example) '
        "[page](/lessons/5) [anchor](#top)"
    )
    assert (
        '<a href="https://example.org/a?b=1" title="Example" rel="noopener noreferrer">site</a>'
        in html
    )
    assert '<a href="mailto:t@school.example" rel="noopener noreferrer">mail</a>' in html
    assert '<a href="/lessons/5" rel="noopener noreferrer">page</a>' in html
    assert '<a href="#top" rel="noopener noreferrer">anchor</a>' in html


def test_images_only_from_the_asset_store_or_https() -> None:
    local = "/assets/" + "a" * 64
    html = render_markdown(f"![plan]({local}) ![logo](https://cdn.example/l.png) ![x](http://x/y)")
    assert f'<img src="{local}" alt="plan">' in html
    assert '<img src="https://cdn.example/l.png" alt="logo">' in html
    assert '<img alt="x">' in html


def test_formatting_survives() -> None:
    html = render_markdown("# T\n\n*e* **s** ~~d~~\n\n> q\n\n- a\n- b\n\n3. c\n\n---\nx  \ny")
    for fragment in ("<h1>T</h1>", "<em>e</em>", "<strong>s</strong>", "<s>d</s>"):
        assert fragment in html
    for fragment in ("<blockquote>", "<ul>", '<ol start="3">', "<hr>", "<br>"):
        assert fragment in html


def test_markdown_to_text_drops_markup() -> None:
    text = markdown_to_text("# Title\n\n**Bold** [link](https://x.example) ![alt](/assets/a)")
    assert text == "Title Bold link alt"
