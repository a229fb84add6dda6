"""Reading an archive of posts: Mastodon's BackupService layout (also what Rukun exports), a zip
holding `outbox.json` (an OrderedCollection of the owner's activities), `actor.json` and the
media files under the paths the attachments name.

Nothing is ever extracted to disk: members are read by name from the zip in memory. Still, an
archive with an absolute or `..` path, or one that would unpack to more than MAX_UNPACKED_BYTES,
is refused whole, as is one whose outbox is not an OrderedCollection: such a file was not made
by an exporter and nothing of it is imported. A single item that cannot be read is reported
by its position and the others are imported.

What is imported, and why: posts (`Create` of a Note, Article, Page or Question) of the
archive's owner addressed to the public (`to` Public: public) or listed as unlisted (`cc`
Public). Followers-only posts and direct messages are skipped: they were written for an
audience on the old node, and republishing them here would widen it. Boosts (`Announce`) are
skipped: they are other people's posts, which stay on their own nodes.

A post whose FEP-8b32 proof verifies against a key `actor.json` publishes (as Rukun's exports
carry) is marked verified: the archive itself shows it was published by that actor."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.archive_proofs import actor_keys
from federation.integrity_proofs import ProofError, verify_document

MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_ENTRIES = 50_000
MAX_ITEMS = 50_000
PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
POST_TYPES = frozenset({"Note", "Article", "Page", "Question"})


class ArchiveError(ValueError):
    """The archive as a whole cannot be imported; nothing of it is."""


class ItemSkipped(Exception):
    """The item is left out on purpose (a boost, a followers-only post); the message says why."""


class ItemError(Exception):
    """The item cannot be read; the message says what is wrong with it."""


@dataclass(frozen=True, slots=True)
class ArchivedMedia:
    path: str  # inside the archive
    description: str


@dataclass(frozen=True, slots=True)
class ArchivedPost:
    uri: str
    published: datetime
    content: str  # HTML as the old node wrote it; sanitised when stored
    summary: str
    sensitive: bool
    language: str | None
    visibility: str
    in_reply_to: str | None
    tags: tuple[str, ...]
    media: tuple[ArchivedMedia, ...]
    proof: Any  # FEP-8b32 proof(s), kept as found
    # The proof verifies with a key of the archive's actor.json (the owner's own).
    proof_verified: bool = False


@dataclass(frozen=True, slots=True)
class Archive:
    owner: str  # the actor id the posts were written as
    items: list[Any]
    zip: zipfile.ZipFile
    # The owner's integrity keys (`assertionMethod` of actor.json), by key id.
    keys: dict[str, Ed25519PublicKey]


def _safe_name(name: str) -> bool:
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in name.split("/", maxsplit=1)[0]
    ):
        return False
    return ".." not in PurePosixPath(name).parts


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, never more than its header declares (a lying header is refused)."""
    with archive.open(info) as stream:
        data = stream.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ArchiveError(f"{info.filename}: its size does not match the archive's index")
    return data


def _json_member(archive: zipfile.ZipFile, name: str, *, required: bool) -> Any:
    try:
        info = archive.getinfo(name)
    except KeyError:
        if required:
            raise ArchiveError(f"the archive has no {name}") from None
        return None
    try:
        return json.loads(_read(archive, info))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{name} is not valid JSON: {error}") from None


def _owner(actor: Any, items: list[Any]) -> str:
    if isinstance(actor, dict) and isinstance(actor.get("id"), str) and actor["id"]:
        return str(actor["id"])
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("actor"), str):
            return str(item["actor"])
    raise ArchiveError("neither actor.json nor the outbox names whose posts these are")


