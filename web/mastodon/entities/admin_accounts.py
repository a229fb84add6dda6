"""Mastodon's Admin::Account entity: for local members (with how they signed up) and for
remote accounts (which have no user here: no email, role or sign-up)."""

from __future__ import annotations

from typing import Any

from actors.admin_accounts import MemberRecord
from actors.moderation import ModerationState
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
        "silenced": record.silenced_at is not None,
        "suspended": account.suspended_at is not None,
        "sensitized": record.sensitized_at is not None,
        "account": render_account(view, site),
        "created_by_application_id": (
            str(record.created_by_application_id) if record.created_by_application_id else None
        ),
        "invited_by_account_id": (
            str(record.invited_by_account_id) if record.invited_by_account_id else None
        ),
    }


def render_remote_admin_account(
    state: ModerationState, view: AccountView, site: Site
) -> dict[str, Any]:
    account = state.account
    return {
        "id": str(account.id),
        "username": account.username,
        "domain": account.domain,
        "created_at": iso(account.created_at),
        "email": "",
        "ip": None,
        "ips": [],
        "locale": "",
        "invite_request": None,
        "role": None,
        "confirmed": True,
        "approved": True,
        "disabled": False,
        "silenced": state.silenced_at is not None,
        "suspended": account.suspended_at is not None,
        "sensitized": state.sensitized_at is not None,
        "account": render_account(view, site),
        "created_by_application_id": None,
        "invited_by_account_id": None,
    }
