"""Seed a scratch database for the client-API benchmark, fast.

`rukun user add` makes an RSA key pair and an argon2 hash per member, which for ~1,200 members
takes minutes; here accounts and users are inserted in bulk with SQL, all sharing ONE key pair
(no bench request signs anything) and no password (the bench uses bearer tokens). Follows and
the `account_stats` counters are bulk SQL too. Statuses go through the real command,
`outbox.posting.do_post`, so the rows, mentions, tags and home-feed fan-out are the ones the
node itself would write; tokens through `actors.credentials.do_create_token`."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from harness import Bench

from actors.credentials import do_create_token
from actors.keys import KeyPair, new_key_pair
from actors.oauth import do_create_application
from actors.site import Site
from content.compose import Draft
from db.migrate import migrate
from db.pool import connect
from outbox.posting import do_post

with warnings.catch_warnings():
    # pgserver asks platformdirs for a runtime directory at import, which warns without one.
    warnings.simplefilter("ignore")
    import pgserver

SCOPES = "read write follow"
NOTE = "<p>Keeps the lights on in the benchmark department. Ask me about load tests.</p>"


@dataclass(frozen=True, slots=True)
class Sizes:
    authors: int = 200  # accounts the reader follows, each with `per_author` statuses
    per_author: int = 5
    followers: int = 1000  # local followers of the poster


@dataclass(frozen=True, slots=True)
class Member:
    account_id: int
    user_id: int
    token: str


@dataclass(frozen=True, slots=True)
class Seeded:
    reader: Member  # follows every author: home feed of authors x per_author rows
    poster: Member  # followed by `followers` members: each post fans out to all of them
    members: int
    home_rows: int
    seconds: float


async def insert_members(
    conn: asyncpg.Connection, names: list[str], keys: KeyPair
) -> dict[str, tuple[int, int]]:
    """name → (account id, user id), inserted in two statements."""
    accounts = await conn.fetch(
        """INSERT INTO accounts (username, display_name, note, department, job_title,
                                 public_key_pem, private_key_pem)
           SELECT n, initcap(replace(n, '_', ' ')), $2, 'Benchmarks', 'Load tester', $3, $4
           FROM unnest($1::text[]) AS n
           RETURNING id, username""",
        names,
        NOTE,
        keys.public_pem,
        keys.private_pem,
    )
    ids = {row["username"]: row["id"] for row in accounts}
    users = await conn.fetch(
        """INSERT INTO users (account_id, role)
           SELECT unnest($1::bigint[]), 'employee'
           RETURNING account_id, id""",
        list(ids.values()),
    )
    user_ids = {row["account_id"]: row["id"] for row in users}
    return {name: (account_id, user_ids[account_id]) for name, account_id in ids.items()}


async def follow_all(conn: asyncpg.Connection, followers: list[int], targets: list[int]) -> None:
    """Every follower follows every target (one side is a single account here)."""
    await conn.execute(
        """INSERT INTO follows (account_id, target_account_id)
           SELECT f, t FROM unnest($1::bigint[]) AS f, unnest($2::bigint[]) AS t""",
        followers,
        targets,
    )


async def count_follows(conn: asyncpg.Connection) -> None:
    """The counters the follow commands would have kept."""
    await conn.execute(
        """INSERT INTO account_stats (account_id, followers_count, following_count)
           SELECT a.id,
                  (SELECT count(*) FROM follows WHERE target_account_id = a.id),
                  (SELECT count(*) FROM follows WHERE account_id = a.id)
           FROM accounts a WHERE a.domain IS NULL
           ON CONFLICT (account_id) DO UPDATE SET
               followers_count = EXCLUDED.followers_count,
               following_count = EXCLUDED.following_count"""
    )


def status_text(author: str, number: int) -> str:
    """Ordinary posts: most carry a hashtag and a link, every fifth mentions the reader."""
    text = f"Update {number} from {author}: the quarterly numbers are in, see "
    text += f"https://intranet.example.com/reports/{number} #report{number % 7}"
    if number % 5 == 0:
        text += " cc @reader"
    return text


async def seed(url: str, site: Site, sizes: Sizes) -> Seeded:
    began = time.perf_counter()
    conn = await connect(url)
    try:
        await migrate(conn)
        keys = await new_key_pair()
        authors = [f"author_{i:03}" for i in range(sizes.authors)]
        followers = [f"follower_{i:04}" for i in range(sizes.followers)]
        async with conn.transaction():
            ids = await insert_members(conn, ["reader", "poster", *authors, *followers], keys)
            author_ids = [ids[name][0] for name in authors]
            await follow_all(conn, [ids["reader"][0]], author_ids)
            await follow_all(conn, [ids[name][0] for name in followers], [ids["poster"][0]])
            await count_follows(conn)
            app, _ = await do_create_application(
                conn, "Bench client", ["urn:ietf:wg:oauth:2.0:oob"], SCOPES, None
            )
        number = 0
        for _ in range(sizes.per_author):
            for name in authors:
                number += 1
                draft = Draft(text=status_text(name, number), application_id=app.id)
                await do_post(conn, site, ids[name][0], draft)
        members = {}
        for name in ("reader", "poster"):
            account_id, user_id = ids[name]
            token = await do_create_token(conn, user_id, SCOPES, app.id)
            members[name] = Member(account_id, user_id, token)
        home_rows = await conn.fetchval(
            "SELECT count(*) FROM home_feed WHERE account_id = $1", members["reader"].account_id
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return Seeded(
        reader=members["reader"],
        poster=members["poster"],
        members=len(ids),
        home_rows=home_rows,
        seconds=time.perf_counter() - began,
    )


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def scratch_database(bench: Bench) -> Iterator[str]:
    """A new database on `RUKUN_DATABASE_URL`'s server (dropped afterwards), else an embedded
    server in the bench's directory. The bench's nodes are stopped before either goes."""
    server = os.environ.get("RUKUN_DATABASE_URL")
    if server:
        name = f"rukun_bench_{secrets.token_hex(4)}"
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
        try:
            yield with_database(server, name)
        finally:
            bench.stop_all()
            asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        embedded = pgserver.get_server(bench.directory / "postgres", cleanup_mode="stop")
        try:
            yield str(embedded.get_uri())
        finally:
            bench.stop_all()
            embedded.cleanup()
