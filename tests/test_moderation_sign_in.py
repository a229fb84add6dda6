"""Signing in to the web pages: a suspended member's session ends and they cannot sign in
until unsuspended; nobody signs in from a network with a `no_access` IP block."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from actors.moderation import do_account_action, do_lift
from actors.sign_up_blocks import do_block_ip, do_remove_ip_block
from tests.conftest import MakeMember
from tests.test_signin import browser, sign_in, signed_in

__all__ = ["browser"]  # the fixture, shared with the sign-in tests


async def test_suspension_and_no_access_refuse_sign_in(
    browser: TestClient, make_member: MakeMember, conn: asyncpg.Connection
) -> None:
    alice = await make_member("alice")
    await signed_in(browser, "alice")

    await do_account_action(conn, None, alice.account.id, "suspend")
    after = await browser.get("/", allow_redirects=False)
    assert after.status == 302  # the session ended with the suspension
    assert (await sign_in(browser, "alice")).status == 401

    await do_lift(conn, None, alice.account.id, "unsuspend")
    block = await do_block_ip(conn, None, "127.0.0.0/8", "no_access")
    assert (await sign_in(browser, "alice")).status == 401

    await do_remove_ip_block(conn, None, block.id)
    await signed_in(browser, "alice")
