"""Accepting an activity POSTed to an inbox: check everything that can be checked at once,
store the raw activity, queue its processing, answer 202 (DESIGN.md, "An activity arrives").

The order matters. Cheap, local checks come first (size, JSON, `@context`, shape), then the
federation policy, so a blocked node costs no key fetch; then the HTTP signature (which may
fetch the signer's actor); then origins (FEP-fe34): the key's owner is the actor, and the
activity and the objects it carries on the actor's behalf live on the actor's host. Only then
is anything written, and the row and its job are written together (`inbox.inbound_writer`,
which commits the deliveries arriving together in one transaction), before the answer.

Refusals carry a status and a message for the sender (`InboxRefusedError`). What a blocked
or not-allowed node sends is answered 202 like anything else and dropped, so it learns
nothing (STYLE.md)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from actors.remote import RemoteActorUnavailableError
from federation.as2_objects import Activity, ObjectError, as_list, id_of, parse_activity
from federation.http_client import FederationClient
from federation.jsonld_compaction import compact
from federation.jsonld_guard import ContextRefusedError, check_context
from federation.origin import host_of, same_host
from federation.signature_model import SignatureError, UnknownKeyError
from federation.signatures import verify_request
from inbox.inbound_writer import InboundWriter
from inbox.intake import InboxIntake

log = logging.getLogger(__name__)
INBOX_JOB = "inbox.process"
MAX_ACTIVITY_BYTES = 1_048_576
# The activity speaks for the objects it carries: they must be the actor's own.
_OWN_OBJECT_TYPES = frozenset({"Create", "Update", "Delete", "Undo"})


class InboxRefusedError(Exception):
    """The delivery is refused: answer `status` with `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class InboundRequest:
    """The HTTP request as received, for signature verification."""

    method: str
    raw_path: str
    headers: Mapping[str, str]
    body: bytes
    scheme: str
    authority: str | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """What became of an accepted delivery: `queued` (stored, processing queued),
    `duplicate` (this activity id was delivered before) or `dropped` (policy)."""

    outcome: str
    activity_id: str | None = None


def _document(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_ACTIVITY_BYTES:
        raise InboxRefusedError(413, "Request body is too large")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:  # orjson refuses a few things the JSON standard allows (integers over 64 bits)
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InboxRefusedError(400, "The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise InboxRefusedError(400, "The activity must be a JSON object")
    return document


async def _readable(document: dict[str, Any]) -> dict[str, Any]:
    """The document as compact ActivityStreams JSON: as sent (the fast path), or compacted
    by pyld in a thread when its keys are not the ActivityStreams terms."""
    try:
        if check_context(document) == "jsonld":
            return await asyncio.to_thread(compact, document)
    except ContextRefusedError as error:
        raise InboxRefusedError(400, str(error)) from None
    return document


def _check_origins(activity: Activity, owner: str | None, key_id: str) -> None:
    """FEP-fe34: who signed is who acts, and what the activity asserts lives on its host."""
    signer = owner or key_id.split("#", 1)[0]
    if signer != activity.actor:
        raise InboxRefusedError(401, "The signature is not the actor's")
    if activity.id is not None and not same_host(activity.id, activity.actor):
        raise InboxRefusedError(400, "The activity id is not on the actor's host")
    if activity.type not in _OWN_OBJECT_TYPES:
        return  # objects are references (Like, Follow, Announce…): handlers look them up
    for item in activity.objects:
        if not isinstance(item, Mapping):
            continue
        object_id = id_of(item.get("id"))
        if object_id is not None and not same_host(object_id, activity.actor):
            raise InboxRefusedError(400, "The object is not on the actor's host")
        for author in as_list(item.get("attributedTo")) + as_list(item.get("actor")):
            author_id = id_of(author)
            if author_id is not None and not same_host(author_id, activity.actor):
                raise InboxRefusedError(400, "The object's author is not on the actor's host")


def _is_self_delete(activity: Activity) -> bool:
    return activity.type == "Delete" and activity.object_id == activity.actor


def activity_key(activity: Activity, body: bytes) -> str:
    """The idempotency key: the activity id, or for the rare activity without one, a digest
    of its bytes (so the same delivery repeated is still recognised)."""
    if activity.id is not None:
        return activity.id
    return "urn:sha256:" + hashlib.sha256(body).hexdigest()


async def receive(
    intake: InboxIntake, request: InboundRequest, *, inbox_owner: str | None = None
) -> Received:
    """Check and store one delivery. `inbox_owner` is the local username of a personal inbox
    (None for the shared inbox). Returns once the activity is committed (or refused, or
    dropped). Raises InboxRefusedError."""
    if inbox_owner is not None and not await intake.has_member(inbox_owner):
        raise InboxRefusedError(404, "Record not found")
    document = await _readable(_document(request.body))
    try:
        activity = parse_activity(document)
    except ObjectError as error:
        raise InboxRefusedError(400, str(error)) from None
    domain = host_of(activity.actor)
    if not domain:
        raise InboxRefusedError(400, "The actor is not an http(s) URL")
    if not await intake.allows(domain):
        log.info("dropped %s from %s: not a partner", activity.type, domain)
        return Received("dropped")
    try:
        verified = await verify_request(
            request.method,
            request.raw_path,
            request.headers,
            request.body,
            intake.key_lookup(),
            scheme=request.scheme,
            authority=request.authority,
        )
    except UnknownKeyError as error:
        if _is_self_delete(activity):
            # An account deleted before we ever knew it, or whose key is gone with it: the
            # fediverse repeats these to every server it ever spoke to (Mastodon drops them).
            return Received("dropped")
        raise InboxRefusedError(401, str(error)) from None
    except SignatureError as error:
        raise InboxRefusedError(401, str(error)) from None
    except RemoteActorUnavailableError as error:
        # 401 rather than 5xx: Mastodon retries a 401, and so the delivery comes again.
        raise InboxRefusedError(401, f"The signing key could not be fetched: {error}") from None
    _check_origins(activity, verified.owner, verified.key_id)
    key = activity_key(activity, request.body)
    if not await intake.writer.store(key, activity.type, activity.actor, document):
        return Received("duplicate", key)
    return Received("queued", key)


def new_intake(
    pool: asyncpg.Pool, client: FederationClient, *, federation_mode: str
) -> InboxIntake:
    """The accepting side of a process, storing into the `inbox.process` queue."""
    return InboxIntake(
        pool, client, InboundWriter(pool, INBOX_JOB), federation_mode=federation_mode
    )
