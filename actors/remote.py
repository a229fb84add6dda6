"""Remote actors: fetched once, cached in `accounts`, refreshed when stale or when their key
stops verifying (key rotation), and found by handle through WebFinger.

Trust rules (FEP-fe34, and what Mastodon does): a fetched document whose `id` is not the URL
asked for is fetched again from its own id, and must then name itself; only keys owned by the
actor and on its origin are kept; an actor's domain is the host of its id. A document with
the name and public key of one of our own members is that member: the local account is
returned, never cached as a remote one (callers knowing the node's URLs check them first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from actors.accounts import Account
from actors.partners import allows_domain
from actors.remote_cache import (
    HandleTakenError,
    cached_actor,
    cached_by_handle,
    cached_by_key,
    local_member_for,
    store_actor,
)
from federation.as2_actors import (
    ActorDocumentError,
    RemoteActorDoc,
    is_actor,
    key_owner,
    parse_actor,
)
from federation.http_client import (
    FederationClient,
    FetchError,
    FetchGoneError,
    FetchHttpError,
    FetchNotFoundError,
    FetchTimeoutError,
    FetchUnreachableError,
)
from federation.origin import host_of, origin_of, same_origin
from federation.signature_model import KeyLookup, ResolvedKey
from federation.webfinger_client import WebFingerError, actor_link, fetch_jrd, webfinger_url

# A cached actor older than this is fetched again when next resolved.
STALE_AFTER = timedelta(hours=24)
# A key refresh asked for sooner than this after the last fetch answers from the cache.
MIN_REFRESH_INTERVAL = timedelta(seconds=30)


class RemoteActorError(Exception):
    """The actor could not be resolved; the message is safe to log or show."""


class RemoteActorGoneError(RemoteActorError):
    """The actor's server answered 404 or 410: there is no such actor (any more)."""


class RemoteActorRefusedError(RemoteActorError):
    """The actor's domain is not one this node federates with: nothing was fetched."""


class RemoteActorUnavailableError(RemoteActorError):
    """The actor's server could not be reached or failed (timeout, 5xx, 429): try later."""


@dataclass(frozen=True, slots=True)
class RemoteLookup:
    """What looking up remote actors for a member needs: the process's federation client and
    the node's federation mode (`allowlist` or `open`), so a search or a mention never reaches
    a domain the node does not federate with."""

    client: FederationClient
    federation_mode: str = "allowlist"


def _now() -> datetime:
    return datetime.now(UTC)


def _fetch_failure(error: FetchError) -> RemoteActorError:
    message = f"{error.url}: {error}"
    if isinstance(error, FetchNotFoundError | FetchGoneError):
        return RemoteActorGoneError(message)
    transient = isinstance(error, FetchTimeoutError | FetchUnreachableError) or (
        isinstance(error, FetchHttpError) and (error.status >= 500 or error.status in (408, 429))
    )
    return (RemoteActorUnavailableError if transient else RemoteActorError)(message)


async def _fetch(client: FederationClient, url: str) -> dict[str, object]:
    try:
        return await client.fetch_object(url)
    except FetchError as error:
        raise _fetch_failure(error) from error


async def _self_named(
    client: FederationClient, url: str, document: dict[str, object]
) -> dict[str, object]:
    """`document`, fetched from `url`, if it carries `url` as its id. Another id means the URL
    was an alias (a profile page, a key id): the document is fetched again from that id, on
    the same host, and must then name itself — a server cannot make us cache what another
    server's id stands for (Mastodon's `fetch_resource`)."""
    claimed = document.get("id")
    if claimed == url:
        return document
    if not isinstance(claimed, str) or origin_of(claimed) is None:
        raise RemoteActorError(f"{url}: the document has no http(s) id")
    if host_of(claimed) != host_of(url):
        raise RemoteActorError(f"{url}: the document claims an id on another host")
    document = await _fetch(client, claimed)
    if document.get("id") != claimed:
        raise RemoteActorError(f"{claimed}: the document does not carry its own id")
    return document


def _parsed(document: dict[str, object], where: object) -> RemoteActorDoc:
    try:
        return parse_actor(document)
    except ActorDocumentError as error:
        raise RemoteActorError(f"{where}: {error}") from error


async def _store_checked(conn: asyncpg.Connection, actor: RemoteActorDoc) -> Account:
    if actor.main_key is None:
        raise RemoteActorError(f"{actor.id}: the actor has no public key of its own")
    try:
        async with conn.transaction():
            account = await store_actor(conn, actor)
            await _store_assertion_keys(conn, account.id, actor)
            return account
    except HandleTakenError as error:
        raise RemoteActorError(str(error)) from error


