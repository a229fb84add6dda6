"""Move: an account on another node moved to a new account (Mastodon's
ActivityPub::Activity::Move). Trusted only when the signer is the account that moved and the
new account, fetched fresh from its own server, lists the old one in `alsoKnownAs`; then the
members here who followed the old account follow the new one (`outbox.moves`)."""

from __future__ import annotations

from actors.account_uris import account_by_uri
from actors.accounts import Account
from actors.moves import lists_alias, record_move
from actors.remote import RemoteActorError, resolve_actor
from federation.as2_objects import Activity
from inbox.context import Ignored, InboxContext
from outbox.moves import do_follow_move

NOT_LISTED = "the target does not list the moved account in alsoKnownAs"


async def _target(ctx: InboxContext, uri: str) -> Account:
    """The account moved to, fetched again: the aliases it lists must be its current ones.
    A target that cannot be fetched now is ignored, as Mastodon ignores it (its
    FetchRemoteAccountService answers nothing); the sender's next Move can try again."""
    if ctx.site.is_local_url(uri):
        local = await account_by_uri(ctx.conn, ctx.site, uri)
        if local is None or not local.is_local:
            raise Ignored("the target is not an account on this node")
        return local
    try:
        return await resolve_actor(
            ctx.conn, ctx.client, uri, refresh=True, federation_mode=ctx.federation_mode
        )
    except RemoteActorError:
        raise Ignored("the target of the Move could not be fetched") from None


async def handle_move(ctx: InboxContext, activity: Activity) -> None:
    # Only an account can say it moved: the Move's object is its own actor (who signed it).
    if activity.object_id != activity.actor:
        raise Ignored("a Move of an account other than its actor")
    if activity.target is None:
        raise Ignored("a Move without a target")
    origin = await ctx.actor(activity)
    target = await _target(ctx, activity.target)
    if target.id == origin.id:
        raise Ignored("a Move to the same account")
    if target.suspended_at is not None:
        raise Ignored("the target is suspended")
    if origin.uri is None or not lists_alias(target, origin.uri):
        raise Ignored(NOT_LISTED)
    async with ctx.conn.transaction():
        if origin.moved_to_account_id != target.id:
            await record_move(ctx.conn, origin.id, target.id, local=False)
        await do_follow_move(ctx.conn, ctx.site, origin, target)
