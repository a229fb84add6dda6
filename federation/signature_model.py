"""What both HTTP signature schemes share: what they parse to, what a verification proves,
the injected key lookup, how header values are read, and every way verification fails.

Each failure is one `SignatureError` subclass; messages are safe to send back to the peer
(they name headers and parameters, never echo long attacker-controlled values)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Scheme = Literal["draft-cavage", "rfc9421"]


class SignatureError(ValueError):
    """The request's signature does not authenticate it."""


class MissingSignatureError(SignatureError):
    """The request carries no signature at all."""


class MalformedSignatureError(SignatureError):
    """A signature header (or a parameter or date in it) does not parse."""


class UnsupportedAlgorithmError(SignatureError):
    """The algorithm is not one we verify, or does not fit the key."""


class MissingSignedHeaderError(SignatureError):
    """A header or component we require is not covered, or a covered one is absent."""


class ExpiredSignatureError(SignatureError):
    """The signature was made too long ago, expired, or claims to come from the future."""


class DigestMismatchError(SignatureError):
    """The covered body digest is missing, malformed, unsupported or does not match the body."""


class BadSignatureError(SignatureError):
    """The signature does not verify with the signer's key (even after refetching it)."""


class UnknownKeyError(SignatureError):
    """The key id names no key we could find, or the key is unusable."""


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """A signature header parsed and its signed text rebuilt, before any key is looked up.

    `bases` holds the candidate signed texts in the order to try: one for RFC 9421; for
    draft-cavage the `(request-target)` with the query string, then without it."""

    scheme: Scheme
    key_id: str
    algorithms: tuple[str, ...]  # RFC 9421 names to try; empty means "whatever fits the key"
    signature: bytes
    bases: tuple[bytes, ...]
    covered: tuple[str, ...]  # lowercase header names and pseudo-headers / derived components
    created: datetime | None
    expires: datetime | None
    digest_header: str | None  # "digest" or "content-digest" when covered


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """What a key lookup may return instead of a bare PEM: the key and the actor owning it."""

    public_key_pem: str
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """Proof that the request was signed by `key_id` (owned by `owner`, when the lookup said)."""

    key_id: str
    owner: str | None
    scheme: Scheme
    algorithm: str
    covered: tuple[str, ...]
    created: datetime | None


class KeyLookup(Protocol):
    """Finds the public key for a key id. `refresh=False` may answer from a cache (and fetch on
    a miss); `refresh=True` asks for a fresh copy, because the cached key failed to verify and
    the actor may have rotated it. Returns the PEM, a ResolvedKey, or None when there is no such
    key. Exceptions it raises (network errors) propagate to the caller of `verify_request`."""

    async def __call__(self, key_id: str, *, refresh: bool) -> str | ResolvedKey | None: ...


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value as signatures see it: every line of it, trimmed and joined with ", "
    (RFC 9110 §5.3, RFC 9421 §2.1); None when absent. Reads all lines of a multidict
    (`getall`, as aiohttp's headers have) and any key case of a plain mapping."""
    getall = getattr(headers, "getall", None)
    if getall is not None:
        values = [str(value).strip() for value in getall(name, ())]
    else:
        wanted = name.lower()
        values = [value.strip() for key, value in headers.items() if key.lower() == wanted]
    return ", ".join(values) if values else None