async def _store_assertion_keys(
    conn: asyncpg.Connection, account_id: int, actor: RemoteActorDoc
) -> None:
    """The actor's `assertionMethod` keys, as its document now publishes them."""
    await conn.execute("DELETE FROM remote_assertion_keys WHERE account_id = $1", account_id)
    await conn.executemany(
        """INSERT INTO remote_assertion_keys (key_id, account_id, public_key_multibase)
           VALUES ($1, $2, $3)
           ON CONFLICT (key_id) DO UPDATE SET account_id = EXCLUDED.account_id,
               public_key_multibase = EXCLUDED.public_key_multibase""",
        [(key.id, account_id, key.public_key_multibase) for key in actor.assertion_keys],
    )


async def assertion_key(
    conn: asyncpg.Connection, client: FederationClient, actor_uri: str, key_id: str
) -> str | None:
    """The multibase Ed25519 key `key_id` of the remote actor `actor_uri`, as its actor
    document publishes it in `assertionMethod` (FEP-8b32 proofs), or None when the actor does
    not publish it. The actor is fetched when not cached, and again (no more often than
    MIN_REFRESH_INTERVAL) when it lacks the key: keys are added and rotated.

    Raises RemoteActorError when the actor cannot be had."""
    account = await _resolve(conn, client, actor_uri, STALE_AFTER)
    found = await _cached_assertion_key(conn, account, key_id)
    if found is None and not _fresh(account, MIN_REFRESH_INTERVAL):
        account = await _resolve(conn, client, actor_uri, MIN_REFRESH_INTERVAL)
        found = await _cached_assertion_key(conn, account, key_id)
    return found


async def _cached_assertion_key(
    conn: asyncpg.Connection, account: Account, key_id: str
) -> str | None:
    if account.is_local:
        return None
    found: str | None = await conn.fetchval(
        """SELECT public_key_multibase FROM remote_assertion_keys
           WHERE key_id = $1 AND account_id = $2""",
        key_id,
        account.id,
    )
    return found


async def _resolve_document(
    conn: asyncpg.Connection, client: FederationClient, uri: str, document: dict[str, object]
) -> Account:
    """Check, then cache, the actor `document` fetched from `uri`."""
    actor = _parsed(await _self_named(client, uri, document), uri)
    local = await local_member_for(conn, actor)
    return local if local is not None else await _store_checked(conn, actor)


async def _check_policy(conn: asyncpg.Connection, domain: str, mode: str | None) -> None:
    """Refuse a domain the node does not federate with, before asking it anything. Without a
    mode only blocks apply: callers such as the inbox have judged the domain already."""
    if not await allows_domain(conn, domain, mode=mode or "open"):
        raise RemoteActorRefusedError(f"{domain} is not a domain this node federates with")


def _fresh(account: Account, age: timedelta) -> bool:
    return account.fetched_at is not None and _now() - account.fetched_at < age


async def resolve_actor(
    conn: asyncpg.Connection,
    client: FederationClient,
    uri: str,
    *,
    refresh: bool = False,
    federation_mode: str | None = None,
) -> Account:
    """The actor whose id (or alias, such as a profile URL) is `uri`: from the cache while it
    is younger than STALE_AFTER, else fetched and cached; `refresh=True` always fetches (an
    `Update` of the actor). When fetching a stale actor fails for a transient reason, the
    cached copy is returned.

    Raises RemoteActorError (RemoteActorGoneError for 404/410, RemoteActorUnavailableError
    for transient failures, RemoteActorRefusedError for a domain the node does not federate
    with under `federation_mode` — only blocked domains when it is None)."""
    max_age = timedelta(0) if refresh else STALE_AFTER
    return await _resolve(conn, client, uri, max_age, federation_mode)


async def _resolve(
    conn: asyncpg.Connection,
    client: FederationClient,
    uri: str,
    max_age: timedelta,
    federation_mode: str | None = None,
) -> Account:
    """`resolve_actor`, answering from a cached copy younger than `max_age`."""
    if origin_of(uri) is None:
        raise RemoteActorError(f"{uri[:200]!r} is not an http(s) URL")
    uri = uri.split("#", 1)[0]
    cached = await cached_actor(conn, uri)
    if cached is not None and _fresh(cached, max_age):
        return cached
    await _check_policy(conn, host_of(uri), federation_mode)
    try:
        document = await _fetch(client, uri)
        return await _resolve_document(conn, client, uri, document)
    except RemoteActorUnavailableError:
        if cached is None or max_age < STALE_AFTER:
            raise
        return cached


