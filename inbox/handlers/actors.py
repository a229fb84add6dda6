"""Update and Delete of the sending actor itself: a profile edit replaces the cached actor;
an account deletion removes everything of theirs here."""

from __future__ import annotations

from actors.account_uris import account_by_uri
from actors.remote import RemoteActorError, RemoteActorUnavailableError, resolve_actor
from actors.remote import update_actor as cache_pushed_actor
from actors.remote_removal import remove_remote_account
from content.remote_statuses import discard_statuses_of
from federation.as2_objects import Activity
from inbox.context import Ignored, InboxContext


async def update_actor(ctx: InboxContext, activity: Activity) -> None:
    """Only an actor's own document may update it. The copy the Update carries is taken as
    it is (the signature vouches that the actor sent it); an Update naming the actor by id
    alone makes us fetch it again."""
    if activity.object_id != activity.actor:
        raise Ignored("an Update of another actor")
    try:
        if activity.embedded is not None:
            await cache_pushed_actor(ctx.conn, dict(activity.embedded))
        else:
            await resolve_actor(
                ctx.conn,
                ctx.client,
                activity.actor,
                refresh=True,
                federation_mode=ctx.federation_mode,
            )
    except RemoteActorUnavailableError:
        raise
    except RemoteActorError as error:
        raise Ignored(f"the actor could not be updated: {error}") from None


async def delete_actor(ctx: InboxContext, activity: Activity) -> None:
    """The account is gone from its server: its posts, boosts, favourites and relationships
    go here too, and the account stays only as a suspended record. Never fetched: it is
    gone, and we only act on what we already know of it."""
    account = await account_by_uri(ctx.conn, ctx.site, activity.actor)
    if account is None or account.is_local:
        raise Ignored("a deleted account we never knew")
    async with ctx.conn.transaction():
        await discard_statuses_of(ctx.conn, account.id)
        if not await remove_remote_account(ctx.conn, account.id):
            raise Ignored("the account was removed before")
