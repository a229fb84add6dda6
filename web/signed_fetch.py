"""Authorized fetch: who is asking for an ActivityPub document. A GET is read as coming from
the node whose actor signed it (draft-cavage or RFC 9421, verified by `federation.signatures`
with keys from the remote actor cache), and only allowed nodes count; the federation policy
is checked on the key's domain *before* its key is fetched, so a blocked node never makes us
call it."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from actors.partners import allows_domain
from actors.remote import RemoteActorError, key_lookup
from federation.origin import host_of
from federation.signature_model import ResolvedKey, SignatureError
from federation.signatures import verify_request
from web.errors import ApiError
from web.keys import config, connection, federation

# Responses differ by signer: shared caches must keep them apart (Mastodon sends this too).
VARY = {"Vary": "Accept, Signature"}


@dataclass(frozen=True, slots=True)
class Peer:
    """An allowed node, through the actor that signed the request."""

    actor_uri: str
    domain: str


class _NotAllowed(Exception):
    """The signer's domain is not one this node federates with."""


def is_signed(request: web.Request) -> bool:
    return "Signature" in request.headers or "Signature-Input" in request.headers


async def signed_peer(request: web.Request) -> Peer | None:
    """The allowed node that signed this request; None when it is unsigned or its signer's
    domain is not allowed. Raises ApiError(401) for a signature that does not verify."""
    if not is_signed(request):
        return None
    conn = connection(request)
    web_config = config(request)
    mode = web_config.federation_mode
    lookup = key_lookup(conn, federation(request))

    async def allowed_lookup(key_id: str, *, refresh: bool) -> str | ResolvedKey | None:
        if not await allows_domain(conn, host_of(key_id), mode=mode):
            raise _NotAllowed
        return await lookup(key_id, refresh=refresh)

    try:
        verified = await verify_request(
            request.method,
            request.raw_path,
            request.headers,
            b"",
            allowed_lookup,
            # RFC 9421 signs the URI the signer used: the public scheme, and the host a
            # trusted proxy reports (`request.host`), not the one it connected to.
            scheme=web_config.site.scheme,
            authority=request.host,
        )
    except _NotAllowed:
        return None
    except SignatureError as error:
        raise ApiError(401, str(error)) from None
    except RemoteActorError:
        raise ApiError(401, "the signer's key could not be fetched") from None
    owner = verified.owner or verified.key_id.split("#", 1)[0]
    domain = host_of(owner)
    if not domain or not await allows_domain(conn, domain, mode=mode):
        return None
    return Peer(actor_uri=owner, domain=domain)


async def require_peer(request: web.Request) -> Peer:
    """The allowed node that signed this request. Unsigned: 401, so the caller signs and
    asks again; signed by a node we do not federate with: 404, as if nothing were here."""
    if not is_signed(request):
        raise ApiError(401, "Request not signed")
    peer = await signed_peer(request)
    if peer is None:
        raise ApiError(404, "Record not found")
    return peer