async def resolve_handle(
    conn: asyncpg.Connection,
    client: FederationClient,
    username: str,
    domain: str,
    *,
    federation_mode: str | None = None,
) -> Account:
    """The actor `username@domain`: a fresh cached account of that handle, else WebFinger's
    `self` link resolved. The actor found must carry that handle (its preferredUsername,
    case aside, on a host equal to `domain`); a local account found by its key is returned
    as it is. `federation_mode` as for `resolve_actor`.

    Raises RemoteActorError."""
    domain = domain.strip().lower()
    cached = await cached_by_handle(conn, username, domain)
    if cached is not None and cached.uri and _fresh(cached, STALE_AFTER):
        return cached
    await _check_policy(conn, domain, federation_mode)
    scheme = "http" if client.config.insecure_http else "https"
    url = webfinger_url(username, domain, scheme=scheme)
    try:
        href = actor_link(await fetch_jrd(client, url))
    except FetchError as error:
        failure = _fetch_failure(error)
        if cached is not None and isinstance(failure, RemoteActorUnavailableError):
            return cached  # stale, but better than nothing while its server is down
        raise failure from error
    except WebFingerError as error:
        raise RemoteActorError(f"{username}@{domain}: {error}") from error
    account = await resolve_actor(conn, client, href, federation_mode=federation_mode)
    if account.username.lower() != username.lower() or (
        account.domain is not None and account.domain.lower() != domain
    ):
        raise RemoteActorError(f"{username}@{domain}: WebFinger points to another actor")
    return account


async def actor_for_key(
    conn: asyncpg.Connection, client: FederationClient, key_id: str, *, refresh: bool = False
) -> Account | None:
    """The remote actor owning `key_id` and holding it as its current key, or None. The key
    id is dereferenced when not cached: Mastodon's `{actor}#main-key` gives the actor,
    GoToSocial's `{actor}/main-key` a stub naming it, others a key document with an `owner`.
    `refresh=True` (the cached key did not verify) fetches the owner again unless it was
    fetched less than MIN_REFRESH_INTERVAL ago.

    Raises RemoteActorError when the owner cannot be fetched."""
    # Refreshing (the cached key failed to verify) waits MIN_REFRESH_INTERVAL after the last
    # fetch: a flood of badly signed requests must not make us fetch the actor again and again.
    max_age = MIN_REFRESH_INTERVAL if refresh else STALE_AFTER
    cached = await cached_by_key(conn, key_id)
    if cached is not None and cached.uri is not None:
        account = await _resolve(conn, client, cached.uri, max_age)
    else:
        if origin_of(key_id) is None:
            return None
        url = key_id.split("#", 1)[0]
        await _check_policy(conn, host_of(url), None)
        if await cached_actor(conn, url) is not None:
            # A key the actor did not have when last fetched: fetch it again, but no more
            # often than MIN_REFRESH_INTERVAL, however many key ids are made up for it.
            account = await _resolve(conn, client, url, MIN_REFRESH_INTERVAL)
            return account if account.public_key_id == key_id else None
        document = await _fetch(client, url)
        if is_actor(document):
            account = await _resolve_document(conn, client, url, document)
        else:
            owner = key_owner(document)
            if owner is None or not same_origin(owner, key_id):
                return None
            account = await _resolve(conn, client, owner, max_age)
    if account.is_local or account.public_key_id != key_id:
        return None
    return account


async def update_actor(conn: asyncpg.Connection, document: dict[str, object]) -> Account:
    """Cache an actor document pushed to us (the object of an `Update`) without fetching it.
    The caller has verified that the activity was signed by this very actor (its id is the
    activity's actor and the key's owner). Our own members are never overwritten.

    Raises RemoteActorError when the document is unusable or names one of our members."""
    actor = _parsed(document, document.get("id"))
    if await local_member_for(conn, actor) is not None:
        raise RemoteActorError(f"{actor.id}: a local member cannot be updated from outside")
    return await _store_checked(conn, actor)


def key_lookup(conn: asyncpg.Connection, client: FederationClient) -> KeyLookup:
    """A `federation.signatures` key lookup backed by the actor cache: the key's PEM with its
    owner's id, or None when there is no such key (unknown, deleted, not the owner's current
    key, or a local actor's). Transient fetch failures raise RemoteActorUnavailableError."""

    async def lookup(key_id: str, *, refresh: bool) -> ResolvedKey | None:
        try:
            account = await actor_for_key(conn, client, key_id, refresh=refresh)
        except RemoteActorUnavailableError:
            raise
        except RemoteActorError:
            return None
        if account is None:
            return None
        return ResolvedKey(account.public_key_pem, owner=account.uri)

    return lookup


def inbox_for(account: Account) -> str:
    """Where to deliver to a remote account: its server's shared inbox when it has one (one
    delivery per server), else its own inbox. Raises ValueError for a local account."""
    inbox = account.shared_inbox_url or account.inbox_url
    if account.is_local or inbox is None:
        raise ValueError(f"{account.username} is not a remote account with an inbox")
    return inbox


async def remote_followers_inboxes(conn: asyncpg.Connection, account_id: int) -> list[str]:
    """The distinct inboxes reaching every remote follower of `account_id` (shared inboxes
    preferred), suspended followers left out, sorted."""
    rows = await conn.fetch(
        """SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox
           FROM follows f JOIN accounts a ON a.id = f.account_id
           WHERE f.target_account_id = $1 AND a.domain IS NOT NULL
             AND a.suspended_at IS NULL
             AND coalesce(a.shared_inbox_url, a.inbox_url) IS NOT NULL
           ORDER BY inbox""",
        account_id,
    )
    return [row["inbox"] for row in rows]
