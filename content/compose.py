"""Writing a status: `check_draft` validates and resolves (mentions, reply, media) without
writing; `insert_status` stores it with its mentions, tags and media in the caller's
transaction. `outbox` wraps both with fan-out and delivery. An article is a draft of kind
`article`: its Markdown body is rendered (`content.articles`) where a note's text is linkified,
and it names no one (no mentions, no hashtags)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import asyncpg

from actors.remote import RemoteActorError, RemoteLookup, resolve_handle
from actors.site import Site
from content import linkify
from content.access import VISIBILITIES, load_viewer, may_see, narrower
from content.articles import (
    MAX_ARTICLE_MEDIA,
    ArticleError,
    check_article_text,
    media_references,
    media_urls,
    render_markdown,
)
from content.statuses import STATUS_COLUMNS, Status, adjust_counter, get_status, status_from_row
from content.tags import set_status_tags

MAX_CHARACTERS = 5000
MAX_MEDIA = 4
MAX_SPOILER = 1000


class ComposeError(ValueError):
    """The draft cannot be posted; the message is Mastodon's 422 `error`."""


@dataclass(frozen=True, slots=True)
class Draft:
    text: str = ""
    spoiler_text: str = ""
    visibility: str = "public"
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    media_ids: tuple[int, ...] = ()
    application_id: int | None = None
    # An article (`content.articles`): `text` is its Markdown body.
    kind: str = "note"
    title: str = ""
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Checked:
    """A draft that passed the checks, with everything resolved for storing."""

    draft: Draft
    visibility: str
    content: str
    mentions: dict[int, str] = field(default_factory=dict)  # account id → handle
    tags: tuple[str, ...] = ()
    reply_to: Status | None = None


async def _resolve_handles(
    conn: asyncpg.Connection, site: Site, handles: list[str]
) -> dict[str, tuple[int, str, str]]:
    """handle → (account id, username, profile url) for accounts this node knows. Unknown
    remote handles stay text until federation resolves them (WebFinger) before posting."""
    local_domain = site.domain.lower()
    wanted: list[tuple[str, str]] = []
    for handle in handles:
        username, _, domain = handle.partition("@")
        wanted.append((username.lower(), "" if domain in ("", local_domain) else domain.lower()))
    if not wanted:
        return {}
    rows = await conn.fetch(
        """SELECT a.id, a.username, a.domain, a.url, a.uri
           FROM accounts a
           JOIN unnest($1::text[], $2::text[]) AS w(username, domain)
             ON lower(a.username) = w.username AND coalesce(lower(a.domain), '') = w.domain
           WHERE a.suspended_at IS NULL AND a.actor_type <> 'Application'""",
        [w[0] for w in wanted],
        [w[1] for w in wanted],
    )
    found: dict[str, tuple[int, str, str]] = {}
    for row in rows:
        url = (
            site.profile_url(row["username"])
            if row["domain"] is None
            else (row["url"] or row["uri"])
        )
        key = (
            row["username"].lower()
            if row["domain"] is None
            else (f"{row['username'].lower()}@{row['domain'].lower()}")
        )
        found[key] = (row["id"], row["username"], url)
        if row["domain"] is None:
            found[f"{key}@{local_domain}"] = found[key]
    return found


async def resolve_remote_mentions(
    conn: asyncpg.Connection, site: Site, text: str, remote: RemoteLookup
) -> None:
    """Resolve (WebFinger, then the actor) the remote accounts `text` mentions that this node
    does not know yet, so the mention links to them and reaches them. A handle that cannot be
    resolved, or whose domain the node does not federate with, stays text, as on Mastodon.
    Network I/O: call it outside any transaction."""
    handles, _ = linkify.extract(text.strip())
    local_domain = site.domain.lower()
    remote_handles = [h for h in handles if h.partition("@")[2] not in ("", local_domain)]
    if not remote_handles:
        return
    known = await _resolve_handles(conn, site, remote_handles)
    for handle in remote_handles:
        if handle in known:
            continue
        username, _, domain = handle.partition("@")
        try:
            await resolve_handle(
                conn, remote.client, username, domain, federation_mode=remote.federation_mode
            )
        except RemoteActorError:
            continue


def _check_article_shape(draft: Draft) -> None:
    try:
        check_article_text(draft.title, draft.summary, draft.text)
    except ArticleError as error:
        raise ComposeError(str(error)) from None
    if len(draft.media_ids) > MAX_ARTICLE_MEDIA:
        raise ComposeError(f"Validation failed: You can attach at most {MAX_ARTICLE_MEDIA} files")


def _check_shape(draft: Draft) -> None:
    text = draft.text.strip()
    if draft.visibility not in VISIBILITIES:
        raise ComposeError(f"Validation failed: Visibility {draft.visibility!r} is not valid")
    if draft.kind == "article":
        _check_article_shape(draft)
        return
    if not text and not draft.media_ids:
        raise ComposeError("Validation failed: Text can't be blank")
    if len(text) > MAX_CHARACTERS:
        raise ComposeError(f"Validation failed: Text is too long (maximum is {MAX_CHARACTERS})")
    if len(draft.spoiler_text) > MAX_SPOILER:
        raise ComposeError("Validation failed: Spoiler text is too long")
    if len(draft.media_ids) > MAX_MEDIA:
        raise ComposeError(f"Validation failed: You can attach at most {MAX_MEDIA} files")
    if len(set(draft.media_ids)) != len(draft.media_ids):
        raise ComposeError("Validation failed: The same file is attached twice")


