"""Offboarding, end to end on a live node: an admin offboards an employee through the API (and
the command line); the employee is read-only — reads, archive, naming a new account — until
the last day, then disabled; their archive link works without an account, and their internal
posts stay with the organisation."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import requests
from mastodon import MastodonAPIError

from actors.offboarding import finish_offboarding
from tests.live import LiveNode
from tests.test_cli import clean_environment, run_rukun

ADMIN_SCOPES = "read write follow admin:read admin:write"


def api(
    node: LiveNode, method: str, path: str, token: str | None, **options: object
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, node.base_url + path, headers=headers, timeout=10, **options)  # type: ignore[arg-type]


def test_an_offboarded_employee_reads_takes_their_archive_then_is_disabled(
    live_node: LiveNode,
) -> None:
    admin = live_node.member("root", "admin")
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    alice_token = live_node.token(alice)
    alice_api = live_node.mastodon(alice_token)
    internal = alice_api.status_post("Quarterly numbers, internal", visibility="private")
    public = alice_api.status_post("Hello network")
    admin_token = live_node.token(admin, ADMIN_SCOPES)

    # A colleague may not offboard anyone; an admin may
    path = f"/api/v1/rukun/admin/accounts/{alice.account.id}/offboard"
    assert api(live_node, "POST", path, live_node.token(bob)).status_code == 403
    started = api(live_node, "POST", path, admin_token, json={"read_only_days": 7})
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["account_id"] == str(alice.account.id)
    assert body["export"]["state"] == "queued"
    assert body["download_url"].startswith("https://rukun.test/exports/")
    link = live_node.base_url + urlsplit(body["download_url"]).path
    again = api(live_node, "POST", path, admin_token)
    assert again.status_code == 422 and "already leaving" in again.json()["error"]
    log = api(live_node, "GET", "/api/v1/rukun/admin/audit_log", admin_token).json()
    assert [(e["action"], e["target_id"]) for e in log][:1] == [("offboard", str(alice.account.id))]

    # Read-only: reading works, acting as the organisation's member does not
    assert [s.id for s in alice_api.account_statuses(alice.account.id)] == [public.id, internal.id]
    with pytest.raises(MastodonAPIError, match="read-only"):
        alice_api.status_post("One more thing")
    with pytest.raises(MastodonAPIError, match="read-only"):
        alice_api.status_favourite(public.id)
    # But naming the account to move to is still theirs to do (refused here only for the alias)
    move = api(live_node, "POST", "/api/v1/rukun/move", alice_token, json={"target_acct": "bob"})
    assert move.status_code == 422, move.text

    # The archive is built by the worker; the link works without signing in
    live_node.drain()
    archive = requests.get(link, timeout=10)
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "outbox.json" in names and "actor.json" in names
    # The member can ask for a fresh link to it at any time before leaving
    own = api(live_node, "GET", "/api/v1/rukun/offboarding", alice_token)
    assert own.status_code == 200 and own.json()["export"]["state"] == "done"
    assert own.json()["download_url"] != body["download_url"]
    assert (
        api(live_node, "GET", "/api/v1/rukun/offboarding", live_node.token(bob)).status_code == 404
    )

    # The last day passes: the token stops working at once, before any worker runs
    async def last_day(conn: asyncpg.Connection) -> None:
        await conn.execute(
            "UPDATE users SET leaves_at = now() - interval '1 second' WHERE id = $1", alice.user_id
        )

    live_node.with_conn(last_day)
    assert (
        api(live_node, "GET", "/api/v1/accounts/verify_credentials", alice_token).status_code == 401
    )

    async def finish(conn: asyncpg.Connection) -> tuple[bool, bool, int]:
        done = await finish_offboarding(conn, alice.user_id)
        again = await finish_offboarding(conn, alice.user_id)
        kept = await conn.fetchval(
            "SELECT count(*) FROM statuses WHERE account_id = $1 AND deleted_at IS NULL",
            alice.account.id,
        )
        return done, again, kept

    assert live_node.with_conn(finish) == (True, False, 2)  # disabled once; posts stay
    # The archive link outlives the account
    assert requests.get(link, timeout=10).status_code == 200


def test_the_last_admin_cannot_be_offboarded(live_node: LiveNode) -> None:
    admin = live_node.member("root", "admin")
    token = live_node.token(admin, ADMIN_SCOPES)
    response = api(
        live_node, "POST", f"/api/v1/rukun/admin/accounts/{admin.account.id}/offboard", token
    )
    assert response.status_code == 422 and "admin" in response.json()["error"]
    bad = api(
        live_node,
        "POST",
        f"/api/v1/rukun/admin/accounts/{admin.account.id}/offboard",
        token,
        json={"read_only_days": "soon"},
    )
    assert bad.status_code == 422 and "number of days" in bad.json()["error"]


async def test_rukun_user_offboard_prints_the_link(database_url: str, tmp_path: Path) -> None:
    environment = clean_environment(RUKUN_DATABASE_URL=database_url, RUKUN_DOMAIN="corp.test")
    created = await run_rukun(
        "user", "add", "alice", "--role", "employee", env=environment, cwd=tmp_path
    )
    assert created.code == 0, created.err
    run = await run_rukun(
        "user", "offboard", "alice", "--read-only-days", "3", env=environment, cwd=tmp_path
    )
    assert run.code == 0, run.err
    assert "alice is read-only until" in run.out
    assert "https://corp.test/exports/" in run.out
    listing = await run_rukun("user", "list", env=environment, cwd=tmp_path)
    assert "leaving" in listing.out
    twice = await run_rukun("user", "offboard", "alice", env=environment, cwd=tmp_path)
    assert twice.code == 1 and "already leaving" in twice.err
