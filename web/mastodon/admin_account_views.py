"""Admin::Account entities for any accounts by id — local members with their sign-up record,
remote accounts with their moderation state — for the accounts and reports endpoints, in a
fixed number of queries whatever the count."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.admin_accounts import load_member_records
from actors.moderation import remote_moderation_states
from actors.profiles import load_accounts
from web.keys import config, connection
from web.mastodon.entities.admin_accounts import render_admin_account, render_remote_admin_account


async def admin_accounts_by_id(request: web.Request, ids: list[int]) -> dict[int, dict[str, Any]]:
    conn = connection(request)
    site = config(request).site
    wanted = list(dict.fromkeys(ids))
    views = await load_accounts(conn, wanted)
    records = await load_member_records(conn, wanted)
    remote = await remote_moderation_states(conn, wanted)
    rendered: dict[int, dict[str, Any]] = {}
    for account_id in wanted:
        view = views.get(account_id)
        if view is None:
            continue
        if account_id in records:
            rendered[account_id] = render_admin_account(records[account_id], view, site)
        elif account_id in remote:
            rendered[account_id] = render_remote_admin_account(remote[account_id], view, site)
    return rendered
