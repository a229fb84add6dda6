"""HTTP Signatures as the fediverse speaks them: draft-cavage-http-signatures-12 the way
Mastodon signs and verifies (`Signature` + `Digest`), and `verify_request`, the one entry
point that also accepts RFC 9421 message signatures (`Signature-Input` present).

Pure functions over (method, URL or path, headers, body); the public key is found through an
injected `KeyLookup` so the caller decides how actors are fetched, cached and refetched.

Choices, following Mastodon's `app/lib/signed_request.rb` (2025):
- `algorithm` absent means `hs2019`; `rsa-sha256` and `hs2019` are accepted. With an RSA key
  both mean RSASSA-PKCS1-v1_5 with SHA-256 (Mastodon). With an Ed25519 key `hs2019` means
  Ed25519 (GoToSocial tries it). RSA-PSS is *not* accepted for draft-cavage: neither
  Mastodon nor GoToSocial (RSA_SHA256, RSA_SHA512, ED25519, all PKCS#1 v1.5 for RSA) does.
- Signed headers must include `(request-target)`, `host`, `date` or `(created)`, and for a
  POST `digest`; RFC 9421 signatures must cover `@method`, the target (`@target-uri`, or
  `@authority` + `@path` + `@query` when there is a query) and, for a POST, `content-digest`.
- `(request-target)` is tried with the query string, then without it, as Mastodon does
  (Mastodon before 4.3 signed the path alone).
- Time: a signature is valid from its `created` (or `Date`) for 5 minutes, or until its
  `expires` (capped at 12 hours), with 1 hour of clock skew either way: Mastodon's
  EXPIRATION_WINDOW_LIMIT = 12 h and CLOCK_SKEW_MARGIN = 1 h, default expiry 5 min. So a
  `Date` 65 minutes old is the oldest accepted, and one 1 hour ahead the newest. Unlike
  Mastodon, a `created`/`expires` parameter counts only when `(created)`/`(expires)` is
  signed, and `Date` only when `date` is."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from federation.digests import DigestError, digest_header, verify_content_digest, verify_digest
from federation.message_signatures import normalized_authority, parse_message_signature
from federation.signature_model import (
    BadSignatureError,
    DigestMismatchError,
    ExpiredSignatureError,
    KeyLookup,
    MalformedSignatureError,
    MissingSignatureError,
    MissingSignedHeaderError,
    ParsedSignature,
    ResolvedKey,
    UnknownKeyError,
    UnsupportedAlgorithmError,
    VerifiedSignature,
    header_value,
)
from federation.signing_keys import (
    ED25519,
    RSA_V1_5_SHA256,
    KeyFormatError,
    PrivateKey,
    PublicKey,
    algorithms_for,
    load_private_key,
    load_public_key,
    sign_bytes,
    verify_bytes,
)

DEFAULT_EXPIRY = timedelta(minutes=5)
EXPIRATION_WINDOW_LIMIT = timedelta(hours=12)
CLOCK_SKEW_MARGIN = timedelta(hours=1)

_DRAFT_ALGORITHMS = {"rsa-sha256": (RSA_V1_5_SHA256,), "hs2019": (RSA_V1_5_SHA256, ED25519)}
# keyId="…" or algorithm=token, comma-separated, blanks allowed around '=' and ','.
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s",]*))\s*')
_TIMESTAMP = re.compile(r"[0-9]{1,11}(\.[0-9]+)?")
_MAX_SHOWN = 200


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _target(path_with_query: str, with_query: bool) -> str:
    return path_with_query if with_query else path_with_query.partition("?")[0]


def _draft_params(raw: str) -> dict[str, str]:
    # Old node-http-signature puts a stray "Signature " in front (Mastodon tolerates it).
    if raw[:10].lower() == "signature ":
        raw = raw[10:]
    params: dict[str, str] = {}
    position = 0
    while position < len(raw):
        match = _PARAM.match(raw, position)
        if not match:
            raise MalformedSignatureError("Signature header does not parse")
        name, quoted, bare = match.groups()
        if name in params:
            raise MalformedSignatureError(f"Signature parameter {name} is repeated")
        params[name] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        position = match.end()
        if position < len(raw):
            if raw[position] != ",":
                raise MalformedSignatureError("Signature parameters must be comma-separated")
            position += 1
    return params


def _draft_timestamp(params: dict[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if not _TIMESTAMP.fullmatch(value):
        raise MalformedSignatureError(f"Signature parameter {name} is not a Unix time")
    return datetime.fromtimestamp(int(float(value)), UTC)


def _draft_base(
    covered: tuple[str, ...],
    method: str,
    target: str,
    headers: Mapping[str, str],
    params: dict[str, str],
) -> bytes:
    """The signing string: one `name: value` line per signed header, in the order signed."""
    lines = []
    for name in covered:
        if name == "(request-target)":
            value: str | None = f"{method.lower()} {target}"
        elif name in ("(created)", "(expires)"):
            # Mastodon: these pseudo-headers exist only for hs2019, from the parameters.
            value = params.get(name[1:-1])
            if params.get("algorithm", "hs2019").lower() != "hs2019" or value is None:
                raise MalformedSignatureError(f"{name} needs hs2019 and a {name[1:-1]} parameter")
        else:
            value = header_value(headers, name)
        if value is None:
            raise MissingSignedHeaderError(f"signed header {_shown(name)!r} is absent")
        lines.append(f"{name}: {value}")
    try:
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise MalformedSignatureError("a signed header is not text") from None


def parse_draft_signature(
    method: str, path_with_query: str, headers: Mapping[str, str]
) -> ParsedSignature:
    """Parse a draft-cavage `Signature` (or `Authorization: Signature …`) header and rebuild
    its signing strings. Raises MissingSignatureError, MalformedSignatureError,
    UnsupportedAlgorithmError or MissingSignedHeaderError."""
    raw = header_value(headers, "signature")
    if raw is None:
        authorization = header_value(headers, "authorization") or ""
        if authorization[:10].lower() != "signature ":
            raise MissingSignatureError("the request is not signed")
        raw = authorization
    params = _draft_params(raw)
    key_id, encoded = params.get("keyId"), params.get("signature")
    if not key_id or not encoded:
        raise MalformedSignatureError("keyId and signature are required")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in _DRAFT_ALGORITHMS:
        raise UnsupportedAlgorithmError(
            f"algorithm {_shown(algorithm)!r} is not supported (only rsa-sha256 and hs2019)"
        )
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise MalformedSignatureError("signature is not base64") from None
    default_headers = "(created)" if algorithm == "hs2019" else "date"
    covered = tuple(params.get("headers", default_headers).lower().split())
    # Times count only when signed. Mastodon reads an unsigned `created` parameter too, which
    # lets anyone replay an old request by appending `algorithm="hs2019",created=<now>`.
    created = _draft_timestamp(params, "created") if "(created)" in covered else None
    expires = _draft_timestamp(params, "expires") if "(expires)" in covered else None
    if created is None and "date" in covered and (date := header_value(headers, "date")):
        try:
            created = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise MalformedSignatureError("Date header is not an HTTP date") from None
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
    variants = (True, False) if "?" in path_with_query else (True,)
    bases = tuple(
        _draft_base(covered, method, _target(path_with_query, with_query), headers, params)
        for with_query in variants
    )
    return ParsedSignature(
        scheme="draft-cavage",
        key_id=key_id,
        algorithms=_DRAFT_ALGORITHMS[algorithm],
        signature=signature,
        bases=bases,
        covered=covered,
        created=created,
        expires=expires,
        digest_header="digest" if "digest" in covered else None,
    )


def _require_coverage(parsed: ParsedSignature, method: str, path_with_query: str) -> None:
    covered = set(parsed.covered)
    is_post = method.upper() == "POST"
    if parsed.scheme == "draft-cavage":
        missing = [name for name in ("(request-target)", "host") if name not in covered]
        if not covered & {"date", "(created)"}:
            missing.append("date")
        if is_post and "digest" not in covered:
            missing.append("digest")
    else:
        missing = [] if "@method" in covered else ["@method"]
        if "@target-uri" not in covered:
            needed = ["@path", "@query"] if "?" in path_with_query else ["@path"]
            missing += [name for name in needed if name not in covered]
            if not covered & {"@authority", "host"}:
                missing.append("@authority")
        if is_post and "content-digest" not in covered:
            missing.append("content-digest")
    if missing:
        raise MissingSignedHeaderError(f"the signature must cover {', '.join(missing)}")


def check_time_window(created: datetime | None, expires: datetime | None, now: datetime) -> None:
    """Mastodon's window (see the module docstring). Raises ExpiredSignatureError, or
    MissingSignedHeaderError when the signature has no time at all."""
    if created is None:
        raise MissingSignedHeaderError("the signature must carry a Date or created time")
    if created > now + CLOCK_SKEW_MARGIN:
        raise ExpiredSignatureError("the signature date is in the future")
    valid_until = min(expires or created + DEFAULT_EXPIRY, created + EXPIRATION_WINDOW_LIMIT)
    if now > valid_until + CLOCK_SKEW_MARGIN:
        raise ExpiredSignatureError("the signature has expired")


async def _lookup(key_lookup: KeyLookup, key_id: str, *, refresh: bool) -> ResolvedKey | None:
    found = await key_lookup(key_id, refresh=refresh)
    if found is None or isinstance(found, ResolvedKey):
        return found
    return ResolvedKey(found)


def _verify(parsed: ParsedSignature, resolved: ResolvedKey) -> str | None:
    """The algorithm under which the signature verifies with this key, None when it does not."""
    try:
        key: PublicKey = load_public_key(resolved.public_key_pem)
    except KeyFormatError as error:
        raise UnknownKeyError(f"key {_shown(parsed.key_id)} is unusable: {error}") from None
    usable = [
        name for name in parsed.algorithms or algorithms_for(key) if name in algorithms_for(key)
    ]
    if not usable:
        raise UnsupportedAlgorithmError("the signature's algorithm does not fit the signer's key")
    for base in parsed.bases:
        for algorithm in usable:
            if verify_bytes(algorithm, key, base, parsed.signature):
                return algorithm
    return None


async def verify_request(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    body: bytes,
    key_lookup: KeyLookup,
    *,
    now: datetime | None = None,
    scheme: str = "https",
    authority: str | None = None,
) -> VerifiedSignature:
    """Verify the request's signature: RFC 9421 when `Signature-Input` is present, else
    draft-cavage. `path_with_query` is the raw request target as received (aiohttp's
    `request.raw_path`); `scheme` and `authority` (default: the Host header) rebuild the
    target URI for RFC 9421.

    Checks, in order: the header parses, the algorithm is supported, required headers are
    covered, the time window, the body digest, then the key: `key_lookup(key_id,
    refresh=False)`, and if the signature does not verify, `key_lookup(key_id, refresh=True)`
    once. Returns who signed; raises a SignatureError subclass naming what failed."""
    now = now or datetime.now(UTC)
    if header_value(headers, "signature-input") is not None:
        host = authority or header_value(headers, "host") or ""
        parsed = parse_message_signature(method, f"{scheme}://{host}{path_with_query}", headers)
    else:
        parsed = parse_draft_signature(method, path_with_query, headers)
    _require_coverage(parsed, method, path_with_query)
    check_time_window(parsed.created, parsed.expires, now)
    if parsed.digest_header is not None:
        check = verify_digest if parsed.digest_header == "digest" else verify_content_digest
        try:
            check(header_value(headers, parsed.digest_header), body)
        except DigestError as error:
            raise DigestMismatchError(str(error)) from None
    resolved = await _lookup(key_lookup, parsed.key_id, refresh=False)
    if resolved is None:
        raise UnknownKeyError(f"no public key found for {_shown(parsed.key_id)}")
    algorithm = _verify(parsed, resolved)
    if algorithm is None:
        # The actor may have rotated its key since we cached it: refetch once, as Mastodon.
        fresh = await _lookup(key_lookup, parsed.key_id, refresh=True)
        if fresh is None:
            raise UnknownKeyError(f"public key {_shown(parsed.key_id)} is gone")
        if fresh.public_key_pem != resolved.public_key_pem:
            algorithm = _verify(parsed, fresh)
        resolved = fresh
    if algorithm is None:
        raise BadSignatureError(f"signature does not verify with key {_shown(parsed.key_id)}")
    return VerifiedSignature(
        key_id=parsed.key_id,
        owner=resolved.owner,
        scheme=parsed.scheme,
        algorithm=algorithm,
        covered=parsed.covered,
        created=parsed.created,
    )


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key_pem: str | PrivateKey,
    now: datetime | None = None,
) -> dict[str, str]:
    """Headers to add for a draft-cavage signature, Mastodon's way: `Date` (when `headers`
    has none), `Host`, `Digest` (when there is a body, even empty) and `Signature` over
    `(request-target) host date [digest]`; without a body, `accept` is signed too when given.

    RSA keys sign `rsa-sha256` (RSASSA-PKCS1-v1_5, SHA-256), Ed25519 keys `hs2019`."""
    if '"' in key_id or "\\" in key_id:
        raise ValueError("a key id must not contain quotes or backslashes")
    key = load_private_key(private_key_pem) if isinstance(private_key_pem, str) else private_key_pem
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    added: dict[str, str] = {}
    host = header_value(headers, "host")
    added["Host"] = host or normalized_authority(parts.scheme, parts.netloc)
    date = header_value(headers, "date")
    if date is None:
        date = added["Date"] = _http_date(now or datetime.now(UTC))
    lines = [f"(request-target): {method.lower()} {target}", f"host: {added['Host']}"]
    lines.append(f"date: {date}")
    covered = ["(request-target)", "host", "date"]
    if body is not None:
        added["Digest"] = digest_header(body)
        lines.append(f"digest: {added['Digest']}")
        covered.append("digest")
    elif (accept := header_value(headers, "accept")) is not None:
        lines.append(f"accept: {accept}")
        covered.append("accept")
    algorithm = algorithms_for(key)[0]
    signed = sign_bytes(algorithm, key, "\n".join(lines).encode("utf-8"))
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{"hs2019" if algorithm == ED25519 else "rsa-sha256"}",'
        f'headers="{" ".join(covered)}",signature="{base64.b64encode(signed).decode("ascii")}"'
    )
    return added
