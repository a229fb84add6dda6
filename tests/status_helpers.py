"""Helpers shared by the status API tests: clients, follows and media made directly, row
counts and raw HTTP for the cases Mastodon.py will not send."""

from __future__ import annotations

import uuid
from typing import Any

import requests
from mastodon import Mastodon

from actors.accounts import Member
from actors.credentials import do_create_token
from tests.live import LiveNode

ALL_SCOPES = "read write follow push"


def client(node: LiveNode, member: Member, scopes: str = ALL_SCOPES) -> Mastodon:
    return node.mastodon(node.token(member, scopes), version_check_mode="none")


def app_token(node: LiveNode, member: Member, app_name: str) -> str:
    """A token issued to a registered application, as OAuth would issue it."""

    async def make(conn: Any) -> str:
        app_id = await conn.fetchval(
            """INSERT INTO oauth_applications (name, website, client_id, client_secret_hash)
               VALUES ($1, 'https://app.example', $2, '\\x00') RETURNING id""",
            app_name,
            uuid.uuid4().hex,
        )
        return await do_create_token(conn, member.user_id, ALL_SCOPES, app_id)

    return node.with_conn(make)


def follow(node: LiveNode, follower: Member, target: Member) -> None:
    node.with_conn(
        lambda conn: conn.execute(
            "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
            follower.account.id,
            target.account.id,
        )
    )


def block(node: LiveNode, blocker: Member, target: Member) -> None:
    node.with_conn(
        lambda conn: conn.execute(
            "INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)",
            blocker.account.id,
            target.account.id,
        )
    )


def add_media(node: LiveNode, member: Member, description: str = "") -> int:
    """A processed upload of the member's, not yet attached to a status."""
    media_id: int = node.with_conn(
        lambda conn: conn.fetchval(
            """INSERT INTO media_attachments (account_id, type, state, file_key, description)
               VALUES ($1, 'image', 'ready', $2, $3) RETURNING id""",
            member.account.id,
            f"media_attachments/{uuid.uuid4().hex}.png",
            description,
        )
    )
    return media_id


def scalar(node: LiveNode, sql: str, *args: Any) -> Any:
    return node.with_conn(lambda conn: conn.fetchval(sql, *args))


TABLES = (
    "statuses",
    "mentions",
    "status_tags",
    "tags",
    "notifications",
    "home_feed",
    "favourites",
    "bookmarks",
    "status_pins",
    "status_edits",
    "idempotency_keys",
    "conversation_mutes",
)


def row_counts(node: LiveNode) -> dict[str, int]:
    async def count(conn: Any) -> dict[str, int]:
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
        counts["attached_media"] = await conn.fetchval(
            "SELECT count(*) FROM media_attachments WHERE status_id IS NOT NULL"
        )
        counts["account_stats"] = await conn.fetchval(
            "SELECT coalesce(sum(statuses_count), 0) FROM account_stats"
        )
        return counts

    return node.with_conn(count)


def notifications(node: LiveNode, member: Member) -> list[tuple[str, str, str | None]]:
    """(type, from username, status id) of the member's notifications, oldest first; ids are
    strings, as the API (and Mastodon.py) has them."""
    rows = node.with_conn(
        lambda conn: conn.fetch(
            """SELECT n.type, a.username, n.status_id FROM notifications n
               JOIN accounts a ON a.id = n.from_account_id
               WHERE n.account_id = $1 ORDER BY n.id""",
            member.account.id,
        )
    )
    return [
        (row["type"], row["username"], None if row["status_id"] is None else str(row["status_id"]))
        for row in rows
    ]


def raw(
    node: LiveNode, method: str, path: str, token: str | None = None, **options: Any
) -> requests.Response:
    headers = dict(options.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, node.base_url + path, headers=headers, timeout=30, **options)
