"""Search, as Mastodon's SearchService decides what to look for:

- accounts by username or display name prefix, case-insensitive (`@ann`, `ann@example.com`);
- statuses by PostgreSQL full text (`statuses.search`, the `simple` configuration) among those
  the viewer may see (`content.access`), leaving out authors the viewer blocks or mutes;
- hashtags by name prefix.

With `resolve`, a URL or a `user@domain` handle is looked up as one thing: known statuses and
accounts are found here; an unknown remote account is fetched (`resolve_remote`: WebFinger for
a handle, the actor document for a URL) when a federation client is given."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import asyncpg

from actors.profiles import AccountView, load_accounts
from actors.remote import RemoteActorError, RemoteLookup, resolve_actor, resolve_handle
from actors.site import Site
from content.access import Viewer, account_visible_sql, visible_accounts, visible_sql
from content.status_views import StatusView, load_status_views

KINDS = ("accounts", "statuses", "hashtags")
_URL = re.compile(r"^https?://", re.IGNORECASE)
_LOCAL_STATUS = re.compile(r"^/(?:@([^/]+)|users/([^/]+)/statuses)/(\d{1,19})/?$")
_LOCAL_ACCOUNT = re.compile(r"^/(?:@([^/]+)|users/([^/]+))/?$")
_TAG_NAME = re.compile(r"^[\w·]*[^\W\d_][\w·]*$")


@dataclass(frozen=True, slots=True)
class Tag:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    kind: str | None = None  # one of KINDS, or None for all three
    resolve: bool = False
    following: bool = False
    account_id: int | None = None
    max_id: int | None = None
    min_id: int | None = None
    limit: int = 20
    offset: int = 0


@dataclass(slots=True)
class SearchResults:
    accounts: list[AccountView] = field(default_factory=list)
    statuses: list[StatusView] = field(default_factory=list)
    hashtags: list[Tag] = field(default_factory=list)


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching what starts with `text`, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.lower() + "%"


# --- accounts -----------------------------------------------------------------------------


async def search_accounts(
    conn: asyncpg.Connection,
    viewer: Viewer,
    text: str,
    *,
    local_domain: str,
    limit: int = 20,
    offset: int = 0,
    following: bool = False,
) -> list[int]:
    """Account ids whose username (or, without a domain, display name or a word of it) starts
    with `text`; `user@domain` narrows to that domain. Exact usernames come first, then local
    accounts. Suspended accounts, the instance actor and those blocking the viewer are left out."""
    handle = text.strip().lstrip("@")
    username, _, domain = handle.partition("@")
    if not username:
        return []
    domain = domain.lower()
    local_only = domain == local_domain.lower()
    rows = await conn.fetch(
        f"""SELECT a.id FROM accounts a
           WHERE a.suspended_at IS NULL AND a.actor_type <> 'Application'
             AND (lower(a.username) LIKE $2
                  OR ($3 = '' AND (lower(a.display_name) LIKE $2
                                   OR lower(a.display_name) LIKE '% ' || $2)))
             AND ($3 = '' OR ($4 AND a.domain IS NULL) OR lower(a.domain) LIKE $5)
             AND NOT EXISTS (SELECT 1 FROM blocks b
                             WHERE b.account_id = a.id AND b.target_account_id = $1)
             AND NOT EXISTS (SELECT 1 FROM blocks b
                             WHERE b.account_id = $1 AND b.target_account_id = a.id)
             AND {account_visible_sql("a.id", "$1", viewer)}
             AND (NOT $6 OR EXISTS (SELECT 1 FROM follows f
                                    WHERE f.account_id = $1 AND f.target_account_id = a.id))
           ORDER BY lower(a.username) = $7 DESC, a.domain IS NULL DESC, lower(a.username), a.id
           LIMIT $8 OFFSET $9""",
        viewer.account_id,
        _like_prefix(username),
        domain,
        local_only,
        _like_prefix(domain),
        following,
        username.lower(),
        limit,
        offset,
    )
    return [row["id"] for row in rows]


# --- statuses -----------------------------------------------------------------------------


async def search_statuses(
    conn: asyncpg.Connection,
    viewer: Viewer,
    text: str,
    *,
    account_id: int | None = None,
    max_id: int | None = None,
    min_id: int | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[int]:
    """Ids of statuses matching `text` (web-search syntax: "quoted phrases", or, -not), newest
    first; with `min_id`, the ones just after it."""
    rows = await conn.fetch(
        f"""SELECT s.id FROM statuses s
            JOIN accounts a ON a.id = s.account_id AND a.suspended_at IS NULL
            WHERE s.search @@ websearch_to_tsquery('simple', $2)
              AND s.reblog_of_id IS NULL
              AND {visible_sql("s", "$1", viewer)}
              AND NOT EXISTS (SELECT 1 FROM blocks b
                              WHERE b.account_id = $1 AND b.target_account_id = s.account_id)
              AND NOT EXISTS (SELECT 1 FROM mutes m
                              WHERE m.account_id = $1 AND m.target_account_id = s.account_id
                                AND (m.expires_at IS NULL OR m.expires_at > now()))
              AND ($3::bigint IS NULL OR s.account_id = $3)
              AND ($4::bigint IS NULL OR s.id < $4)
              AND ($5::bigint IS NULL OR s.id > $5)
            ORDER BY CASE WHEN $5::bigint IS NULL THEN -s.id ELSE s.id END
            LIMIT $6 OFFSET $7""",
        viewer.account_id,
        text,
        account_id,
        max_id,
        min_id,
        limit,
        offset,
    )
    ids = [row["id"] for row in rows]
    return sorted(ids, reverse=True)


# --- hashtags -----------------------------------------------------------------------------


def _tag_name(text: str) -> str:
    return text.strip().lstrip("#")


async def search_tags(
    conn: asyncpg.Connection, text: str, *, limit: int = 20, offset: int = 0
) -> list[Tag]:
    name = _tag_name(text)
    if not name:
        return []
    rows = await conn.fetch(
        """SELECT id, name FROM tags WHERE lower(name) LIKE $1
           ORDER BY lower(name) = $2 DESC, length(name), lower(name)
           LIMIT $3 OFFSET $4""",
        _like_prefix(name),
        name.lower(),
        limit,
        offset,
    )
    return [Tag(row["id"], row["name"]) for row in rows]


def is_tag_name(name: str) -> bool:
    """A hashtag name as Mastodon accepts one: word characters, not only digits."""
    return bool(_TAG_NAME.match(name))


async def get_tag(conn: asyncpg.Connection, name: str) -> Tag | None:
    """A hashtag this node has seen, by name in any case (with or without `#`)."""
    name = _tag_name(name)
    if not is_tag_name(name):
        return None
    row = await conn.fetchrow("SELECT id, name FROM tags WHERE lower(name) = lower($1)", name)
    return Tag(row["id"], row["name"]) if row else None


# --- resolving one thing ------------------------------------------------------------------


async def resolve_remote(
    conn: asyncpg.Connection, site: Site, viewer: Viewer, text: str, remote: RemoteLookup | None
) -> SearchResults:
    """Fetch an unknown remote account (`user@domain` by WebFinger, or an actor URL) and
    return it; nothing when there is no client, the domain is ours or not a partner, or the
    fetch fails. Suspended accounts and those blocking the viewer stay hidden."""
    if remote is None:
        return SearchResults()
    text = text.strip()
    try:
        if _URL.match(text):
            if site.is_local_url(text):
                return SearchResults()
            account = await resolve_actor(
                conn, remote.client, text, federation_mode=remote.federation_mode
            )
        else:
            username, at, domain = text.lstrip("@").rpartition("@")
            if not at or not username or domain.lower() == site.domain.lower():
                return SearchResults()
            account = await resolve_handle(
                conn, remote.client, username, domain, federation_mode=remote.federation_mode
            )
    except RemoteActorError:
        return SearchResults()
    hidden = await conn.fetchval(
        """SELECT a.suspended_at IS NOT NULL OR a.actor_type = 'Application'
                  OR EXISTS (SELECT 1 FROM blocks b
                             WHERE b.account_id = a.id AND b.target_account_id = $2)
           FROM accounts a WHERE a.id = $1""",
        account.id,
        viewer.account_id,
    )
    if hidden:
        return SearchResults()
    view = await load_accounts(conn, [account.id])
    return SearchResults(accounts=list(view.values()))


async def _known_url(
    conn: asyncpg.Connection, site: Site, viewer: Viewer, url: str
) -> tuple[list[int], list[int]]:
    """(account ids, status ids) for a URL of something this node has: its own pages and ids,
    or the `uri`/`url` of a remote account or status already stored."""
    account_ids: list[int] = []
    status_ids: list[int] = []
    if site.is_local_url(url):
        path = url[len(site.base_url) :].split("?", 1)[0].split("#", 1)[0]
        if match := _LOCAL_STATUS.match(path):
            status_ids = [int(match[3])]
        elif match := _LOCAL_ACCOUNT.match(path):
            row = await conn.fetchval(
                """SELECT id FROM accounts WHERE domain IS NULL AND lower(username) = lower($1)
                   AND suspended_at IS NULL""",
                match[1] or match[2],
            )
            account_ids = [row] if row else []
    else:
        account_ids = [
            row["id"]
            for row in await conn.fetch(
                """SELECT id FROM accounts WHERE (uri = $1 OR url = $1)
                   AND suspended_at IS NULL LIMIT 1""",
                url,
            )
        ]
        status_ids = [
            row["id"]
            for row in await conn.fetch(
                "SELECT id FROM statuses WHERE uri = $1 OR url = $1 LIMIT 1", url
            )
        ]
    if account_ids:
        shown = await visible_accounts(conn, viewer, account_ids)
        account_ids = [i for i in account_ids if i in shown]
    if status_ids:
        status_ids = [
            row["id"]
            for row in await conn.fetch(
                f"""SELECT s.id FROM statuses s
                    WHERE s.id = ANY($2::bigint[]) AND {visible_sql("s", "$1", viewer)}""",
                viewer.account_id,
                status_ids,
            )
        ]
    return account_ids, status_ids


# --- the search ---------------------------------------------------------------------------


def _wants(query: SearchQuery, kind: str) -> bool:
    return query.kind is None or query.kind == kind


async def search(
    conn: asyncpg.Connection,
    site: Site,
    viewer: Viewer,
    query: SearchQuery,
    *,
    remote: RemoteLookup | None = None,
) -> SearchResults:
    """What `GET /api/v2/search` finds for the viewer. Like Mastodon: a query starting with `#`
    or holding an `@` without spaces is not a full-text query; one holding an `@` is not a
    hashtag; `offset` applies only when one kind is asked for. With `remote`, `resolve`
    fetches unknown remote accounts."""
    text = query.text.strip()
    results = SearchResults()
    if not text or query.limit <= 0 or (query.kind is not None and query.kind not in KINDS):
        return results
    offset = query.offset if query.kind is not None else 0
    account_ids: list[int] = []
    status_ids: list[int] = []

    if query.resolve and _URL.match(text):
        if offset == 0:
            account_ids, status_ids = await _known_url(conn, site, viewer, text)
            if not account_ids and not status_ids and _wants(query, "accounts"):
                results = await resolve_remote(conn, site, viewer, text, remote)
            # As in Mastodon, a URL names one thing; asking for another kind finds nothing.
            account_ids = account_ids if _wants(query, "accounts") else []
            status_ids = status_ids if _wants(query, "statuses") else []
    else:
        single_token = " " not in text
        if _wants(query, "accounts") and not (
            text.startswith("#") or ("@" in text and not single_token)
        ):
            account_ids = await search_accounts(
                conn,
                viewer,
                text,
                local_domain=site.domain,
                limit=query.limit,
                offset=offset,
                following=query.following,
            )
            handle = text.lstrip("@")
            if not account_ids and query.resolve and "@" in handle and single_token:
                found = await resolve_remote(conn, site, viewer, handle, remote)
                results.accounts = found.accounts
        if _wants(query, "statuses") and not (
            (text.startswith("#") or "@" in text) and single_token
        ):
            status_ids = await search_statuses(
                conn,
                viewer,
                text,
                account_id=query.account_id,
                max_id=query.max_id,
                min_id=query.min_id,
                limit=query.limit,
                offset=offset,
            )
        if _wants(query, "hashtags") and "@" not in text:
            results.hashtags = await search_tags(conn, text, limit=query.limit, offset=offset)

    if account_ids:
        views = await load_accounts(conn, account_ids)
        results.accounts = [views[i] for i in account_ids if i in views]
    if status_ids:
        status_views = await load_status_views(conn, status_ids, viewer.account_id)
        results.statuses = [status_views[i] for i in status_ids if i in status_views]
    return results
