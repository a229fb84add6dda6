"""Plain text to Mastodon's HTML: paragraphs, line breaks, links shortened the way Mastodon
shows them, `@mentions` as h-cards and `#hashtags` with `rel="tag"`. Hand-written because the
output must match what Mastodon apps style (`invisible`/`ellipsis` spans, `h-card`), which no
general linkifier produces; all text between tokens is escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

# Mastodon's Account::MENTION_RE and Tag::HASHTAG_RE, narrowed to Python's `re`.
MENTION = re.compile(r"(?<![=/\w])@([a-z0-9_]+(?:@[\w.-]+\w+)?)", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![=/)\w&])#(\w*[^\W\d_]\w*)")
URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TOKEN = re.compile(
    f"(?P<url>{URL.pattern})|(?P<mention>{MENTION.pattern})|(?P<tag>{HASHTAG.pattern})",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\""
_VISIBLE = 30


@dataclass(frozen=True, slots=True)
class Mentioned:
    """A resolved mention: what `@handle` in the text points at."""

    username: str
    url: str


def _trim_url(url: str) -> str:
    while url and url[-1] in _TRAILING + ")]}":
        if url[-1] in ")]}" and url.count({")": "(", "]": "[", "}": "{"}[url[-1]]) >= url.count(
            url[-1]
        ):
            break
        url = url[:-1]
    return url


def link_html(url: str) -> str:
    scheme, _, rest = url.partition("://")
    prefix = scheme + "://"
    if rest.startswith("www."):
        prefix, rest = prefix + "www.", rest[4:]
    shown, hidden = rest[:_VISIBLE], rest[_VISIBLE:]
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{html.escape(prefix)}</span>'
        f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(hidden)}</span></a>'
    )


def mention_html(mentioned: Mentioned) -> str:
    return (
        f'<span class="h-card" translate="no"><a href="{html.escape(mentioned.url)}" '
        f'class="u-url mention">@<span>{html.escape(mentioned.username)}</span></a></span>'
    )


def hashtag_html(tag: str, base_url: str) -> str:
    return (
        f'<a href="{html.escape(base_url)}/tags/{html.escape(tag.lower())}" '
        f'class="mention hashtag" rel="tag">#<span>{html.escape(tag)}</span></a>'
    )


def extract(text: str) -> tuple[list[str], list[str]]:
    """The handles mentioned (without `@`) and the hashtags used, in order, each once."""
    handles: dict[str, None] = {}
    tags: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        if match["mention"]:
            handles.setdefault(match["mention"][1:].lower(), None)
        elif match["tag"]:
            tags.setdefault(match["tag"][1:], None)
    return list(handles), list(tags)


def _line(text: str, resolve: Callable[[str], Mentioned | None], base_url: str) -> str:
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        token = match.group()
        if match["url"]:
            token = _trim_url(token)
            end = start + len(token)
            rendered = link_html(token)
        elif match["mention"]:
            mentioned = resolve(token[1:].lower())
            rendered = mention_html(mentioned) if mentioned else html.escape(token)
        else:
            rendered = hashtag_html(token[1:], base_url)
        out.append(html.escape(text[position:start], quote=False))
        out.append(rendered)
        position = end
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)


def render(text: str, resolve: Callable[[str], Mentioned | None], base_url: str) -> str:
    """HTML for a status written in plain text; `resolve` maps a lower-cased handle
    (`name` or `name@domain`) to the account it mentions, or None to leave it as text."""
    text = text.replace("\r\n", "\n").strip("\n")
    if not text.strip():
        return ""
    paragraphs = re.split(r"\n{2,}", text)
    return "".join(
        "<p>" + "<br>".join(_line(line, resolve, base_url) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
