"""The admins' pages for what members read about the node and how they join: the rules,
announcements, and invitations — each change one audited `do_*` command."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import ROLES
from actors.instance import (
    RuleError,
    do_add_rule,
    do_delete_rule,
    do_move_rule,
    do_update_rule,
    list_rules,
)
from actors.invitations import (
    InvitationError,
    do_create_invitation,
    do_revoke_invitation,
    invitation_link,
    list_invitations,
    parse_duration,
)
from actors.node_policy import load_policy
from content.announcements import (
    AnnouncementDraft,
    AnnouncementError,
    all_announcements,
    do_create_announcement,
    do_delete_announcement,
    do_update_announcement,
)
from web.admin.common import admin_page, done, form, render, staff
from web.keys import config, connection

RULES = "/admin/rules"
ANNOUNCEMENTS = "/admin/announcements"
INVITATIONS = "/admin/invitations"


def _optional_id(text: str) -> int:
    if not text.isdigit() or len(text) > 19:
        raise web.HTTPBadRequest(reason="Unknown item")
    return int(text)


@admin_page
async def rules(request: web.Request) -> web.StreamResponse:
    return render(request, "admin/rules.html", {"rules": await list_rules(connection(request))})


@admin_page
async def change_rules(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    actor = staff(request)
    fields = await form(request)
    action = fields.get("action", "")
    try:
        if action == "add":
            await do_add_rule(conn, actor, fields.get("text", ""), fields.get("hint", ""))
        elif action == "edit":
            rule_id = _optional_id(fields.get("id", ""))
            await do_update_rule(
                conn, actor, rule_id, fields.get("text", ""), fields.get("hint", "")
            )
        elif action == "delete":
            await do_delete_rule(conn, actor, _optional_id(fields.get("id", "")))
        elif action in ("up", "down"):
            offset = -1 if action == "up" else 1
            await do_move_rule(conn, actor, _optional_id(fields.get("id", "")), offset)
        else:
            raise web.HTTPBadRequest(reason="Unknown action")
    except RuleError as error:
        return done(request, RULES, str(error), error=True)
    return done(request, RULES, "The rules are saved.")


@admin_page
async def announcements(request: web.Request) -> web.StreamResponse:
    views = await all_announcements(connection(request), staff(request).account.id)
    context = {"announcements": [view.announcement for view in views]}
    return render(request, "admin/announcements.html", context)


@admin_page
async def change_announcements(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    actor = staff(request)
    site = config(request).site
    fields = await form(request)
    action = fields.get("action", "")
    draft = AnnouncementDraft(text=fields.get("text", ""), published="published" in fields)
    try:
        if action == "create":
            await do_create_announcement(conn, site, actor.account.id, draft, actor=actor)
        elif action == "edit":
            announcement_id = _optional_id(fields.get("id", ""))
            if (
                await do_update_announcement(conn, site, announcement_id, draft, actor=actor)
                is None
            ):
                return done(request, ANNOUNCEMENTS, "No such announcement.", error=True)
        elif action == "delete":
            announcement_id = _optional_id(fields.get("id", ""))
            await do_delete_announcement(conn, announcement_id, actor=actor)
        else:
            raise web.HTTPBadRequest(reason="Unknown action")
    except AnnouncementError as error:
        return done(request, ANNOUNCEMENTS, str(error), error=True)
    return done(request, ANNOUNCEMENTS, "The announcements are saved.")


@admin_page
async def invitations(request: web.Request) -> web.StreamResponse:
    found = await list_invitations(connection(request), staff(request))
    site = config(request).site
    context = {
        "invitations": [(i, invitation_link(site, i.code)) for i in found],
        "roles": ROLES,
        "now": await connection(request).fetchval("SELECT now()"),
    }
    return render(request, "admin/invitations.html", context)


@admin_page
async def change_invitations(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    actor = staff(request)
    fields = await form(request)
    action = fields.get("action", "")
    try:
        if action == "create":
            uses = fields.get("max_uses", "").strip()
            if uses and not uses.isdigit():
                raise InvitationError("uses: a whole number, or empty for unlimited")
            invitation = await do_create_invitation(
                conn,
                actor,
                await load_policy(conn),
                fields.get("role", ""),
                expires_in=parse_duration(fields.get("expires_in", "")),
                max_uses=int(uses[:7]) if uses else None,
            )
            link = invitation_link(config(request).site, invitation.code)
            return done(request, INVITATIONS, f"Invitation created: {link}")
        if action == "revoke":
            await do_revoke_invitation(conn, actor, _optional_id(fields.get("id", "")))
            return done(request, INVITATIONS, "The invitation is revoked.")
        raise web.HTTPBadRequest(reason="Unknown action")
    except InvitationError as error:
        return done(request, INVITATIONS, str(error), error=True)


def setup(app: web.Application) -> None:
    app.router.add_get(RULES, rules, name="admin_rules")
    app.router.add_post(RULES, change_rules)
    app.router.add_get(ANNOUNCEMENTS, announcements, name="admin_announcements")
    app.router.add_post(ANNOUNCEMENTS, change_announcements)
    app.router.add_get(INVITATIONS, invitations, name="admin_invitations")
    app.router.add_post(INVITATIONS, change_invitations)
