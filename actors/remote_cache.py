"""The cached copies of remote actors: rows of `accounts` with a domain, keyed by the actor's
id (`uri`), written only from a checked `RemoteActorDoc`. Deciding when to fetch and whom to
trust is `actors.remote`'s job."""

from __future__ import annotations

import asyncpg

from actors.accounts import ACCOUNT_COLUMNS, INSTANCE_ACTOR, Account, account_from_row
from federation.as2_actors import RemoteActorDoc
from federation.organisation_terms import OrganisationDoc


class HandleTakenError(ValueError):
    """The actor's handle is held by another cached actor whose id is also cached."""


async def cached_actor(conn: asyncpg.Connection, uri: str) -> Account | None:
    """The cached remote account whose id is `uri`."""
    row = await conn.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE uri = $1 AND domain IS NOT NULL", uri
    )
    return account_from_row(row) if row else None


async def local_member_for(conn: asyncpg.Connection, actor: RemoteActorDoc) -> Account | None:
    """The local member `actor` is, when it carries that member's name and public key. The
    instance actor is left out: nodes cloned from one database (test networks) share its key."""
    pems = [key.pem for key in actor.public_keys]
    if not pems:
        return None
    row = await conn.fetchrow(
        f"""SELECT {ACCOUNT_COLUMNS} FROM accounts
            WHERE domain IS NULL AND username <> $3 AND lower(username) = lower($2)
              AND public_key_pem = ANY($1::text[])""",
        pems,
        actor.preferred_username,
        INSTANCE_ACTOR,
    )
    return account_from_row(row) if row else None


async def store_actor(conn: asyncpg.Connection, actor: RemoteActorDoc) -> Account:
    """Insert or update the cached copy of `actor`, keyed by its id. A different cached
    account holding the same handle on the same domain is the same server's older id for
    that name: it takes the new id (the domain controls both). Call with an actor that has a
    key; raises HandleTakenError when the handle and the id belong to two cached accounts."""
    key = actor.main_key
    if key is None:
        raise ValueError(f"{actor.id} has no public key to cache")
    domain = actor.domain
    async with conn.transaction():
        # Serialise writers of one handle: two workers resolving a new actor at once.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('rukun:actor:' || lower($1)))",
            f"{actor.preferred_username}@{domain}",
        )
        holder = await conn.fetchrow(
            """SELECT id, uri FROM accounts
               WHERE lower(username) = lower($1) AND lower(domain) = lower($2)""",
            actor.preferred_username,
            domain,
        )
        if holder is not None and holder["uri"] != actor.id:
            if await conn.fetchval("SELECT 1 FROM accounts WHERE uri = $1", actor.id):
                raise HandleTakenError(
                    f"{actor.id}: {actor.preferred_username}@{domain} belongs to another actor"
                )
            await conn.execute("UPDATE accounts SET uri = $2 WHERE id = $1", holder["id"], actor.id)
        moved_to = (
            await conn.fetchval("SELECT id FROM accounts WHERE uri = $1", actor.moved_to)
            if actor.moved_to
            else None
        )
        organisation = actor.organisation or OrganisationDoc()
        # The manager is linked when already cached; a later fetch of this actor links it.
        manager_id = (
            await conn.fetchval("SELECT id FROM accounts WHERE uri = $1", organisation.manager)
            if organisation.manager
            else None
        )
        row = await conn.fetchrow(
            f"""INSERT INTO accounts (
                    username, domain, actor_type, display_name, note, fields, locked, bot,
                    discoverable, uri, url, inbox_url, outbox_url, shared_inbox_url,
                    followers_url, following_url, public_key_id, public_key_pem, avatar_url,
                    header_url, moved_to_account_id, department, job_title, location, skills,
                    start_date, manager_id, also_known_as, fetched_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                        $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, now())
                ON CONFLICT (uri) WHERE uri IS NOT NULL DO UPDATE SET
                    username = EXCLUDED.username, domain = EXCLUDED.domain,
                    actor_type = EXCLUDED.actor_type, display_name = EXCLUDED.display_name,
                    note = EXCLUDED.note, fields = EXCLUDED.fields, locked = EXCLUDED.locked,
                    bot = EXCLUDED.bot, discoverable = EXCLUDED.discoverable, url = EXCLUDED.url,
                    inbox_url = EXCLUDED.inbox_url, outbox_url = EXCLUDED.outbox_url,
                    shared_inbox_url = EXCLUDED.shared_inbox_url,
                    followers_url = EXCLUDED.followers_url,
                    following_url = EXCLUDED.following_url,
                    public_key_id = EXCLUDED.public_key_id,
                    public_key_pem = EXCLUDED.public_key_pem,
                    avatar_url = EXCLUDED.avatar_url, header_url = EXCLUDED.header_url,
                    -- A movedTo naming an account not cached here (or one of ours, which has
                    -- no uri) keeps the redirect a processed Move recorded.
                    moved_to_account_id = CASE WHEN $29::text IS NULL THEN NULL ELSE coalesce(
                        EXCLUDED.moved_to_account_id, accounts.moved_to_account_id) END,
                    department = EXCLUDED.department, job_title = EXCLUDED.job_title,
                    location = EXCLUDED.location, skills = EXCLUDED.skills,
                    start_date = EXCLUDED.start_date, manager_id = EXCLUDED.manager_id,
                    also_known_as = EXCLUDED.also_known_as,
                    fetched_at = now(), updated_at = now()
                RETURNING {ACCOUNT_COLUMNS}""",
            actor.preferred_username,
            domain,
            actor.type,
            actor.name,
            actor.summary,
            [{"name": field.name, "value": field.value} for field in actor.fields],
            actor.manually_approves_followers,
            actor.bot,
            actor.discoverable,
            actor.id,
            actor.url,
            actor.inbox,
            actor.outbox,
            actor.shared_inbox,
            actor.followers,
            actor.following,
            key.id,
            key.pem,
            actor.icon_url,
            actor.image_url,
            moved_to,
            organisation.department,
            organisation.job_title,
            organisation.location,
            list(organisation.skills),
            organisation.start_date,
            manager_id,
            list(actor.also_known_as),
            actor.moved_to,
        )
    return account_from_row(row)


async def cached_by_handle(conn: asyncpg.Connection, username: str, domain: str) -> Account | None:
    """The cached remote account `username@domain`, both compared without case."""
    row = await conn.fetchrow(
        f"""SELECT {ACCOUNT_COLUMNS} FROM accounts
            WHERE lower(username) = lower($1) AND lower(domain) = lower($2)""",
        username,
        domain,
    )
    return account_from_row(row) if row else None


async def cached_by_key(conn: asyncpg.Connection, key_id: str) -> Account | None:
    """The cached remote account whose current key is `key_id`."""
    row = await conn.fetchrow(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE public_key_id = $1 AND domain IS NOT NULL",
        key_id,
    )
    return account_from_row(row) if row else None
