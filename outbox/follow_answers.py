"""Answering a remote Follow: Accept or Reject, queued for delivery to the follower in the
caller's transaction. The inbox's Follow handler calls these with the Follow as received; the
local commands (accepting a request, removing a follower) come through `outbox.relationships`
with only the Follow's id kept from when it arrived."""

from __future__ import annotations

from typing import Any

import asyncpg

from actors.accounts import Account
from actors.remote import inbox_for
from actors.site import Site
from outbox.as2 import activities
from outbox.delivery import queue_deliveries


def follow_received(
    site: Site, local_account: Account, remote_actor: Account, follow_uri: str | None
) -> dict[str, Any]:
    """The Follow `remote_actor` sent `local_account`, rebuilt from what was kept of it."""
    assert remote_actor.uri is not None
    return activities.follow_object(
        follow_uri, remote_actor.uri, site.actor_url(local_account.username)
    )


async def _answer(
    conn: asyncpg.Connection,
    site: Site,
    local_account: Account,
    follow_activity_json: dict[str, Any],
    remote_actor: Account,
    *,
    kind: str,
) -> None:
    if remote_actor.is_local:
        return  # a local follower needs no activity
    actor = site.actor_url(local_account.username)
    render = activities.accept if kind == "Accept" else activities.reject
    await queue_deliveries(
        conn, local_account.id, render(actor, follow_activity_json), [inbox_for(remote_actor)]
    )


async def do_send_accept(
    conn: asyncpg.Connection,
    site: Site,
    local_account: Account,
    follow_activity_json: dict[str, Any],
    remote_actor: Account,
) -> None:
    """Queue `Accept(Follow)` from `local_account` to `remote_actor`, embedding the Follow as
    received (its `id` is how the follower finds its request). Same Follow, same Accept id:
    calling this twice queues one delivery."""
    await _answer(conn, site, local_account, follow_activity_json, remote_actor, kind="Accept")


async def do_send_reject(
    conn: asyncpg.Connection,
    site: Site,
    local_account: Account,
    follow_activity_json: dict[str, Any],
    remote_actor: Account,
) -> None:
    """Queue `Reject(Follow)`: a refused request, or a follower removed."""
    await _answer(conn, site, local_account, follow_activity_json, remote_actor, kind="Reject")
