"""Copies of posts passed on by someone else than their author — a group's
`Announce{Create{Note}}` of its member's post (FEP-1b12) — are trusted on the author's
integrity proof (FEP-8b32) alone: the Create must carry an `eddsa-jcs-2022` proof by a key
its actor publishes as `assertionMethod` (fetched through the remote actor cache), the
actor must be the post's `attributedTo`, and key, actor and post must share one host.

A Create with no proof (or one by a key its actor does not publish) is not trusted either
way: the caller fetches the post from its origin. A proof that does not hold, or a Create
whose parties do not match, is refused outright: that copy was altered or forged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actors.accounts import Account
from actors.remote import RemoteActorError, RemoteActorUnavailableError, assertion_key
from federation.as2_objects import ObjectError, Post, id_of, parse_post
from federation.integrity_proofs import ProofError, verify_document
from federation.multikeys import MultikeyError, public_key_from_multibase
from federation.origin import same_host, same_origin
from inbox.context import Ignored, InboxContext


async def verified_create(
    ctx: InboxContext, create: Mapping[str, Any]
) -> tuple[Post, Account] | None:
    """The post a proven Create carries, with its author. None when the Create carries no
    proof we can check; raises Ignored when its proof or parties do not hold, and
    RemoteActorUnavailableError when the author's server cannot be reached now."""
    proof = create.get("proof")
    actor = id_of(create.get("actor"))
    if not isinstance(proof, Mapping) or actor is None:
        return None
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not same_origin(method, actor):
        raise Ignored("the Create's proof is not by a key of its actor's server")
    try:
        post = parse_post(create.get("object"))
    except ObjectError as error:
        raise Ignored(f"the signed Create carries no usable post: {error}") from None
    if post.attributed_to != actor or not same_host(post.id, actor):
        raise Ignored("the signed Create's actor is not its post's author, on the post's host")
    if not await ctx.allows(actor):
        raise Ignored("the post's author is not on a node we federate with")
    try:
        encoded = await assertion_key(ctx.conn, ctx.client, actor, method)
    except RemoteActorUnavailableError:
        raise
    except RemoteActorError as error:
        raise Ignored(f"the post's author cannot be resolved: {error}") from None
    if encoded is None:
        return None
    try:
        keys = {method: public_key_from_multibase(encoded)}
        verify_document(dict(create), keys.get)
    except (MultikeyError, ProofError) as error:
        raise Ignored(f"the signed Create's integrity proof does not hold: {error}") from None
    return post, await ctx.remote_account(actor)
