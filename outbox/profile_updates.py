"""A member updates their profile: check, store any new avatar or header, then in one
transaction write the profile and, when the account stops being locked, accept the follow
requests waiting for it (as Mastodon's UpdateAccountService does), and queue `Update(Person)`
for the remote followers' servers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import asyncpg

from actors.accounts import Member, get_local_account
from actors.directory import get_account_link
from actors.integrity_keys import integrity_public_key
from actors.moves import moved_to_uri
from actors.profile_edits import (
    ProfileEdit,
    apply_profile_edit,
    check_profile_edit,
    clear_profile_image,
)
from actors.remote import remote_followers_inboxes
from actors.site import Site
from content.media import remove_profile_image, save_profile_image
from outbox.actor_document import actor_document
from outbox.as2 import activities
from outbox.delivery import queue_deliveries
from outbox.relationships import authorize_all_follow_requests


async def federate_profile(
    conn: asyncpg.Connection, site: Site, member: Member, *, also_to: tuple[str, ...] = ()
) -> None:
    """Queue `Update(Person)`, carrying the actor document as it now stands, to the remote
    followers' inboxes (and the inboxes `also_to`) in the caller's transaction."""
    inboxes = [*await remote_followers_inboxes(conn, member.account.id), *also_to]
    if not inboxes:
        return
    account = await get_local_account(conn, member.username)
    if account is None:
        return
    manager = None
    if account.manager_id is not None:
        manager = await get_account_link(conn, account.manager_id)
    key = await integrity_public_key(conn, account.id)
    moved_to = await moved_to_uri(conn, site, account)
    document = actor_document(account, site, manager=manager, integrity_key=key, moved_to=moved_to)
    activity = activities.update_actor(document, account.updated_at)
    await queue_deliveries(conn, account.id, activity, inboxes)


async def do_update_credentials(
    conn: asyncpg.Connection,
    site: Site,
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
                await authorize_all_follow_requests(conn, site, member.account)
            await federate_profile(conn, site, member)
    except BaseException:
        for path in saved:
            await remove_profile_image(media_root, path)
        raise
    # The replaced pictures go once the new ones are committed.
    if avatar is not None:
        await remove_profile_image(media_root, member.account.avatar_url)
    if header is not None:
        await remove_profile_image(media_root, member.account.header_url)


async def do_remove_profile_image(
    conn: asyncpg.Connection, site: Site, media_root: Path, member: Member, which: str
) -> None:
    """`DELETE /api/v1/profile/avatar|header`: the default picture again, told to remote
    followers like any other profile edit; removing one that is already gone is no error."""
    async with conn.transaction():
        previous = await clear_profile_image(conn, member.account.id, which)
        if previous is not None:
            await federate_profile(conn, site, member)
    await remove_profile_image(media_root, previous)
