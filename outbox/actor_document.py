"""A local account rendered as the ActivityPub actor other servers fetch, in the shape Mastodon
serves, so every server that reads Mastodon's actors reads ours."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from actors.accounts import INSTANCE_ACTOR, Account
from actors.directory import AccountLink
from actors.site import Site
from federation.contexts import ACTIVITYSTREAMS, SECURITY_V1
from federation.integrity_proofs import INTEGRITY_TERMS
from federation.organisation_terms import LABELS, RUKUN_CONTEXT, organisation_properties

# Mastodon's extension terms, inline. `schema` ends in "#" (not "/") because Mastodon's does:
# servers that expand JSON-LD match PropertyValue and value by these exact IRIs.
ACTOR_CONTEXT: list[Any] = [
    ACTIVITYSTREAMS,
    SECURITY_V1,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
        "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
        "movedTo": {"@id": "as:movedTo", "@type": "@id"},
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "discoverable": "toot:discoverable",
        "suspended": "toot:suspended",
        "memorial": "toot:memorial",
        "indexable": "toot:indexable",
    },
    # Rukun's typed organisation profile (federation.organisation_terms): inline terms of a
    # fixed IRI, so no context document is ever fetched.
    RUKUN_CONTEXT,
]

# Profile rows for the organisation fields, in the order profiles show them. The phone
# number is not among them: it is never federated.
ORGANISATION_FIELDS = tuple(
    (LABELS[name], name) for name in ("department", "job_title", "location")
)
MANAGER_FIELD = LABELS["manager"]


def plain_text_to_html(text: str) -> str:
    """Plain text as Mastodon renders it: escaped, blank lines between paragraphs, line breaks
    as <br />. Empty text gives an empty string."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = (p.strip("\n") for p in re.split(r"\n\s*\n", text))
    return "".join(
        "<p>" + "<br />".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


def _property_value(name: str, value_html: str) -> dict[str, str]:
    # Mastodon: `name` is plain text, `value` is HTML.
    return {"type": "PropertyValue", "name": name, "value": value_html}


def _actor_id(link: AccountLink, site: Site) -> str:
    return link.uri if link.domain is not None and link.uri else site.actor_url(link.username)


def _account_link_html(link: AccountLink, site: Site) -> str:
    """A link to the account's actor, in the h-card mention markup Mastodon's sanitiser keeps."""
    href = _actor_id(link, site)
    handle = link.username if link.domain is None else f"{link.username}@{link.domain}"
    return (
        f'<span class="h-card"><a href="{html.escape(href)}" class="u-url mention">'
        f"@<span>{html.escape(handle)}</span></a></span>"
    )


def profile_attachments(
    account: Account, site: Site, manager: AccountLink | None
) -> list[dict[str, str]]:
    """The member's own profile fields, then the organisation's, each left out when empty."""
    attachments = [
        _property_value(str(f.get("name", "")), html.escape(str(f.get("value", ""))))
        for f in account.fields
        if f.get("name") or f.get("value")
    ]
    for label, attribute in ORGANISATION_FIELDS:
        value = str(getattr(account, attribute))
        if value:
            attachments.append(_property_value(label, html.escape(value)))
    if manager is not None:
        attachments.append(_property_value(MANAGER_FIELD, _account_link_html(manager, site)))
    if account.skills:
        skills = ", ".join(account.skills)
        attachments.append(_property_value(LABELS["skills"], html.escape(skills)))
    if account.start_date is not None:
        start = account.start_date.isoformat()
        attachments.append(_property_value(LABELS["start_date"], start))
    return attachments


def organisation_document(
    account: Account, site: Site, manager: AccountLink | None
) -> dict[str, Any]:
    """The typed organisation values (Rukun's JSON-LD terms) for the actor document."""
    return organisation_properties(
        department=account.department,
        job_title=account.job_title,
        location=account.location,
        skills=account.skills,
        start_date=account.start_date,
        manager=_actor_id(manager, site) if manager is not None else None,
    )


def _public_key(account: Account, site: Site) -> dict[str, str]:
    return {
        "id": site.key_id(account.username),
        "owner": site.actor_url(account.username),
        "publicKeyPem": account.public_key_pem,
    }


def _published(created_at: datetime) -> str:
    # Mastodon publishes only the day an account was made (midnight UTC), not the moment.
    day = created_at.astimezone(UTC).date()
    return f"{day.isoformat()}T00:00:00Z"


def instance_actor_document(account: Account, site: Site) -> dict[str, Any]:
    """The node's own actor, as Mastodon serves it: an Application at `/actor` whose
    preferredUsername is the domain (so its handle is `domain@domain`)."""
    name = INSTANCE_ACTOR
    return {
        "@context": ACTOR_CONTEXT,
        "id": site.actor_url(name),
        "type": "Application",
        "inbox": site.inbox_url(name),
        "outbox": site.outbox_url(name),
        "preferredUsername": site.domain,
        "url": site.profile_url(name),
        "manuallyApprovesFollowers": True,
        "publicKey": _public_key(account, site),
        "endpoints": {"sharedInbox": site.shared_inbox_url},
    }


def integrity_key_id(site: Site, username: str) -> str:
    return f"{site.actor_url(username)}#ed25519-key"


def assertion_method(site: Site, username: str, public_key_multibase: str) -> list[dict[str, str]]:
    """The actor's Ed25519 key for object integrity proofs (FEP-521a, as Mitra publishes it)."""
    return [
        {
            "id": integrity_key_id(site, username),
            "type": "Multikey",
            "controller": site.actor_url(username),
            "publicKeyMultibase": public_key_multibase,
        }
    ]


def actor_document(
    account: Account,
    site: Site,
    *,
    manager: AccountLink | None = None,
    integrity_key: str | None = None,
    moved_to: str | None = None,
) -> dict[str, Any]:
    """A local account as an ActivityPub actor (`Person`, or `Service` for bots). `manager` is
    the account `account.manager_id` names, `moved_to` the actor id of the account it moved
    to, both looked up by the caller; None leaves them out. `integrity_key` (multibase
    Ed25519) is published as `assertionMethod` when given."""
    if not account.is_local:
        raise ValueError(f"{account.username}@{account.domain} is not a local account")
    if account.username == INSTANCE_ACTOR:
        return instance_actor_document(account, site)
    name = account.username
    actor_type = "Service" if account.bot and account.actor_type == "Person" else account.actor_type
    keys: dict[str, Any] = {}
    if integrity_key is not None:
        keys["assertionMethod"] = assertion_method(site, name, integrity_key)
    return {
        "@context": [*ACTOR_CONTEXT, INTEGRITY_TERMS] if keys else ACTOR_CONTEXT,
        "id": site.actor_url(name),
        "type": actor_type,
        "following": site.following_url(name),
        "followers": site.followers_url(name),
        "inbox": site.inbox_url(name),
        "outbox": site.outbox_url(name),
        # Pinned statuses (Mastodon's `featured`), served to allowed nodes like the rest.
        "featured": f"{site.actor_url(name)}/featured",
        "preferredUsername": name,
        "name": account.display_name,
        "summary": plain_text_to_html(account.note),
        "url": site.profile_url(name),
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        # Not offered to full-text search on other servers: members' posts stay in the network.
        "indexable": False,
        "published": _published(account.created_at),
        "publicKey": _public_key(account, site),
        **keys,
        "tag": [],
        "attachment": profile_attachments(account, site, manager),
        **organisation_document(account, site, manager),
        # Account moves: the accounts this one moves from, and where it went.
        **({"alsoKnownAs": list(account.also_known_as)} if account.also_known_as else {}),
        **({"movedTo": moved_to} if moved_to else {}),
        "endpoints": {"sharedInbox": site.shared_inbox_url},
        **_group_document(account, site),
    }


def _group_document(account: Account, site: Site) -> dict[str, Any]:
    """A group's moderators, as Lemmy publishes them (FEP-1b12 readers look for
    `attributedTo`): a collection of the local members who run it. Anyone may post."""
    if account.actor_type != "Group":
        return {}
    moderators = f"{site.actor_url(account.username)}/moderators"
    return {"attributedTo": moderators, "moderators": moderators, "postingRestrictedToMods": False}
