"""Check the integrity proofs of an archive in Mastodon's layout, offline: the keys come from
`actor.json` (its `assertionMethod`), the posts from `outbox.json`. Nothing is fetched and no
database is needed, so an archive can be checked after the node that made it is gone."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.integrity_proofs import ProofError, verify_document
from federation.multikeys import MultikeyError, public_key_from_multibase


class ArchiveError(ValueError):
    """Not an archive this module can read (no zip, or no actor.json or outbox.json)."""


@dataclass(frozen=True, slots=True)
class ArchiveVerification:
    valid: int
    invalid: int
    # `(item id, reason)` for each post that did not verify.
    failures: list[tuple[str, str]] = field(default_factory=list)


def actor_keys(actor: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The actor's Multikey keys by id, only those the actor itself controls."""
    methods = actor.get("assertionMethod")
    if isinstance(methods, dict):
        methods = [methods]
    keys: dict[str, Ed25519PublicKey] = {}
    for method in methods if isinstance(methods, list) else []:
        if not isinstance(method, dict) or method.get("type") != "Multikey":
            continue
        if method.get("controller") != actor.get("id"):
            continue
        key_id, encoded = method.get("id"), method.get("publicKeyMultibase")
        if not isinstance(key_id, str) or not isinstance(encoded, str):
            continue
        try:
            keys[key_id] = public_key_from_multibase(encoded)
        except (MultikeyError, ValueError):
            continue
    return keys


def verify_items(actor: dict[str, Any], items: list[Any]) -> ArchiveVerification:
    """Each item must carry a valid proof by one of the actor's keys, and be the actor's."""
    keys = actor_keys(actor)
    valid, failures = 0, []
    for item in items:
        item_id = str(item.get("id")) if isinstance(item, dict) else "?"
        try:
            if not isinstance(item, dict):
                raise ProofError("not a JSON object")
            if item.get("actor") != actor.get("id"):
                raise ProofError("not the archive owner's activity")
            verify_document(item, keys.get)
        except ProofError as error:
            failures.append((item_id, str(error)))
        else:
            valid += 1
    return ArchiveVerification(valid, len(failures), failures)


def _read_json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        with archive.open(name) as stream:
            return json.load(stream)
    except KeyError:
        raise ArchiveError(f"the archive has no {name}") from None
    except ValueError as error:
        raise ArchiveError(f"{name} is not JSON: {error}") from None


def verify_archive(path: Path) -> ArchiveVerification:
    """Verify every post in the archive at `path`. Raises ArchiveError for an unreadable one."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ArchiveError(f"cannot read {path}: {error}") from None
    with archive:
        actor = _read_json(archive, "actor.json")
        outbox = _read_json(archive, "outbox.json")
    if not isinstance(actor, dict) or not isinstance(outbox, dict):
        raise ArchiveError("actor.json and outbox.json must be JSON objects")
    items = outbox.get("orderedItems")
    if not isinstance(items, list):
        raise ArchiveError("outbox.json has no orderedItems")
    return verify_items(actor, items)
