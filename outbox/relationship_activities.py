"""Activities about relationships between a local account and a remote one — Follow, Undo
Follow, Accept, Reject, Block, Undo Block — rendered and queued to the remote account's inbox
in the caller's transaction. Between two local accounts nothing is sent."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from actors.accounts import Account
from actors.remote import inbox_for
from actors.site import Site
from outbox.as2 import activities
from outbox.delivery import queue_deliveries

KINDS = ("Follow", "Undo Follow", "Accept", "Reject", "Block", "Undo Block")


def new_follow_uri(site: Site, follower: Account) -> str:
    """The id of a Follow this node is about to send, kept with the request it makes."""
    return activities.follow_id(site.actor_url(follower.username), uuid.uuid4().hex)


def _render(
    site: Site,
    kind: str,
    actor: Account,
    other: Account,
    *,
    follow_uri: str | None,
    block_row_id: int | None,
) -> dict[str, Any]:
    assert other.uri is not None
    actor_url = site.actor_url(actor.username)
    if kind in ("Follow", "Undo Follow"):
        # A follow made before its id was kept gets a fresh one; receivers undo by the pair.
        uri = follow_uri or new_follow_uri(site, actor)
        follow = activities.follow(uri, actor_url, other.uri)
        return follow if kind == "Follow" else activities.undo(follow)
    if kind in ("Accept", "Reject"):
        # `other` followed `actor`: the answer embeds that Follow.
        received = activities.follow_object(follow_uri, other.uri, actor_url)
        answer = activities.accept if kind == "Accept" else activities.reject
        return answer(actor_url, received)
    if kind in ("Block", "Undo Block"):
        if block_row_id is None:
            raise ValueError(f"{kind} needs the block's id")
        block = activities.block(actor_url, block_row_id, other.uri)
        return block if kind == "Block" else activities.undo(block)
    raise ValueError(f"unknown relationship activity {kind!r}")


async def federate_relationship(
    conn: asyncpg.Connection,
    site: Site,
    kind: str,
    actor: Account,
    other: Account,
    *,
    follow_uri: str | None = None,
    block_row_id: int | None = None,
) -> None:
    """Queue `kind` from local `actor` to remote `other`. `follow_uri` is the Follow's id
    (ours for Follow/Undo Follow, theirs for Accept/Reject); `block_row_id` the block's."""
    if other.is_local or not actor.is_local or other.uri is None:
        return
    if not (other.shared_inbox_url or other.inbox_url):
        return  # a remote account known without an inbox cannot be told anything
    activity = _render(site, kind, actor, other, follow_uri=follow_uri, block_row_id=block_row_id)
    await queue_deliveries(conn, actor.id, activity, [inbox_for(other)])
