"""Helpers for the moderation tests: staff clients, the audit log's actions, and a remote
account with a status stored as the inbox would store them."""

from __future__ import annotations

from typing import Any

import asyncpg
import requests
from mastodon import Mastodon

from actors.accounts import Member
from tests.live import LiveNode

ADMIN_SCOPES = "read write follow admin:read admin:write"


def staff_client(node: LiveNode, member: Member, scopes: str = ADMIN_SCOPES) -> Mastodon:
    return node.mastodon(node.token(member, scopes), version_check_mode="none")


def member_client(node: LiveNode, member: Member) -> Mastodon:
    return node.mastodon(node.token(member, "read write follow"), version_check_mode="none")


def api(node: LiveNode, method: str, path: str, token: str, **options: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, node.base_url + path, headers=headers, timeout=10, **options)


def audit_actions(node: LiveNode, token: str, **query: str) -> list[tuple[str, str, str]]:
    """(action, target_type, target_id) of the audit log, newest first."""
    answer = api(node, "GET", "/api/v1/rukun/admin/audit_log", token, params=query)
    assert answer.status_code == 200, answer.text
    return [(e["action"], e["target_type"], e["target_id"]) for e in answer.json()]


def remote_account_with_status(node: LiveNode, username: str, domain: str) -> tuple[int, int]:
    """A remote account (with an inbox) and one public status of theirs: (account, status)."""

    async def make(conn: asyncpg.Connection) -> tuple[int, int]:
        uri = f"https://{domain}/users/{username}"
        account_id: int = await conn.fetchval(
            """INSERT INTO accounts (username, domain, public_key_pem, uri, url, inbox_url,
                                     shared_inbox_url)
               VALUES ($1, $2, 'PEM', $3, $3, $3 || '/inbox', 'https://' || $2 || '/inbox')
               RETURNING id""",
            username,
            domain,
            uri,
        )
        status_id: int = await conn.fetchval(
            """INSERT INTO statuses (account_id, uri, url, local, visibility, text, content)
               VALUES ($1, $2, $2, false, 'public', 'remote words', '<p>remote words</p>')
               RETURNING id""",
            account_id,
            f"{uri}/statuses/1",
        )
        return account_id, status_id

    return node.with_conn(make)
