"""Articles: long-form posts members write in Markdown. An article is a status of kind
`article` (its title and summary beside it, its Markdown source in `text`, the whole body as
sanitised HTML in `content`), so every rule of statuses holds for it unchanged.

Markdown is CommonMark through markdown-it-py with raw HTML disabled (written HTML shows as
text), plus tables and strikethrough; the HTML it makes still goes through the article
sanitiser (`content.sanitise`), so what is stored is safe whatever the renderer lets by.
An image names one of the author's uploads, as `![alt](media:ID)` or by its URL on this node."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import asyncpg
from markdown_it import MarkdownIt
from markdown_it.token import Token

from actors.site import Site
from content.access import Viewer, visible_sql
from content.sanitise import sanitise_article_html

MAX_TITLE = 200
MAX_SUMMARY = 1000
MAX_BODY = 100_000  # characters of Markdown
MAX_ARTICLE_MEDIA = 16
_MEDIA_REFERENCE = re.compile(r"^media:(\d{1,19})$")

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


class ArticleError(ValueError):
    """The article cannot be stored; the message is Mastodon's 422 `error`."""


def check_article_text(title: str, summary: str, body: str) -> None:
    """Raises ArticleError for a missing title or body, or anything too long."""
    if not title.strip():
        raise ArticleError("Validation failed: Title can't be blank")
    if len(title.strip()) > MAX_TITLE:
        raise ArticleError(f"Validation failed: Title is too long (maximum is {MAX_TITLE})")
    if len(summary.strip()) > MAX_SUMMARY:
        raise ArticleError(f"Validation failed: Summary is too long (maximum is {MAX_SUMMARY})")
    if not body.strip():
        raise ArticleError("Validation failed: Body can't be blank")
    if len(body) > MAX_BODY:
        raise ArticleError(f"Validation failed: Body is too long (maximum is {MAX_BODY})")


def _images(tokens: Iterable[Token]) -> Iterable[Token]:
    for token in tokens:
        if token.type == "image":
            yield token
        if token.children:
            yield from _images(token.children)


def media_references(body: str) -> tuple[int, ...]:
    """Upload ids the body's images name with `media:ID`, each once, in order."""
    ids = []
    for token in _images(_MARKDOWN.parse(body)):
        match = _MEDIA_REFERENCE.match(str(token.attrGet("src") or ""))
        if match:
            ids.append(int(match[1]))
    return tuple(dict.fromkeys(ids))


def render_markdown(body: str, media_urls: dict[int, str], media_prefix: str) -> str:
    """The body as sanitised HTML. `media:ID` images take the upload's URL from `media_urls`
    (ids missing there raise ArticleError); images from anywhere but `media_prefix` (this
    node's media) are dropped by the sanitiser."""
    tokens = _MARKDOWN.parse(body)
    for token in _images(tokens):
        match = _MEDIA_REFERENCE.match(str(token.attrGet("src") or ""))
        if match:
            url = media_urls.get(int(match[1]))
            if url is None:
                raise ArticleError("Validation failed: a media attachment was not found")
            token.attrSet("src", url)
    rendered = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return sanitise_article_html(rendered, media_prefix)


def teaser_html(title: str, summary: str, link: str) -> str:
    """What Mastodon apps show of an article: its title, its summary and a link to read it
    all — the shape Mastodon itself gives an Article it receives (name, summary, url)."""
    parts = []
    if title:
        parts.append(f"<p><strong>{html.escape(title)}</strong></p>")
    if summary:
        parts.append(f"<p>{html.escape(summary)}</p>")
    parts.append(f'<p><a href="{html.escape(link)}">Read the article</a></p>')
    return "".join(parts)


def article_path(handle: str, status_id: int) -> str:
    """The article page on this node; `handle` is `name` for ours, `name@domain` for others'."""
    return f"/@{handle}/articles/{status_id}"


def article_url(site: Site, handle: str, status_id: int) -> str:
    return f"{site.base_url}{article_path(handle, status_id)}"


async def article_ids(
    conn: asyncpg.Connection,
    viewer: Viewer,
    *,
    account_id: int | None = None,
    max_id: int | None = None,
    limit: int = 20,
) -> list[int]:
    """Ids of the articles the viewer may see, newest first (of one author, when given)."""
    rows = await conn.fetch(
        f"""SELECT s.id FROM statuses s
            JOIN accounts a ON a.id = s.account_id AND a.suspended_at IS NULL
            WHERE s.kind = 'article' AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL
              AND {visible_sql("s", "$1", viewer)}
              AND ($2::bigint IS NULL OR s.account_id = $2)
              AND ($3::bigint IS NULL OR s.id < $3)
            ORDER BY s.id DESC LIMIT $4""",
        viewer.account_id,
        account_id,
        max_id,
        limit,
    )
    return [row["id"] for row in rows]


async def media_urls(
    conn: asyncpg.Connection, site: Site, author_id: int, ids: Iterable[int]
) -> dict[int, str]:
    """URLs of the author's processed uploads among `ids` (images an article may show)."""
    rows = await conn.fetch(
        """SELECT id, file_key FROM media_attachments
           WHERE id = ANY($1::bigint[]) AND account_id = $2 AND file_key IS NOT NULL""",
        list(ids),
        author_id,
    )
    return {row["id"]: site.media_url(row["file_key"]) for row in rows}
