"""Markdown to safe HTML for articles: what members write is kept (headings, lists, code,
links, emphasis, quotes, tables, images from this node's media), and nothing that could run
in a reader's browser survives — scripts, event handlers, `javascript:` links and raw HTML
written in the Markdown are removed or shown as text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from content.articles import ArticleError, media_references, render_markdown
from content.sanitise import sanitise_article_html

MEDIA = "https://rukun.test/system/"


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def render(body: str, media: dict[int, str] | None = None) -> str:
    return render_markdown(body, media or {}, MEDIA)


def test_the_writing_is_kept() -> None:
    html = render(
        "# One\n\n### Three\n\n*em* **strong** ~~gone~~ `code`\n\n"
        "- a\n- b\n\n3. c\n\n> quoted\n\n```python\nx = '<y>'\n```\n\n"
        "[docs](https://example.com/a?b=1)\n\n---\n\n| h | i |\n|---|:-:|\n| 1 | 2 |\n"
    )
    assert "<h1>One</h1>" in html and "<h3>Three</h3>" in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert "<s>gone</s>" in html and "<code>code</code>" in html
    assert "<ul>\n<li>a</li>\n<li>b</li>\n</ul>" in html
    assert '<ol start="3">' in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert "<pre><code class=\"language-python\">x = '&lt;y&gt;'\n</code></pre>" in html
    assert (
        '<a href="https://example.com/a?b=1" target="_blank" '
        'rel="nofollow noopener noreferrer">docs</a>'
    ) in html
    assert "<hr>" in html
    assert '<th style="text-align:center">i</th>' in html and "<td>1</td>" in html


def test_images_come_from_this_nodes_media_only() -> None:
    html = render(
        "![by id](media:7) ![by url](https://rukun.test/system/k/b.png) "
        "![elsewhere](https://tracker.example/pixel.png)",
        {7: "https://rukun.test/system/k/a.png"},
    )
    assert '<img src="https://rukun.test/system/k/a.png" alt="by id">' in html
    assert '<img src="https://rukun.test/system/k/b.png" alt="by url">' in html
    assert "tracker.example" not in html
    assert media_references("![a](media:7) ![b](media:9) ![c](media:7) [d](media:3)") == (7, 9)


def test_an_image_naming_an_unknown_upload_is_refused() -> None:
    with pytest.raises(ArticleError, match="a media attachment was not found"):
        render("![x](media:8)", {7: "https://rukun.test/system/k/a.png"})


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](vbscript:msgbox(1))",
        "![x](javascript:alert(1))",
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<div onclick="alert(1)">x</div>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_nothing_that_runs_survives(body: str) -> None:
    for tag, attributes in elements(render(body)):
        assert tag in ("p", "a", "img")
        assert not any(name.startswith("on") for name in attributes)
        for name in ("href", "src"):
            assert (attributes.get(name) or "https:").startswith(("https:", "http:"))


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    assert render("Hello <b>there</b>") == "<p>Hello &lt;b&gt;there&lt;/b&gt;</p>\n"


def test_the_sanitiser_cleans_html_from_elsewhere_too() -> None:
    dirty = (
        '<h2 onclick="x">T</h2><p style="color:red">p</p><img src="https://rukun.test/system/a">'
        '<table><tr><td style="background:url(x)">c</td></tr></table><script>x</script>'
    )
    assert sanitise_article_html(dirty, MEDIA) == (
        '<h2>T</h2><p>p</p><img src="https://rukun.test/system/a">'
        "<table><tbody><tr><td>c</td></tr></tbody></table>"
    )
    assert "<img>" in sanitise_article_html(dirty, None)
