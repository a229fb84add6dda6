"""What another server's copy of a status names besides its text: the status it replies to,
the accounts it mentions, its hashtags and its processed media — loaded for `outbox`, which
renders them as ActivityStreams. Deleted statuses still answer (a Delete names what it takes
back, and a reply keeps pointing at a deleted parent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class StatusRef:
    """A status as another server knows it: by its `uri` (remote) or, for ours, by the
    author's name and the status id (the Site makes the URI)."""

    id: int
    account_id: int
    username: str
    local: bool
    uri: str | None


@dataclass(frozen=True, slots=True)
class AccountRef:
    id: int
    username: str
    domain: str | None
    uri: str | None


@dataclass(frozen=True, slots=True)
class StatusParts:
    mentions: list[AccountRef] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    in_reply_to: StatusRef | None = None
    # The group it was posted to (FEP-1b12 `audience`), and whether only members may read it.
    group: AccountRef | None = None
    group_members_only: bool = False


async def status_ref(conn: asyncpg.Connection, status_id: int) -> StatusRef | None:
    row = await conn.fetchrow(
        """SELECT s.id, s.account_id, a.username, s.local, s.uri
           FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE s.id = $1""",
        status_id,
    )
    return StatusRef(**dict(row)) if row else None


async def status_parts(conn: asyncpg.Connection, status_id: int) -> StatusParts:
    """Mentions (silent ones left out, as in the text) by name, tags by name, media that
    finished processing in the order attached, and the parent when it is a reply."""
    mentions = await conn.fetch(
        """SELECT a.id, a.username, a.domain, a.uri FROM mentions m
           JOIN accounts a ON a.id = m.account_id
           WHERE m.status_id = $1 AND NOT m.silent ORDER BY a.username, a.domain""",
        status_id,
    )
    tags = await conn.fetch(
        """SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id
           WHERE st.status_id = $1 ORDER BY t.name""",
        status_id,
    )
    media = await conn.fetch(
        """SELECT id, type, content_type, file_key, remote_url, description, blurhash, meta,
                  focus_x, focus_y
           FROM media_attachments WHERE status_id = $1 AND state = 'ready' ORDER BY id""",
        status_id,
    )
    parent_id = await conn.fetchval("SELECT in_reply_to_id FROM statuses WHERE id = $1", status_id)
    group = await conn.fetchrow(
        """SELECT a.id, a.username, a.domain, a.uri, sg.members_only FROM status_groups sg
           JOIN accounts a ON a.id = sg.group_id
           WHERE sg.status_id = $1 ORDER BY sg.members_only DESC LIMIT 1""",
        status_id,
    )
    return StatusParts(
        mentions=[AccountRef(**dict(row)) for row in mentions],
        tags=[row["name"] for row in tags],
        media=[dict(row) for row in media],
        in_reply_to=await status_ref(conn, parent_id) if parent_id is not None else None,
        group=AccountRef(group["id"], group["username"], group["domain"], group["uri"])
        if group
        else None,
        group_members_only=bool(group and group["members_only"]),
    )
