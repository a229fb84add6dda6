"""Mastodon's admin entities for local members (Admin::Account). The admin API grows here."""

from __future__ import annotations

from typing import Any

from actors.admin_accounts import MemberRecord
from actors.profiles import AccountView
from actors.site import Site
from web.mastodon.entities.accounts import render_account, render_role
from web.mastodon.entities.dates import iso


def render_admin_account(record: MemberRecord, view: AccountView, site: Site) -> dict[str, Any]:
    member = record.member
    account = member.account
    ips = []
    if record.sign_up_ip:
        ips.append({"ip": record.sign_up_ip, "used_at": iso(member.created_at)})
    return {
        "id": str(account.id),
        "username": account.username,
        "domain": None,
        "created_at": iso(member.created_at),
        "email": member.email or "",
        "ip": record.sign_up_ip,
        "ips": ips,
        "locale": record.locale or "",
        "invite_request": record.sign_up_reason or None,
        "role": render_role(member.role),
        # Addresses come from the organisation or an invitation; none waits for confirmation.
        "confirmed": True,
        "approved": member.approved,
        "disabled": member.disabled_at is not None,
        "silenced": False,
        "suspended": account.suspended_at is not None,
        "sensitized": False,
        "account": render_account(view, site),
        "created_by_application_id": (
            str(record.created_by_application_id) if record.created_by_application_id else None
        ),
        "invited_by_account_id": (
            str(record.invited_by_account_id) if record.invited_by_account_id else None
        ),
    }
