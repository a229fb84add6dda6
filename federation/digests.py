"""Body digests that HTTP signatures cover: `Digest` (RFC 3230, what Mastodon, Pleroma,
GoToSocial and Misskey send with draft-cavage signatures) and `Content-Digest` (RFC 9530, a
structured field, what RFC 9421 signatures cover).

The verification rule is the same for both: a header naming only algorithms we do not know is
rejected, every algorithm we know must match, and at least one must be present."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable

from federation.structured_fields import Item, StructuredFieldError, parse_dictionary

# Names as RFC 9530 registers them (lowercase); RFC 3230 spells them in capitals.
_ALGORITHMS: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda body: hashlib.sha256(body).digest(),
    "sha-512": lambda body: hashlib.sha512(body).digest(),
}
_SIZES = {"sha-256": 32, "sha-512": 64}
SUPPORTED_ALGORITHMS = frozenset(_ALGORITHMS)
_MAX_SHOWN = 40


class DigestError(ValueError):
    """The body digest is unusable; the message is safe to show the sender."""


class DigestMissingError(DigestError):
    """No digest header where one was required."""


class DigestMalformedError(DigestError):
    """The header does not parse, or a value is not base64 of the algorithm's size."""


class DigestUnsupportedError(DigestError):
    """Only algorithms we do not implement (or consider broken, such as MD5) were offered."""


class DigestMismatchError(DigestError):
    """A digest we can check does not match the body."""


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


def _check(offered: dict[str, bytes], body: bytes, header: str) -> str:
    """Compare every supported digest on offer; the name of one that matched."""
    known = {name: value for name, value in offered.items() if name in _ALGORITHMS}
    if not known:
        names = ", ".join(sorted(offered)) or "none"
        raise DigestUnsupportedError(
            f"{header} offers no supported algorithm (offered: {_shown(names)}; "
            f"supported: sha-256, sha-512)"
        )
    for name, value in known.items():
        if len(value) != _SIZES[name]:
            raise DigestMalformedError(f"{header} {name} value is not a {name} digest")
        if _ALGORITHMS[name](body) != value:
            raise DigestMismatchError(f"{header} {name} does not match the body")
    return next(iter(known))


def digest_header(body: bytes) -> str:
    """The RFC 3230 `Digest` value Mastodon sends and expects: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """The RFC 9530 `Content-Digest` value: `sha-256=:<base64>:`."""
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    encoded = base64.b64encode(_ALGORITHMS[algorithm](body)).decode("ascii")
    return f"{algorithm}=:{encoded}:"


def verify_digest(header: str | None, body: bytes) -> str:
    """Check an RFC 3230 `Digest` value (`SHA-256=…`, comma-separated, algorithm names in any
    case) against the body. Returns the name of a matching algorithm.

    Raises DigestMissingError, DigestMalformedError, DigestUnsupportedError or
    DigestMismatchError."""
    if header is None or not header.strip():
        raise DigestMissingError("Digest header is missing")
    offered: dict[str, bytes] = {}
    for entry in header.split(","):
        name, equals, value = entry.strip().partition("=")
        name = name.strip().lower()
        if not equals or not name:
            raise DigestMalformedError(f"Digest entry {_shown(entry.strip())!r} is not name=value")
        if name not in _ALGORITHMS:
            offered.setdefault(name, b"")
            continue
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except binascii.Error:
            raise DigestMalformedError(f"Digest {name} value is not base64") from None
        if name in offered and offered[name] != decoded:
            raise DigestMalformedError(f"Digest names {name} twice with different values")
        offered[name] = decoded
    return _check(offered, body, "Digest")


def verify_content_digest(header: str | None, body: bytes) -> str:
    """Check an RFC 9530 `Content-Digest` value (a structured dictionary of byte sequences)
    against the body. Returns the name of a matching algorithm.

    Raises DigestMissingError, DigestMalformedError, DigestUnsupportedError or
    DigestMismatchError."""
    if header is None or not header.strip():
        raise DigestMissingError("Content-Digest header is missing")
    try:
        members = parse_dictionary(header)
    except StructuredFieldError as error:
        raise DigestMalformedError(
            f"Content-Digest is not a structured dictionary: {error}"
        ) from None
    offered: dict[str, bytes] = {}
    for name, member in members.items():
        if name not in _ALGORITHMS:
            offered[name] = b""
            continue
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise DigestMalformedError(f"Content-Digest {name} value is not a byte sequence")
        offered[name] = member.value
    return _check(offered, body, "Content-Digest")