def open_archive(data: bytes) -> Archive:
    """The archive's owner and outbox items. Raises ArchiveError for a file that is not a safe
    zip with a well-formed outbox."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"the archive is larger than {MAX_ARCHIVE_BYTES // 1048576} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise ArchiveError("the archive is not a zip file") from None
    if len(infos) > MAX_ENTRIES:
        raise ArchiveError(f"the archive holds more than {MAX_ENTRIES} files")
    unsafe = [info.filename for info in infos if not _safe_name(info.filename)]
    if unsafe:
        raise ArchiveError(f"the archive has unsafe paths: {', '.join(unsafe[:5])[:500]}")
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise ArchiveError(f"the archive unpacks to more than {MAX_UNPACKED_BYTES // 1048576} MB")
    try:
        outbox = _json_member(archive, "outbox.json", required=True)
        actor = _json_member(archive, "actor.json", required=False)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
        raise ArchiveError(f"the archive cannot be read: {error}") from None
    if not isinstance(outbox, dict) or outbox.get("type") != "OrderedCollection":
        raise ArchiveError("outbox.json is not an OrderedCollection")
    items = outbox.get("orderedItems", [])
    if not isinstance(items, list):
        raise ArchiveError("outbox.json: orderedItems is not a list")
    if len(items) > MAX_ITEMS:
        raise ArchiveError(f"outbox.json has more than {MAX_ITEMS} items")
    owner = _owner(actor, items)
    keys = actor_keys(actor) if isinstance(actor, dict) and actor.get("id") == owner else {}
    return Archive(owner, items, archive, keys)


def read_member(archive: Archive, path: str) -> bytes | None:
    """A media file the outbox names, or None when the archive does not hold it. Mastodon
    writes attachment URLs as paths without the `/system/` prefix; a full URL is reduced to
    its path the same way."""
    if "://" in path:
        path = urlsplit(path).path
    path = path.lstrip("/").removeprefix("system/")
    if not _safe_name(path):
        return None
    try:
        info = archive.zip.getinfo(path)
    except KeyError:
        return None
    try:
        return _read(archive.zip, info)
    except (ArchiveError, zipfile.BadZipFile, OSError, RuntimeError):
        return None


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _audience(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in (_id_of(entry) for entry in value) if v}
    return set()


def _published(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ItemError("no published date")
    try:
        published = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ItemError(f"{value[:40]!r} is not a date") from None
    return published if published.tzinfo else published.replace(tzinfo=UTC)


def _tags(value: Any) -> tuple[str, ...]:
    entries = value if isinstance(value, list) else [value]
    names = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("type") == "Hashtag":
            name = entry.get("name")
            if isinstance(name, str) and name.lstrip("#"):
                names.append(name.lstrip("#"))
    return tuple(names)


def _media(value: Any) -> tuple[ArchivedMedia, ...]:
    entries = value if isinstance(value, list) else [value] if value else []
    found = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        url = entry.get("url")
        if isinstance(url, list):
            url = url[0] if url else None
        if isinstance(url, dict):
            url = url.get("href")
        if isinstance(url, str) and url:
            name = entry.get("name")
            found.append(ArchivedMedia(url, name if isinstance(name, str) else ""))
    return tuple(found)


def _language(post: dict[str, Any]) -> str | None:
    content_map = post.get("contentMap")
    if isinstance(content_map, dict) and content_map:
        first = next(iter(content_map))
        return first[:16] if isinstance(first, str) else None
    return None


def _verified(item: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> bool:
    if not keys or not isinstance(item.get("proof"), dict):
        return False
    try:
        verify_document(item, keys.get)
    except ProofError:
        return False
    return True


def read_item(
    item: Any, owner: str, keys: dict[str, Ed25519PublicKey] | None = None
) -> ArchivedPost:
    """The post an outbox item carries. Raises ItemSkipped for what is left out on purpose and
    ItemError for what cannot be read."""
    if not isinstance(item, dict):
        raise ItemError("not a JSON object")
    kind = item.get("type")
    if kind == "Announce":
        raise ItemSkipped("a boost of someone else's post, not imported")
    if kind != "Create":
        raise ItemSkipped(f"a {str(kind)[:40]} activity, not a post")
    if _id_of(item.get("actor")) not in (None, owner):
        raise ItemSkipped("written by another actor, not imported")
    post = item.get("object")
    if not isinstance(post, dict):
        raise ItemError("the Create carries no object")
    if post.get("type") not in POST_TYPES:
        raise ItemSkipped(f"a {str(post.get('type'))[:40]} object, not a post")
    uri = _id_of(post)
    if uri is None or not uri.startswith(("https://", "http://")):
        raise ItemError("the post has no http(s) id")
    to, cc = _audience(post.get("to")), _audience(post.get("cc"))
    if to & PUBLIC:
        visibility = "public"
    elif cc & PUBLIC:
        visibility = "unlisted"
    else:
        raise ItemSkipped(f"{uri[:200]} is followers-only or direct, not imported")
    content = post.get("content")
    if content is None and isinstance(post.get("contentMap"), dict):
        content = next(iter(post["contentMap"].values()), "")
    if not isinstance(content, str):
        raise ItemError(f"{uri[:200]} has no text content")
    summary = post.get("summary")
    proof = post.get("proof") or item.get("proof")
    return ArchivedPost(
        uri=uri,
        published=_published(post.get("published") or item.get("published")),
        content=content,
        summary=summary if isinstance(summary, str) else "",
        sensitive=post.get("sensitive") is True,
        language=_language(post),
        visibility=visibility,
        in_reply_to=_id_of(post.get("inReplyTo")),
        tags=_tags(post.get("tag")),
        media=_media(post.get("attachment")),
        proof=proof if isinstance(proof, dict | list) else None,
        proof_verified=_verified(item, keys or {}),
    )
