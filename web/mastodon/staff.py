"""Who may use the admin API, and its shared answers. Scopes are Mastodon's (`admin:read:*`,
`admin:write:*` or their parents); behind the token, moderators handle accounts (not staff)
and reports, admins everything — federation domains and the sign-up block lists are
admins' only. Anyone else gets Mastodon's 403 `This action is not allowed`."""

from __future__ import annotations

from aiohttp import web

from actors.accounts import Member, MemberError
from actors.roles import NoSuchMember, PermissionRefused
from web.errors import ApiError
from web.mastodon.auth import require_member

NOT_ALLOWED = "This action is not allowed"
NOT_FOUND = "Record not found"


async def require_staff(request: web.Request, scope: str) -> Member:
    member = await require_member(request, scope)
    if not member.is_staff:
        raise ApiError(403, NOT_ALLOWED)
    return member


async def require_admin(request: web.Request, scope: str) -> Member:
    member = await require_member(request, scope)
    if member.role != "admin":
        raise ApiError(403, NOT_ALLOWED)
    return member


def path_id(request: web.Request, name: str = "id") -> int:
    text = request.match_info[name]
    if not text.isdigit() or len(text) > 19:
        raise ApiError(404, NOT_FOUND)
    return int(text)


def refusal(error: MemberError) -> ApiError:
    if isinstance(error, PermissionRefused):
        return ApiError(403, str(error))
    if isinstance(error, NoSuchMember) or str(error) == NOT_FOUND:
        return ApiError(404, NOT_FOUND)
    return ApiError(422, str(error))
