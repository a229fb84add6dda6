"""A member updates their profile: check, store any new avatar or header, then in one
transaction write the profile and, when the account stops being locked, accept the follow
requests waiting for it (as Mastodon's UpdateAccountService does)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import asyncpg

from actors.accounts import Member
from actors.profile_edits import ProfileEdit, apply_profile_edit, check_profile_edit
from content.media import remove_profile_image, save_profile_image
from outbox.relationships import authorize_all_follow_requests


async def _federate_profile(conn: asyncpg.Connection, member: Member) -> None:
    """The federation seam: queue `Update(Person)` to the followers' remote inboxes in this
    same transaction. Nothing is delivered yet; outbound federation is the next step."""


async def do_update_credentials(
    conn: asyncpg.Connection,
    media_root: Path,
    member: Member,
    edit: ProfileEdit,
    *,
    avatar: bytes | None = None,
    header: bytes | None = None,
) -> None:
    """Raises ProfileError (a bad value) or MediaError (an image that is not one, or too big)
    before anything is written."""
    edit = check_profile_edit(edit)
    saved: list[str] = []
    try:
        if avatar is not None:
            saved.append(await save_profile_image(media_root, avatar, "avatar"))
            edit = dataclasses.replace(edit, avatar_url=saved[-1])
        if header is not None:
            saved.append(await save_profile_image(media_root, header, "header"))
            edit = dataclasses.replace(edit, header_url=saved[-1])
        async with conn.transaction():
            if await apply_profile_edit(conn, member.user_id, edit):
                await authorize_all_follow_requests(conn, member.account)
            await _federate_profile(conn, member)
    except BaseException:
        for path in saved:
            await remove_profile_image(media_root, path)
        raise
    # The replaced pictures go once the new ones are committed.
    if avatar is not None:
        await remove_profile_image(media_root, member.account.avatar_url)
    if header is not None:
        await remove_profile_image(media_root, member.account.header_url)
