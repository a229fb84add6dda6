"""The import page, `/settings/import`: members only, a multipart form with its CSRF token,
refusals listed line by line, and the progress of each import once its job has run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import MakeMember
from tests.inbox_helpers import drain
from tests.test_signin import form_token, signed_in, start_browser
from web.config import WebConfig


@pytest.fixture
async def browser(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    client = await start_browser(web_config, pool)
    yield client
    await client.close()


def upload(token: str, kind: str, data: bytes, mode: str = "merge") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("authenticity_token", token)
    form.add_field("type", kind)
    form.add_field("mode", mode)
    form.add_field("data", data, filename=f"{kind}.csv", content_type="text/csv")
    return form


async def test_anonymous_visitors_are_sent_to_sign_in(browser: TestClient) -> None:
    for method in ("GET", "POST"):
        response = await browser.request(method, "/settings/import", allow_redirects=False)
        assert response.status == 302
        assert response.headers["Location"].startswith("/auth/sign_in?next=")


async def test_a_member_imports_and_sees_progress_and_failed_rows(
    browser: TestClient,
    make_member: MakeMember,
    pool: asyncpg.Pool,
    web_config: WebConfig,
) -> None:
    alice = await make_member("alice")
    await make_member("bob")
    await signed_in(browser, "alice")
    token = await form_token(browser, "/settings/import")

    # A file that is not a blocks export is refused, with its lines, and nothing is stored
    refused = await browser.post(
        "/settings/import", data=upload(token, "blocking", b"bob\nbob,carol\nx,y,z\n")
    )
    page = await refused.text()
    assert refused.status == 422
    assert "line 2: expected 1 column, found 2" in page
    assert "line 3: expected 1 column, found 3" in page
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM imports") == 0

    # A good one is queued, then shown with its progress once the job has run
    sent = await browser.post(
        "/settings/import",
        data=upload(token, "blocking", b"bob\nghost\n"),
        allow_redirects=False,
    )
    assert sent.status == 303
    assert sent.headers["Location"] == "/settings/import"
    await drain(pool, web_config)
    page = await (await browser.get("/settings/import")).text()
    assert "finished: 2 of 2 processed, 1 failed, 0 skipped" in page
    assert "line 2: there is no account ghost on this node" in page
    async with pool.acquire() as conn:
        blocked = await conn.fetchval(
            """SELECT a.username FROM blocks b JOIN accounts a ON a.id = b.target_account_id
               WHERE b.account_id = $1""",
            alice.account.id,
        )
    assert blocked == "bob"


async def test_a_form_without_its_token_or_from_another_site_is_refused(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("alice")
    await make_member("bob")
    await signed_in(browser, "alice")
    token = await form_token(browser, "/settings/import")
    forged = await browser.post("/settings/import", data=upload("forged", "blocking", b"bob\n"))
    assert forged.status == 403
    cross_site = await browser.post(
        "/settings/import",
        data=upload(token, "blocking", b"bob\n"),
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status == 403
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM imports") == 0
