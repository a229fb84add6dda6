"""The activities this node sends, with ids that are stable for the same event (so a repeat
is recognisable as one) and new for a new event, in the shapes Mastodon sends:
`{status}/activity` for Create and Announce, `{object}#updates/{ms}`, `{status}#delete`,
`{actor}#follows/{token}`, `{actor}#likes/{id}`, `{actor}#blocks/{id}`,
`{actor}#accepts/follows/{digest}`, and `{activity}/undo` for an Undo.

Every function returns a top-level document with `@context`; embedded activities and
objects go without theirs."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from outbox.as2.context import PUBLIC, with_context, without_context
from outbox.as2.note import iso

# -- ids --------------------------------------------------------------------------------------


def create_id(object_id: str) -> str:
    return f"{object_id}/activity"


def announce_id(boost_uri: str) -> str:
    return f"{boost_uri}/activity"


def update_id(object_id: str, moment: datetime) -> str:
    # Milliseconds, not Mastodon's seconds: two edits within one second stay two updates.
    return f"{object_id}#updates/{int(moment.timestamp() * 1000)}"


def delete_id(object_id: str) -> str:
    return f"{object_id}#delete"


def follow_id(actor: str, token: str) -> str:
    return f"{actor}#follows/{token}"


def like_id(actor: str, favourite_id: int) -> str:
    return f"{actor}#likes/{favourite_id}"


def block_id(actor: str, block_row_id: int) -> str:
    return f"{actor}#blocks/{block_row_id}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def answer_id(actor: str, kind: str, follow: dict[str, Any]) -> str:
    """An Accept's or Reject's id, derived from the Follow it answers (the same answer to the
    same Follow keeps its id; answering it again later, after an Undo, does not)."""
    key = follow.get("id") or f"{follow.get('actor')} {follow.get('object')}"
    return f"{actor}#{kind}/follows/{_digest(str(key))}"


def undo_id(activity_id: str) -> str:
    return f"{activity_id}/undo"


# -- activities about statuses ---------------------------------------------------------------


def create(note: dict[str, Any]) -> dict[str, Any]:
    """Create wrapping a rendered Note: same actor, audience and time."""
    return with_context(
        {
            "id": create_id(note["id"]),
            "type": "Create",
            "actor": note["attributedTo"],
            "published": note["published"],
            "to": note["to"],
            "cc": note["cc"],
            "object": without_context(note),
        }
    )


def update_note(note: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """Update carrying the Note as it now stands (its `updated` set by the caller)."""
    return with_context(
        {
            "id": update_id(note["id"], moment),
            "type": "Update",
            "actor": note["attributedTo"],
            "published": iso(moment),
            "to": note["to"],
            "cc": note["cc"],
            "object": without_context(note),
        }
    )


def delete(actor: str, object_id: str) -> dict[str, Any]:
    """Delete of a status, its object a Tombstone. Mastodon addresses every Delete to Public
    whatever the status was; only the delivery decides who hears it."""
    return with_context(
        {
            "id": delete_id(object_id),
            "type": "Delete",
            "actor": actor,
            "to": [PUBLIC],
            "object": {"id": object_id, "type": "Tombstone", "atomUri": object_id},
        }
    )


def announce(
    actor: str,
    *,
    boost_uri: str,
    object_id: str,
    published: datetime,
    to: list[str],
    cc: list[str],
) -> dict[str, Any]:
    """A boost: the object is the boosted status' id, not an embedded copy."""
    return with_context(
        {
            "id": announce_id(boost_uri),
            "type": "Announce",
            "actor": actor,
            "published": iso(published),
            "to": to,
            "cc": cc,
            "object": object_id,
        }
    )


def featured_change(
    kind: str, actor: str, featured_url: str, object_id: str, token: str
) -> dict[str, Any]:
    """`Add` or `Remove` of a status to the actor's featured (pinned) collection. Mastodon
    sends these without an id; ours carry one, since receivers keep activities by id."""
    if kind not in ("Add", "Remove"):
        raise ValueError(kind)
    return with_context(
        {
            "id": f"{actor}#featured/{kind.lower()}/{token}",
            "type": kind,
            "actor": actor,
            "target": featured_url,
            "object": object_id,
        }
    )


def like(actor: str, favourite_id: int, object_id: str) -> dict[str, Any]:
    return with_context(
        {"id": like_id(actor, favourite_id), "type": "Like", "actor": actor, "object": object_id}
    )


# -- activities about actors -----------------------------------------------------------------


def update_actor(actor_document: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """Update(Person): the whole actor document embedded, addressed to Public as Mastodon does."""
    return with_context(
        {
            "id": update_id(actor_document["id"], moment),
            "type": "Update",
            "actor": actor_document["id"],
            "to": [PUBLIC],
            "object": without_context(actor_document),
        }
    )


def move(actor: str, followers: str, target: str, moment: datetime) -> dict[str, Any]:
    """Move: the actor (also the object, as Mastodon and GoToSocial send it) now lives at
    `target`, addressed to its followers, whose servers re-follow the target."""
    return with_context(
        {
            "id": f"{actor}#moves/{int(moment.timestamp() * 1000)}",
            "type": "Move",
            "actor": actor,
            "object": actor,
            "target": target,
            "to": [followers],
        }
    )


def follow(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    return with_context({"id": activity_id, "type": "Follow", "actor": actor, "object": target})


def follow_object(activity_id: str | None, follower: str, target: str) -> dict[str, Any]:
    """A Follow to embed in an Accept or Reject when only its parties (and maybe its id) are
    known. Mastodon and GoToSocial match an embedded Follow by id, then by its two actors."""
    document: dict[str, Any] = {"type": "Follow", "actor": follower, "object": target}
    if activity_id:
        document = {"id": activity_id, **document}
    return document


def _answer(kind: str, actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    embedded = without_context(follow_activity)
    return with_context(
        {
            "id": answer_id(actor, f"{kind.lower()}s", embedded),
            "type": kind,
            "actor": actor,
            "object": embedded,
        }
    )


def accept(actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    """Accept of a Follow, embedding that Follow as received (its id is what the follower
    looks its request up by)."""
    return _answer("Accept", actor, follow_activity)


def reject(actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    """Reject of a Follow: a refused request, or a follower removed (Mastodon's soft block)."""
    return _answer("Reject", actor, follow_activity)


def block(actor: str, block_row_id: int, target: str) -> dict[str, Any]:
    return with_context(
        {"id": block_id(actor, block_row_id), "type": "Block", "actor": actor, "object": target}
    )


def undo(activity: dict[str, Any]) -> dict[str, Any]:
    """Undo of an activity this node sent, embedding it (Mastodon looks at the embedded type
    and parties); addressed as the undone activity was."""
    embedded = without_context(activity)
    document: dict[str, Any] = {
        "id": undo_id(embedded["id"]),
        "type": "Undo",
        "actor": embedded["actor"],
    }
    for key in ("to", "cc"):
        if key in embedded:
            document[key] = embedded[key]
    document["object"] = embedded
    return with_context(document)
