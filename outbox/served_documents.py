"""The documents this node serves for a local status at its id (`…/statuses/{id}`) and its
activity (`…/statuses/{id}/activity`): the Note, or, for a boost, the Announce — the same
documents delivery sends, so a fetched copy matches a delivered one."""

from __future__ import annotations

from typing import Any

import asyncpg

from actors.profiles import load_account
from actors.site import Site
from content.status_parts import status_ref
from content.statuses import Status
from outbox.as2 import activities
from outbox.as2.note import audience
from outbox.status_documents import load_note, status_uri_of


async def boost_announce(
    conn: asyncpg.Connection, site: Site, boost: Status, booster: str
) -> dict[str, Any] | None:
    """The Announce of a local boost by `booster` (a username); None when its original is
    gone. Addressed as delivery addresses it: the booster's audience plus the original's
    author."""
    if boost.reblog_of_id is None:
        raise ValueError(f"status {boost.id} is not a boost")
    ref = await status_ref(conn, boost.reblog_of_id)
    if ref is None:
        return None
    view = await load_account(conn, ref.account_id)
    if view is None:
        return None
    author = view.account
    author_uri = site.actor_url(author.username) if author.is_local else author.uri
    to, cc = audience(
        boost.visibility, site.followers_url(booster), [author_uri] if author_uri else []
    )
    return activities.announce(
        site.actor_url(booster),
        boost_uri=site.status_uri(booster, boost.id),
        object_id=status_uri_of(site, ref),
        published=boost.created_at,
        to=to,
        cc=cc,
    )


async def status_activity(
    conn: asyncpg.Connection, site: Site, status: Status, author: str
) -> dict[str, Any] | None:
    """Create(Note) for an original, Announce for a boost. Raises NotFederated for `local`."""
    if status.reblog_of_id is not None:
        return await boost_announce(conn, site, status, author)
    return activities.create(await load_note(conn, site, status, author))