async def _check_reply(conn: asyncpg.Connection, author_id: int, draft: Draft) -> Status | None:
    if draft.in_reply_to_id is None:
        return None
    reply_to = await get_status(conn, draft.in_reply_to_id)
    if reply_to is None or not await may_see(conn, await load_viewer(conn, author_id), reply_to.id):
        raise ComposeError("Validation failed: the status you reply to was not found")
    if reply_to.reblog_of_id is not None:
        raise ComposeError("Validation failed: a boost cannot be replied to")
    return reply_to


async def _check_media(conn: asyncpg.Connection, author_id: int, draft: Draft) -> None:
    if not draft.media_ids:
        return
    owned = await conn.fetch(
        """SELECT id, state FROM media_attachments
           WHERE id = ANY($1::bigint[]) AND account_id = $2 AND status_id IS NULL""",
        list(draft.media_ids),
        author_id,
    )
    if len(owned) != len(draft.media_ids):
        raise ComposeError("Validation failed: a media attachment was not found")
    if any(row["state"] == "failed" for row in owned):
        raise ComposeError("Validation failed: a media attachment could not be processed")
    if any(row["state"] == "processing" for row in owned):
        # Mastodon's words, which apps show as they are.
        raise ComposeError(
            "Cannot attach files that have not finished processing. Try again in a moment!"
        )


async def check_draft(
    conn: asyncpg.Connection,
    site: Site,
    author_id: int,
    draft: Draft,
    *,
    remote: RemoteLookup | None = None,
) -> Checked:
    """Validate the draft and resolve what it names. With `remote`, unknown remote mentions
    are fetched first (network I/O: call it before the posting transaction)."""
    if draft.kind == "article":
        # Images the body names are attached to the article, as uploads for a note are.
        media = tuple(dict.fromkeys((*draft.media_ids, *media_references(draft.text))))
        draft = replace(draft, text=draft.text.strip(), media_ids=media)
    _check_shape(draft)
    reply_to = await _check_reply(conn, author_id, draft)
    await _check_media(conn, author_id, draft)
    visibility = draft.visibility
    if reply_to is not None and reply_to.visibility == "local" and visibility != "direct":
        # A reply to an internal post stays internal.
        visibility = narrower(visibility, "local")

    if draft.kind == "article":
        urls = await media_urls(conn, site, author_id, draft.media_ids)
        try:
            content = render_markdown(draft.text, urls, site.media_url(""))
        except ArticleError as error:
            raise ComposeError(str(error)) from None
        return Checked(draft, visibility, content, reply_to=reply_to)

    text = draft.text.strip()
    if remote is not None:
        await resolve_remote_mentions(conn, site, text, remote)
    handles, tags = linkify.extract(text)
    resolved = await _resolve_handles(conn, site, handles)
    content = linkify.render(
        text,
        lambda h: linkify.Mentioned(resolved[h][1], resolved[h][2]) if h in resolved else None,
        site.base_url,
    )
    mentions = {resolved[h][0]: h for h in handles if h in resolved}
    mentions.pop(author_id, None)
    return Checked(draft, visibility, content, mentions, tuple(t[:100] for t in tags), reply_to)


async def insert_status(conn: asyncpg.Connection, author_id: int, checked: Checked) -> Status:
    """Store a checked draft; call inside the transaction that also fans it out."""
    draft = checked.draft
    reply_to = checked.reply_to
    row = await conn.fetchrow(
        f"""INSERT INTO statuses (account_id, visibility, text, content, spoiler_text, sensitive,
                                  language, in_reply_to_id, in_reply_to_account_id,
                                  application_id, thread_id, kind, title, summary)
            VALUES ($1, $2, $3, $4, $5,
                    -- An account a moderator marked sensitive posts sensitive media only.
                    $6 OR EXISTS (SELECT 1 FROM accounts
                                  WHERE id = $1 AND sensitized_at IS NOT NULL),
                    $7, $8, $9, $10, $11, $12, $13, $14)
            RETURNING {STATUS_COLUMNS}""",
        author_id,
        checked.visibility,
        draft.text.strip(),
        checked.content,
        draft.spoiler_text.strip(),
        draft.sensitive or bool(draft.spoiler_text.strip()),
        draft.language,
        reply_to.id if reply_to else None,
        reply_to.account_id if reply_to else None,
        draft.application_id,
        reply_to.thread_id if reply_to else None,
        draft.kind,
        draft.title.strip(),
        draft.summary.strip(),
    )
    status = status_from_row(row)
    if status.thread_id is None:
        await conn.execute("UPDATE statuses SET thread_id = id WHERE id = $1", status.id)
    if checked.mentions:
        await conn.execute(
            """INSERT INTO mentions (status_id, account_id)
               SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING""",
            status.id,
            list(checked.mentions),
        )
    await set_status_tags(conn, status.id, checked.tags)
    if draft.media_ids:
        await conn.execute(
            """UPDATE media_attachments SET status_id = $1
               WHERE id = ANY($2::bigint[]) AND account_id = $3 AND status_id IS NULL""",
            status.id,
            list(draft.media_ids),
            author_id,
        )
    if reply_to is not None:
        await adjust_counter(conn, reply_to.id, "replies_count", 1)
    refreshed = await get_status(conn, status.id)
    assert refreshed is not None
    return refreshed
