"""What another node may read of ours over ActivityPub (authorized fetch). The reader is a
node, known by the domain of the actor that signed the fetch — most fetches are signed by a
node's instance actor, on behalf of all its members — so the rules are per node:

- `public`, `unlisted`: every allowed node.
- `local`: never; it does not leave this node.
- `private`: nodes where one of the author's followers lives, or an account it mentions.
- `direct`: nodes where an account it mentions lives.
- A post to one of our groups: also nodes where a member of the group lives; a post to a
  members-only group only those.
The author blocking the very actor that signed hides the status from that actor. Only this
node's own statuses are served; deleted ones, and those of a suspended author, are gone.
What a node may not read is "not found"."""

from __future__ import annotations

import asyncpg

from content.statuses import STATUS_COLUMNS, Status, status_from_row
from db.keyset import Window, newest_first, window_sql

# What an outbox lists: what anyone may read (Mastodon lists these as Create and Announce).
OUTBOX_VISIBILITIES = ("public", "unlisted")


def peer_visible_sql(alias: str, domain: str, actor: str) -> str:
    """A SQL condition true when the status `alias` may be read by the node `domain` (a `$n`
    parameter holding an account domain as stored: lowercased host, `:port` when not the
    default) through the actor whose URI is `actor` (a `$n` parameter)."""
    return f"""(
        {alias}.deleted_at IS NULL
        AND (
            {alias}.visibility IN ('public', 'unlisted')
            OR ({alias}.visibility = 'private' AND EXISTS (
                SELECT 1 FROM follows pf JOIN accounts pfa ON pfa.id = pf.account_id
                WHERE pf.target_account_id = {alias}.account_id AND pfa.domain = {domain}))
            OR ({alias}.visibility IN ('private', 'direct') AND EXISTS (
                SELECT 1 FROM mentions pm JOIN accounts pma ON pma.id = pm.account_id
                WHERE pm.status_id = {alias}.id AND pma.domain = {domain}))
            OR EXISTS (
                SELECT 1 FROM status_groups pg
                JOIN follows pgf ON pgf.target_account_id = pg.group_id
                JOIN accounts pgfa ON pgfa.id = pgf.account_id
                WHERE pg.status_id = {alias}.id AND pgfa.domain = {domain})
        )
        AND NOT EXISTS (
            SELECT 1 FROM status_groups pmo
            WHERE pmo.status_id = {alias}.id AND pmo.members_only AND NOT EXISTS (
                SELECT 1 FROM follows pmf JOIN accounts pmfa ON pmfa.id = pmf.account_id
                WHERE pmf.target_account_id = pmo.group_id AND pmfa.domain = {domain}))
        AND NOT EXISTS (
            SELECT 1 FROM blocks pb JOIN accounts pba ON pba.id = pb.target_account_id
            WHERE pb.account_id = {alias}.account_id AND pba.uri = {actor})
        AND NOT EXISTS (
            SELECT 1 FROM accounts psa
            WHERE psa.id = {alias}.account_id AND psa.suspended_at IS NOT NULL)
    )"""


# A boost is readable when its original is: one of ours under the same rules, or a remote
# one anyone may read (a node learns a remote private status from its own author).
def _original_visible_sql(domain: str, actor: str) -> str:
    return f"""(s.reblog_of_id IS NULL OR EXISTS (
        SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND (
            (o.local AND {peer_visible_sql("o", domain, actor)})
            OR (NOT o.local AND o.deleted_at IS NULL
                AND o.visibility IN ('public', 'unlisted')))))"""


async def status_for_peer(
    conn: asyncpg.Connection, author_id: int, status_id: int, domain: str, actor_uri: str
) -> Status | None:
    """The author's status (a boost included, its original checked too) if the node may read
    it, else None."""
    row = await conn.fetchrow(
        f"""SELECT {STATUS_COLUMNS} FROM statuses s
            WHERE s.id = $1 AND s.account_id = $2 AND s.local
              AND {peer_visible_sql("s", "$3", "$4")} AND {_original_visible_sql("$3", "$4")}""",
        status_id,
        author_id,
        domain.lower(),
        actor_uri,
    )
    return status_from_row(row) if row else None


async def outbox_page(
    conn: asyncpg.Connection, author_id: int, domain: str, actor_uri: str, window: Window
) -> list[Status]:
    """A page of the author's public and unlisted statuses and boosts, newest first."""
    conditions, order, values = window_sql("s.id", window, 5)
    rows = await conn.fetch(
        f"""SELECT {STATUS_COLUMNS} FROM statuses s
            WHERE s.account_id = $2 AND s.local AND s.visibility = ANY($1::text[])
              AND {peer_visible_sql("s", "$3", "$4")} AND {_original_visible_sql("$3", "$4")}
              {conditions}
            {order}""",
        list(OUTBOX_VISIBILITIES),
        author_id,
        domain.lower(),
        actor_uri,
        *values,
    )
    return newest_first([status_from_row(row) for row in rows], window)


async def count_outbox(conn: asyncpg.Connection, author_id: int) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM statuses
           WHERE account_id = $1 AND local AND deleted_at IS NULL
             AND visibility = ANY($2::text[])""",
        author_id,
        list(OUTBOX_VISIBILITIES),
    )
    return count


async def featured_for_peer(
    conn: asyncpg.Connection, author_id: int, domain: str, actor_uri: str
) -> list[Status]:
    """The author's pinned statuses the node may read, most recently pinned first."""
    rows = await conn.fetch(
        f"""SELECT s.* FROM status_pins p JOIN statuses s ON s.id = p.status_id
            WHERE p.account_id = $1 AND s.account_id = $1 AND s.local
              AND s.reblog_of_id IS NULL AND {peer_visible_sql("s", "$2", "$3")}
            ORDER BY p.id DESC""",
        author_id,
        domain.lower(),
        actor_uri,
    )
    return [status_from_row(row) for row in rows]
