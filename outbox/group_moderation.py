"""What a group hosted here tells its members' nodes when its staff moderate (FEP-1b12):
the group `Announce`s each moderation activity to all its members, as Lemmy's communities do.

- A post removed from the group: `Announce{Delete{actor: group, object: post}}`. Lemmy sends
  the moderator's Delete announced by the community; the group is the actor here, so a
  receiver needs no knowledge of the group's staff to trust it.
- A member removed: `Announce{Block{actor: group, object: member, target: group}}`. This is
  Lemmy's ban (a Block whose `target` is the community); FEP-1b12 leaves the shape open and
  Rukun's removal is a ban (no rejoining until invited), so Lemmy's shape says exactly that
  to Lemmy and to Rukun alike. The member's own node also hears it (besides the Reject)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from actors.accounts import Account
from actors.groups import Group
from actors.profiles import load_account
from actors.remote import inbox_for, remote_followers_inboxes
from actors.site import Site
from content.status_parts import status_ref
from content.statuses import Status
from outbox.as2.context import with_context
from outbox.delivery import queue_deliveries
from outbox.status_documents import status_uri_of


def group_announce(group_uri: str, activity: dict[str, Any]) -> dict[str, Any]:
    """The group passes `activity` (without its own context) on to its members."""
    return with_context(
        {
            "id": f"{activity['id']}/announce",
            "type": "Announce",
            "actor": group_uri,
            "to": activity["to"],
            "object": activity,
        }
    )


async def announce_post_removal(
    conn: asyncpg.Connection, site: Site, group: Group, status: Status
) -> None:
    """Queue the removal of `status` from the group to the members' nodes and its author's."""
    ref = await status_ref(conn, status.id)
    if ref is None:
        return
    group_uri = site.actor_url(group.account.username)
    members = site.followers_url(group.account.username)
    delete = {
        "id": f"{group_uri}#removals/{status.id}",
        "type": "Delete",
        "actor": group_uri,
        "to": [members],
        "audience": group_uri,
        "object": status_uri_of(site, ref),
    }
    inboxes = await remote_followers_inboxes(conn, group.id)
    author = await load_account(conn, status.account_id)
    if author is not None and not author.account.is_local:
        inboxes.append(inbox_for(author.account))
    await queue_deliveries(conn, group.id, group_announce(group_uri, delete), inboxes)


async def announce_member_removal(
    conn: asyncpg.Connection, site: Site, group: Group, member: Account
) -> None:
    """Queue the ban of `member` to the members' nodes and the member's own."""
    group_uri = site.actor_url(group.account.username)
    members = site.followers_url(group.account.username)
    member_uri = site.actor_url(member.username) if member.is_local else member.uri
    ban = {
        "id": f"{group_uri}#bans/{uuid.uuid4().hex}",
        "type": "Block",
        "actor": group_uri,
        "to": [members],
        "audience": group_uri,
        "object": member_uri,
        "target": group_uri,
    }
    inboxes = await remote_followers_inboxes(conn, group.id)
    if not member.is_local:
        inboxes.append(inbox_for(member))
    await queue_deliveries(conn, group.id, group_announce(group_uri, ban), inboxes)
