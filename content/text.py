"""Plain text as Mastodon renders it to HTML: paragraphs on blank lines, `<br>` on single line
breaks, everything escaped. (Links, mentions and hashtags are added by the status composer.)"""

from __future__ import annotations

import html
import re

_PARAGRAPHS = re.compile(r"\n{2,}")


def plain_to_html(text: str) -> str:
    text = text.replace("\r\n", "\n").strip("\n")
    if not text:
        return ""
    paragraphs = _PARAGRAPHS.split(text)
    return "".join(
        "<p>" + "<br>".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
