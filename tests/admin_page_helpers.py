"""Helpers for the admin panel's tests: a signed-in staff browser, posting a panel form with
its CSRF token, and deliveries queued as the outbox queues them."""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient

from outbox.delivery import queue_deliveries
from tests.test_signin import form_token

NOTICE = re.compile(r'<p class="notice[^"]*" role="(?:alert|status)">([^<]*)</p>')


async def post_form(
    client: TestClient, page: str, action: str, fields: dict[str, Any]
) -> aiohttp.ClientResponse:
    """Open `page` (for its token), then post `fields` to `action` without following the
    redirect."""
    token = await form_token(client, page)
    data = {"authenticity_token": token, **fields}
    return await client.post(action, data=data, allow_redirects=False)


async def notice_after(client: TestClient, response: aiohttp.ClientResponse) -> str:
    """The notice the page shows after a form's redirect."""
    assert response.status == 303, await response.text()
    page = await (await client.get(response.headers["Location"])).text()
    found = NOTICE.search(page)
    return html.unescape(found.group(1)) if found else ""


async def queue_delivery(conn: asyncpg.Connection, actor_id: int, inbox: str, n: int = 1) -> int:
    """One delivery of a made-up activity to `inbox`; returns its id."""
    activity = {"id": f"https://rukun.test/activities/{n}", "type": "Note"}
    await queue_deliveries(conn, actor_id, activity, [inbox])
    found: int = await conn.fetchval(
        "SELECT id FROM deliveries WHERE activity_id = $1 AND inbox_url = $2",
        activity["id"],
        inbox,
    )
    return found


async def remote_account(
    conn: asyncpg.Connection, username: str, domain: str, content: str = "<p>remote words</p>"
) -> tuple[int, int]:
    """A remote account with an inbox and one public status whose stored HTML is `content`:
    (account id, status id)."""
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
           VALUES ($1, $2, $2, false, 'public', 'remote words', $3) RETURNING id""",
        account_id,
        f"{uri}/statuses/1",
        content,
    )
    return account_id, status_id
