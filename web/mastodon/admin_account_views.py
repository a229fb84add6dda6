"""Admin::Account entities for any accounts by id — local members with their sign-up record,
remote accounts with their moderation state — for the accounts and reports endpoints."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.admin_accounts import load_member_record
from actors.moderation import moderation_state
from actors.profiles import load_accounts
from web.keys import config, connection
from web.mastodon.entities.admin_accounts import render_admin_account, render_remote_admin_account


async def admin_accounts_by_id(request: web.Request, ids: list[int]) -> dict[int, dict[str, Any]]:
    conn = connection(request)
    site = config(request).site
    wanted = list(dict.fromkeys(ids))
    views = await load_accounts(conn, wanted)
    rendered: dict[int, dict[str, Any]] = {}
    for account_id in wanted:
        view = views.get(account_id)
        if view is None:
            continue
        if view.account.is_local:
            record = await load_member_record(conn, account_id)
            if record is not None:
                rendered[account_id] = render_admin_account(record, view, site)
        else:
            state = await moderation_state(conn, account_id)
            if state is not None:
                rendered[account_id] = render_remote_admin_account(state, view, site)
    return rendered
