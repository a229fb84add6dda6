"""Invitations and sign-up, on the commands and through the HTML pages: the role an invitation
gives, expiry, use limits (concurrent sign-ups included), revocation, who may invite, the
email-domain rule, and the last admin."""

from __future__ import annotations

import asyncio
import html
import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.accounts import MemberError, do_set_disabled, get_member
from actors.invitations import (
    InvitationError,
    do_create_invitation,
    do_revoke_invitation,
    find_invitation,
    list_invitations,
    parse_duration,
)
from actors.node_policy import NodePolicy, do_set_policy, load_policy
from actors.registrations import RegistrationsClosed, SignUp, SignUpInvalid, do_sign_up
from actors.roles import PermissionRefused, do_change_role
from tests.conftest import MakeMember
from tests.test_signin import browser, form_token  # noqa: F401 (the fixture)

PASSWORD = "a long enough password"


def sign_up(username: str, code: str | None = None, email: str | None = None) -> SignUp:
    return SignUp(
        username=username,
        email=email or f"{username}@partner.example",
        password=PASSWORD,
        agreement=True,
        invite_code=code,
    )


async def count_users(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM users")
    return count


async def test_an_invitation_gives_its_role_until_its_uses_run_out(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    # Given an admin's invitation for two moderators
    admin = await make_member("root_admin", role="admin")
    invitation = await do_create_invitation(conn, admin, NodePolicy(), "moderator", max_uses=2)
    assert len(invitation.code) >= 20

    # When two people sign up with it
    first, _ = await do_sign_up(conn, sign_up("mona", invitation.code))
    second, _ = await do_sign_up(conn, sign_up("mika", invitation.code))

    # Then both are moderators, let in at once, and a third is refused
    assert (first.role, first.approved) == ("moderator", True)
    assert (second.role, second.approved) == ("moderator", True)
    users = await count_users(conn)
    with pytest.raises(InvitationError) as refused:
        await do_sign_up(conn, sign_up("late", invitation.code))
    assert refused.value.status == 410
    assert "used" in str(refused.value)
    assert await count_users(conn) == users
    [listed] = await list_invitations(conn, admin)
    assert listed.uses == 2


async def test_an_expired_invitation_is_refused(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    admin = await make_member("root_admin", role="admin")
    invitation = await do_create_invitation(conn, admin, NodePolicy(), "customer", expires_in=1800)
    assert invitation.expires_at is not None
    assert (await find_invitation(conn, invitation.code)).id == invitation.id

    await conn.execute(
        "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1",
        invitation.id,
    )

    users = await count_users(conn)
    with pytest.raises(InvitationError) as refused:
        await do_sign_up(conn, sign_up("carol", invitation.code))
    assert refused.value.status == 410
    assert str(refused.value) == "This invitation has expired."
    assert await count_users(conn) == users


async def test_a_revoked_invitation_is_refused_and_an_unknown_one_is_404(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    admin = await make_member("root_admin", role="admin")
    invitation = await do_create_invitation(conn, admin, NodePolicy(), "customer")
    revoked = await do_revoke_invitation(conn, admin, invitation.id)
    assert revoked.revoked_at is not None

    with pytest.raises(InvitationError) as refused:
        await do_sign_up(conn, sign_up("carol", invitation.code))
    assert refused.value.status == 410
    assert "revoked" in str(refused.value)
    with pytest.raises(InvitationError) as unknown:
        await find_invitation(conn, "no-such-code")
    assert unknown.value.status == 404
    assert await get_member(conn, "carol") is None


async def test_the_use_limit_holds_under_concurrent_sign_ups(
    pool: asyncpg.Pool, make_member: MakeMember
) -> None:
    # Given an invitation for three
    admin = await make_member("root_admin", role="admin")
    async with pool.acquire() as conn:
        invitation = await do_create_invitation(conn, admin, NodePolicy(), "customer", max_uses=3)

    # When seven people sign up with it at the same moment, each on their own connection
    async def attempt(number: int) -> bool:
        async with pool.acquire() as conn:
            try:
                await do_sign_up(conn, sign_up(f"guest{number}", invitation.code))
            except InvitationError:
                return False
            return True

    results = await asyncio.gather(*(attempt(n) for n in range(7)))

    # Then exactly three got in, and the count says so
    assert sum(results) == 3
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE role = 'customer'") == 3
        assert await conn.fetchval("SELECT uses FROM invitations WHERE id = $1", invitation.id) == 3


async def test_who_may_invite_whom(conn: asyncpg.Connection, make_member: MakeMember) -> None:
    employee = await make_member("emma", role="employee")
    customer = await make_member("cust", role="customer")
    closed = await load_policy(conn)
    with pytest.raises(InvitationError) as refused:
        await do_create_invitation(conn, employee, closed, "customer")
    assert refused.value.status == 403

    open_to_employees = await do_set_policy(conn, "employees_may_invite", True)
    for role in ("customer", "employee"):
        made = await do_create_invitation(conn, employee, open_to_employees, role)
        assert made.role == role
    for role in ("admin", "moderator"):
        with pytest.raises(InvitationError, match="only employees and customers"):
            await do_create_invitation(conn, employee, open_to_employees, role)
    with pytest.raises(InvitationError):
        await do_create_invitation(conn, customer, open_to_employees, "customer")
    with pytest.raises(InvitationError, match="between 30 minutes and 30 days"):
        await do_create_invitation(conn, employee, open_to_employees, "customer", expires_in=60)
    # An employee sees only their own invitations, and cannot revoke another's.
    admin = await make_member("root_admin", role="admin")
    admins = await do_create_invitation(conn, admin, open_to_employees, "admin")
    assert {i.inviter_user_id for i in await list_invitations(conn, employee)} == {employee.user_id}
    with pytest.raises(InvitationError) as hidden:
        await do_revoke_invitation(conn, employee, admins.id)
    assert hidden.value.status == 404


def test_durations_for_the_command_line() -> None:
    assert parse_duration("30m") == 1800
    assert parse_duration("7d") == 7 * 86400
    assert parse_duration("never") is None
    with pytest.raises(InvitationError):
        parse_duration("soon")


async def test_sign_up_by_email_domain_waits_and_a_wrong_domain_is_refused(
    conn: asyncpg.Connection,
) -> None:
    with pytest.raises(RegistrationsClosed):
        await do_sign_up(conn, sign_up("dana", email="dana@corp.example"))

    await do_set_policy(conn, "signup_email_domains", "corp.example")

    with pytest.raises(SignUpInvalid) as refused:
        await do_sign_up(conn, sign_up("eve", email="eve@elsewhere.example"))
    [problem] = refused.value.details["email"]
    assert problem["error"] == "ERR_BLOCKED"
    assert "is not an email address of this organisation" in problem["description"]
    assert "elsewhere.example is not one of its email domains" in str(refused.value)
    assert await get_member(conn, "eve") is None

    member, _ = await do_sign_up(conn, sign_up("dana", email="Dana@Corp.Example"))
    assert (member.role, member.approved) == ("employee", False)


async def test_field_errors_come_together_in_mastodons_shape(conn: asyncpg.Connection) -> None:
    await do_set_policy(conn, "signup_email_domains", "corp.example")
    await do_sign_up(conn, sign_up("taken", email="taken@corp.example"))
    bad = SignUp(username="admin", email="taken@corp.example", password="short", agreement=False)
    with pytest.raises(SignUpInvalid) as refused:
        await do_sign_up(conn, bad)
    details = refused.value.details
    assert details["username"] == [{"error": "ERR_RESERVED", "description": "is reserved"}]
    assert details["email"] == [{"error": "ERR_TAKEN", "description": "has already been taken"}]
    assert details["password"][0]["error"] == "ERR_TOO_SHORT"
    assert details["agreement"] == [{"error": "ERR_ACCEPTED", "description": "must be accepted"}]
    assert str(refused.value).startswith("Validation failed: Username is reserved, ")


async def test_the_last_admin_can_neither_step_down_nor_be_disabled(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    admin = await make_member("root_admin", role="admin")
    moderator = await make_member("mod_one", role="moderator")
    with pytest.raises(MemberError, match="at least one active admin"):
        await do_change_role(conn, admin, admin, "employee")
    with pytest.raises(MemberError, match="at least one active admin"):
        await do_set_disabled(conn, "root_admin", True)
    with pytest.raises(PermissionRefused):
        await do_change_role(conn, moderator, moderator, "admin")

    promoted = await do_change_role(conn, admin, moderator, "admin")
    assert promoted.role == "admin"
    stepped_down = await do_change_role(conn, admin, admin, "employee")
    assert stepped_down.role == "employee"


# --- the HTML pages ---


async def test_signing_up_with_an_invitation_link_signs_in_and_lands_home(
    browser: TestClient,  # noqa: F811
    pool: asyncpg.Pool,
    make_member: MakeMember,
) -> None:
    admin = await make_member("root_admin", role="admin")
    async with pool.acquire() as conn:
        invitation = await do_create_invitation(conn, admin, NodePolicy(), "customer", max_uses=1)
    path = f"/invite/{invitation.code}"
    page = await browser.get(path)
    assert page.status == 200
    text = await page.text()
    assert "invited to join as customer" in text
    assert 'name="agreement"' in text

    # A form without the CSRF token is refused and creates nothing.
    form = {
        "username": "newbie",
        "email": "newbie@customer.example",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "agreement": "1",
    }
    forged = await browser.post(path, data=form, allow_redirects=False)
    assert forged.status == 403

    # Mistakes are shown, escaped, with what was typed kept.
    token = await form_token(browser, path)
    wrong = {**form, "authenticity_token": token, "password_confirmation": "something else"}
    wrong["username"] = '<b>x"'
    answer = await browser.post(path, data=wrong, allow_redirects=False)
    assert answer.status == 422
    text = await answer.text()
    assert "Password confirmation doesn&#39;t match Password" in text
    assert "Username must contain only letters, numbers and underscores" in text
    assert 'value="&lt;b&gt;x&#34;"' in text
    assert "<b>x" not in text

    response = await browser.post(
        path, data={**form, "authenticity_token": token}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/"
    home = await browser.get("/")
    assert home.status == 200
    assert "@newbie" in await home.text()
    async with pool.acquire() as conn:
        member = await get_member(conn, "newbie")
        assert member is not None
        assert (member.role, member.email) == ("customer", "newbie@customer.example")

    # The invitation was for one: the link now says so, and nothing more is created.
    other = await TestClient(browser.server).__aenter__()
    try:
        gone = await other.get(path)
        assert gone.status == 410
        assert "already been used" in html.unescape(await gone.text())
    finally:
        await other.close()


async def test_unusable_invitation_links_answer_a_page_saying_why(
    browser: TestClient,  # noqa: F811
    pool: asyncpg.Pool,
    make_member: MakeMember,
) -> None:
    admin = await make_member("root_admin", role="admin")
    async with pool.acquire() as conn:
        invitation = await do_create_invitation(conn, admin, NodePolicy(), "customer")
    path = f"/invite/{invitation.code}"
    token = await form_token(browser, path)
    async with pool.acquire() as conn:
        await do_revoke_invitation(conn, admin, invitation.id)
        users = await count_users(conn)

    page = await browser.get(path)
    assert page.status == 410
    assert "This invitation has been revoked." in await page.text()
    form = {
        "authenticity_token": token,
        "username": "late",
        "email": "late@x.example",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "agreement": "1",
    }
    posted = await browser.post(path, data=form, allow_redirects=False)
    assert posted.status == 410
    unknown = await browser.get("/invite/not-a-real-code")
    assert unknown.status == 404
    assert "not valid" in await unknown.text()
    async with pool.acquire() as conn:
        assert await count_users(conn) == users


async def test_sign_up_page_by_email_domain_waits_for_approval(
    browser: TestClient,  # noqa: F811
    pool: asyncpg.Pool,
) -> None:
    closed = await browser.get("/auth/sign_up")
    assert closed.status == 403
    assert "Registrations are closed" in await closed.text()
    async with pool.acquire() as conn:
        await do_set_policy(conn, "signup_email_domains", "corp.example")

    token = await form_token(browser, "/auth/sign_up")
    form = {
        "authenticity_token": token,
        "username": "dana",
        "email": "dana@gmail.example",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "agreement": "1",
        "reason": "I work in accounts",
    }
    refused = await browser.post("/auth/sign_up", data=form)
    assert refused.status == 422
    assert "is not an email address of this organisation" in await refused.text()

    waiting = await browser.post("/auth/sign_up", data={**form, "email": "dana@corp.example"})
    assert waiting.status == 200
    assert "waiting for an administrator" in html.unescape(await waiting.text())
    assert "rukun_session" not in {c.key for c in browser.session.cookie_jar}

    # Signing in before approval says why, and opens no session.
    sign_in_token = await form_token(browser, "/auth/sign_in")
    attempt = await browser.post(
        "/auth/sign_in",
        data={"authenticity_token": sign_in_token, "login": "dana", "password": PASSWORD},
        allow_redirects=False,
    )
    assert attempt.status == 403
    assert "waiting for an administrator" in html.unescape(await attempt.text())
    assert re.search(r"rukun_session=[^;]", attempt.headers.get("Set-Cookie", "")) is None
