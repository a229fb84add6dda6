"""The admin panel with a test client: who may open which page, CSRF on every form, and
each action carried out by the audited command the admin API uses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.accounts import get_member
from actors.audit import list_audit_log
from tests.admin_page_helpers import notice_after, post_form
from tests.conftest import MakeMember
from tests.test_signin import signed_in, start_browser
from web.config import WebConfig

PAGES = [
    "/admin",
    "/admin/accounts",
    "/admin/reports",
    "/admin/federation",
    "/admin/rules",
    "/admin/announcements",
    "/admin/invitations",
    "/admin/audit",
]
INJECTION = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def browser(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    client = await start_browser(web_config, pool)
    yield client
    await client.close()


async def audit_actions(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        return [entry.action for entry in await list_audit_log(conn)]


async def test_who_may_open_the_panel(browser: TestClient, make_member: MakeMember) -> None:
    await make_member("root", role="admin")
    await make_member("mod", role="moderator")
    await make_member("bob")
    # No session: sent to sign in, and back afterwards
    first = await browser.get("/admin/accounts", allow_redirects=False)
    assert first.status == 302
    assert first.headers["Location"] == "/auth/sign_in?next=/admin/accounts"
    # A plain member: as if there were no panel
    await signed_in(browser, "bob")
    for path in PAGES:
        assert (await browser.get(path, allow_redirects=False)).status == 404, path
    browser.session.cookie_jar.clear()
    # A moderator: accounts and reports, not the admins' pages
    await signed_in(browser, "mod")
    for path in PAGES:
        expected = 200 if path in PAGES[:3] else 403
        assert (await browser.get(path, allow_redirects=False)).status == expected, path
    browser.session.cookie_jar.clear()
    await signed_in(browser, "root")
    ghost = await post_form(browser, "/admin", "/admin/accounts/999", {"action": "warn"})
    assert ghost.status == 404
    for path in PAGES:
        response = await browser.get(path, allow_redirects=False)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_forms_without_the_csrf_token_are_refused(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("root", role="admin")
    bob = await make_member("bob")
    await signed_in(browser, "root")
    for action, fields in [
        (f"/admin/accounts/{bob.account.id}", {"action": "suspend"}),
        ("/admin/federation", {"action": "block", "domain": "bad.example"}),
        ("/admin/rules", {"action": "add", "text": "Be kind"}),
    ]:
        refused = await browser.post(action, data=fields, allow_redirects=False)
        assert refused.status == 403, action
        wrong = await browser.post(
            action, data={**fields, "authenticity_token": "forged"}, allow_redirects=False
        )
        assert wrong.status == 403, action
    async with pool.acquire() as conn:
        member = await get_member(conn, "bob")
        assert member is not None and member.account.suspended_at is None
        assert await conn.fetchval("SELECT count(*) FROM federation_domains") == 0
        assert await conn.fetchval("SELECT count(*) FROM instance_rules") == 0
    assert await audit_actions(pool) == []


async def test_a_moderator_cannot_change_roles_or_act_on_staff(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    root = await make_member("root", role="admin")
    await make_member("mod", role="moderator")
    bob = await make_member("bob")
    await signed_in(browser, "mod")
    page = await (await browser.get(f"/admin/accounts/{bob.account.id}")).text()
    assert 'name="role"' not in page  # no role form for moderators
    path = f"/admin/accounts/{bob.account.id}"
    refused = await post_form(browser, path, path, {"action": "role", "role": "admin"})
    assert await notice_after(browser, refused) == "Only admins may change roles"
    staff_path = f"/admin/accounts/{root.account.id}"
    on_staff = await post_form(browser, path, staff_path, {"action": "suspend"})
    assert await notice_after(browser, on_staff) == "This action is not allowed"
    async with pool.acquire() as conn:
        assert (await get_member(conn, "bob")).role == "employee"  # type: ignore[union-attr]
        assert (await get_member(conn, "root")).account.suspended_at is None  # type: ignore[union-attr]
    # Staff accounts are not even listed for moderators
    listing = await (await browser.get("/admin/accounts")).text()
    assert "@bob" in listing and "@root" not in listing
    assert await audit_actions(pool) == []


async def test_account_actions_go_through_the_audited_commands(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("root", role="admin")
    bob = await make_member("bob", email="bob@corp.example", display_name=INJECTION)
    await make_member("carol", role="customer")
    await signed_in(browser, "root")
    path = f"/admin/accounts/{bob.account.id}"

    # Search by email, filter by role
    found = await (await browser.get("/admin/accounts?q=corp.example")).text()
    assert "@bob" in found and "@carol" not in found
    customers = await (await browser.get("/admin/accounts?role=customer")).text()
    assert "@carol" in customers and "@bob" not in customers
    # The display name is text, never markup
    page = await (await browser.get(path)).text()
    assert INJECTION not in page and "&lt;img src=x onerror=alert(1)&gt;" in page

    for action in ("warn", "limit"):
        answer = await post_form(browser, path, path, {"action": action, "text": "Be nicer"})
        assert await notice_after(browser, answer) == "Done."
    answer = await post_form(browser, path, path, {"action": "role", "role": "moderator"})
    assert await notice_after(browser, answer) == "Done."

    # The one-time password is on the answer itself, and works
    reset = await post_form(browser, path, path, {"action": "reset_password"})
    assert reset.status == 200
    assert 'id="one-time-password"' in await reset.text()

    offboard = await post_form(browser, path, path, {"action": "offboard", "days": "3"})
    assert offboard.status == 200
    assert "/exports/" in await offboard.text()

    async with pool.acquire() as conn:
        member = await get_member(conn, "bob")
        assert member is not None
        assert member.role == "moderator" and member.password_change_required
        assert member.leaves_at is not None
        silenced = await conn.fetchval(
            "SELECT silenced_at FROM accounts WHERE id = $1", bob.account.id
        )
        assert silenced is not None
    assert await audit_actions(pool) == [
        "offboard",
        "reset_password",
        "change_role",
        "silence",
        "warn",
    ]


async def test_pending_sign_ups_are_approved_or_rejected(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("mod", role="moderator")
    dan = await make_member("dan", approved=False)
    eve = await make_member("eve", approved=False)
    await signed_in(browser, "mod")
    pending = await (await browser.get("/admin/accounts?status=pending")).text()
    assert "@dan" in pending and "@eve" in pending
    dan_path = f"/admin/accounts/{dan.account.id}"
    approved = await post_form(browser, dan_path, dan_path, {"action": "approve"})
    assert await notice_after(browser, approved) == "Done."
    eve_path = f"/admin/accounts/{eve.account.id}"
    rejected = await post_form(browser, eve_path, eve_path, {"action": "reject"})
    assert rejected.headers["Location"] == "/admin/accounts"
    async with pool.acquire() as conn:
        assert (await get_member(conn, "dan")).approved  # type: ignore[union-attr]
        assert await get_member(conn, "eve") is None
    assert await audit_actions(pool) == ["reject", "approve"]
