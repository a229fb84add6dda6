"""The one place HTML from outside is cleaned, with nh3 (the maintained Rust `ammonia`
sanitiser; bleach is unmaintained since June 2026). The allow-list follows Mastodon's strict
config: text formatting, links, lists and quotes; no images, scripts, styles or ids; only
microformat and Mastodon classes; links open safely. Articles (long-form posts) get a wider
list — images and tables — with images only from this node's own media, so reading an
article never makes a member's browser fetch from elsewhere."""

from __future__ import annotations

import html
import re

import nh3

_TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
    "em", "ul", "ol", "li", "ruby", "rt", "rp", "h1", "h2", "h3", "h4", "h5", "h6", "sub", "sup",
    "hr",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "class", "translate"},
    "span": {"class", "translate"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "code": {"class"},
}
_SCHEMES = {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet",
            "gemini"}  # fmt: skip
_CLASS = re.compile(r"^(h|p|u|dt|e)-|^(mention|hashtag|ellipsis|invisible|language-\w+)$")
_CLEAN_CONTENT = {"script", "style", "template", "iframe", "object", "embed", "noscript"}


def _keep_class(element: str, attribute: str, value: str) -> str | None:
    if attribute != "class":
        return value
    kept = [name for name in value.split() if _CLASS.search(name)]
    return " ".join(kept) or None


def sanitise_html(fragment: str) -> str:
    """Clean HTML from another server (or any HTML not made by our own renderer)."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags=_CLEAN_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_class,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


_ARTICLE_TAGS = _TAGS | {"img", "table", "thead", "tbody", "tr", "th", "td"}
_ARTICLE_ATTRIBUTES = {
    **_ATTRIBUTES,
    "img": {"src", "alt", "title"},
    "th": {"style"},
    "td": {"style"},
}
_ALIGNMENT = re.compile(r"^text-align:(left|center|right)$")


def sanitise_article_html(fragment: str, media_prefix: str | None) -> str:
    """Clean an article's HTML (ours rendered from Markdown, or another server's). An image
    is kept only when its `src` starts with `media_prefix` (this node's media URL; None keeps
    no image); table cells keep only their alignment (what Markdown tables produce)."""

    def keep(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src":
            return value if media_prefix and value.startswith(media_prefix) else None
        if attribute == "style":
            return value if _ALIGNMENT.match(value.replace(" ", "")) else None
        return _keep_class(element, attribute, value)

    return nh3.clean(
        fragment,
        tags=_ARTICLE_TAGS,
        clean_content_tags=_CLEAN_CONTENT,
        attributes=_ARTICLE_ATTRIBUTES,
        attribute_filter=keep,
        url_schemes=_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (for search, summaries and plain-text sources)."""
    spaced = re.sub(r"(?i)<br\s*/?>|</p>\s*<p[^>]*>", "\n", fragment)
    return html.unescape(nh3.clean(spaced, tags=set())).strip()
