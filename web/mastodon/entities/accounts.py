"""The Account and CredentialAccount entities."""

from __future__ import annotations

import html
from typing import Any

from actors.accounts import Account, Member
from actors.directory import AccountLink
from actors.profiles import AccountView
from actors.site import Site
from content.linkify import URL, link_html
from content.sanitise import sanitise_html
from content.text import plain_to_html
from federation.organisation_terms import LABELS
from web.mastodon.entities.dates import day, midnight

DEFAULT_AVATAR = "/static/avatar.png"
DEFAULT_HEADER = "/static/header.png"
ORGANISATION_LABEL = "Organisation"


def absolute(site: Site, url: str | None, fallback: str) -> str:
    url = url or fallback
    return site.base_url + url if url.startswith("/") else url


def acct(view: AccountView) -> str:
    account = view.account
    return account.username if account.domain is None else f"{account.username}@{account.domain}"


def _value_html(account: Account, field: dict[str, str]) -> str:
    """`value` is HTML. Local members write plain text (kept as written for `source`), so it
    is escaped here, a lone link made one as Mastodon does; remote values are kept as received
    and sanitised here."""
    value = field.get("value", "")
    if account.domain is not None:
        return sanitise_html(value)
    return link_html(value) if URL.fullmatch(value) else html.escape(value)


def _link_acct(link: AccountLink) -> str:
    return link.username if link.domain is None else f"{link.username}@{link.domain}"


def _manager_html(link: AccountLink, site: Site) -> str:
    """The manager as a mention of their profile, in the h-card markup apps recognise."""
    href = site.profile_url(link.username) if link.domain is None else (link.uri or "")
    return (
        f'<span class="h-card"><a href="{html.escape(href)}" class="u-url mention">'
        f"@<span>{html.escape(_link_acct(link))}</span></a></span>"
    )


def _organisation_rows(view: AccountView, site: Site) -> list[tuple[str, str]]:
    """(label, HTML) rows for the organisation profile, empty values left out. Read-only:
    they are not in `source.fields`, so an app's profile editor never writes them back."""
    account = view.account
    rows = [
        ("department", html.escape(account.department)),
        ("job_title", html.escape(account.job_title)),
        ("manager", _manager_html(view.manager, site) if view.manager else ""),
        ("location", html.escape(account.location)),
        ("phone", html.escape(account.phone) if account.is_local else ""),
        ("skills", html.escape(", ".join(account.skills))),
        ("start_date", account.start_date.isoformat() if account.start_date else ""),
    ]
    shown = [(LABELS[name], value) for name, value in rows if value]
    if view.partner is not None:
        shown.append((ORGANISATION_LABEL, html.escape(view.partner.name)))
    return shown


def _fields(view: AccountView, site: Site) -> list[dict[str, Any]]:
    """The member's own fields, then the organisation's, so apps show them on the profile."""
    account = view.account
    fields = [
        {"name": f.get("name", ""), "value": _value_html(account, f), "verified_at": None}
        for f in account.fields
    ]
    fields.extend(
        {"name": name, "value": value, "verified_at": None}
        for name, value in _organisation_rows(view, site)
    )
    return fields


def render_organisation(view: AccountView) -> dict[str, Any]:
    """Rukun's `rukun` attribute: the organisation profile as typed values. `phone` only for
    local accounts (it is never federated)."""
    account = view.account
    manager = view.manager
    partner = view.partner
    return {
        "department": account.department,
        "job_title": account.job_title,
        "manager": {"id": str(manager.id), "acct": _link_acct(manager)} if manager else None,
        "location": account.location,
        "phone": account.phone if account.is_local else "",
        "skills": list(account.skills),
        "start_date": account.start_date.isoformat() if account.start_date else None,
        "organisation": (
            {"name": partner.name, "relationship": partner.relationship, "domain": partner.domain}
            if partner
            else None
        ),
    }


def render_account(view: AccountView, site: Site) -> dict[str, Any]:
    account = view.account
    local = account.domain is None
    avatar = absolute(site, account.avatar_url, DEFAULT_AVATAR)
    header = absolute(site, account.header_url, DEFAULT_HEADER)
    return {
        "id": str(account.id),
        "username": account.username,
        "acct": acct(view),
        "display_name": account.display_name,
        "locked": account.locked,
        "bot": account.bot or account.actor_type in ("Service", "Application"),
        "discoverable": account.discoverable,
        "indexable": False,
        "group": account.actor_type == "Group",
        "created_at": midnight(account.created_at),
        "note": plain_to_html(account.note) if local else sanitise_html(account.note),
        "url": site.profile_url(account.username) if local else (account.url or account.uri),
        "uri": site.actor_url(account.username) if local else account.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": view.followers_count,
        "following_count": view.following_count,
        "statuses_count": view.statuses_count,
        "last_status_at": day(view.last_status_at),
        "hide_collections": False,
        "noindex": True,
        "emojis": [],
        "roles": [],
        "fields": _fields(view, site),
        "rukun": render_organisation(view),
        # Mastodon's redirect notice: apps show "moved to …" with this account.
        **({"moved": render_account(view.moved, site)} if view.moved else {}),
    }


_ROLE_PERMISSIONS = {"admin": "1", "moderator": "1308", "employee": "0", "customer": "0"}


def render_role(role: str) -> dict[str, Any]:
    """Mastodon's Role entity for one of Rukun's four roles (the role's name is its id)."""
    return {
        "id": role,
        "name": role.capitalize(),
        "permissions": _ROLE_PERMISSIONS.get(role, "0"),
        "color": "",
        "highlighted": role in ("admin", "moderator"),
    }


def render_credential_account(
    view: AccountView,
    member: Member,
    site: Site,
    *,
    follow_requests_count: int = 0,
    default_privacy: str = "public",
    default_sensitive: bool = False,
    default_language: str | None = None,
) -> dict[str, Any]:
    """verify_credentials and update_credentials: the account plus its editable source and the
    member's role."""
    rendered = render_account(view, site)
    account = view.account
    rendered["source"] = {
        "privacy": default_privacy,
        "sensitive": default_sensitive,
        "language": default_language,
        "note": account.note,
        "fields": [
            {"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": None}
            for f in account.fields
        ],
        "follow_requests_count": follow_requests_count,
        "hide_collections": False,
        "discoverable": account.discoverable,
        "indexable": False,
        "attribution_domains": [],
    }
    rendered["role"] = render_role(member.role)
    return rendered
