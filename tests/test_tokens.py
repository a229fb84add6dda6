"""Bearer tokens: expired and revoked ones stop working; use is recorded to the hour so reads
stay reads."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from actors.credentials import authenticate_token, do_create_token
from tests.conftest import MakeMember


async def test_expired_and_revoked_tokens_answer_401(
    client: TestClient, conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    alice = await make_member("alice")
    expiring = await do_create_token(conn, alice.user_id, "read")
    revoked = await do_create_token(conn, alice.user_id, "read")
    headers = {"Authorization": f"Bearer {expiring}"}
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=headers)).status == 200

    await conn.execute("UPDATE oauth_tokens SET expires_at = now() - interval '1 second'")
    await conn.execute("UPDATE oauth_tokens SET revoked_at = now() WHERE expires_at IS NULL")
    for token in (expiring, revoked):
        answer = await client.get(
            "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status == 401
        assert await answer.json() == {"error": "The access token is invalid"}


async def test_last_use_is_recorded_once_an_hour(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    alice = await make_member("alice")
    token = await do_create_token(conn, alice.user_id, "read write")
    grant = await authenticate_token(conn, token)
    assert grant is not None and grant.member is not None
    assert grant.member.username == "alice" and grant.scopes == {"read", "write"}
    first = await conn.fetchval("SELECT last_used_at FROM oauth_tokens")
    assert first is not None
    await authenticate_token(conn, token)
    assert await conn.fetchval("SELECT last_used_at FROM oauth_tokens") == first
    await conn.execute("UPDATE oauth_tokens SET last_used_at = now() - interval '2 hours'")
    await authenticate_token(conn, token)
    assert await conn.fetchval("SELECT last_used_at FROM oauth_tokens") > first
