"""HTTP Message Signatures (RFC 9421) on requests: `Signature-Input` + `Signature`.

Mastodon verifies these since 4.4 (and will sign with them); everyone else still speaks
draft-cavage. Pure functions over (method, target URI, headers, body). Derived components:
`@method`, `@target-uri`, `@authority`, `@scheme`, `@request-target`, `@path`, `@query` and
`@query-param;name=…`; header fields without parameters; parameters `created`, `expires`,
`keyid`, `alg`, `nonce`, `tag`; algorithms `rsa-v1_5-sha256`, `rsa-pss-sha512`, `ed25519`."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit

from federation.digests import content_digest_header
from federation.signature_model import (
    MalformedSignatureError,
    MissingSignatureError,
    MissingSignedHeaderError,
    ParsedSignature,
    UnsupportedAlgorithmError,
    header_value,
)
from federation.signing_keys import (
    ALGORITHMS,
    PrivateKey,
    algorithms_for,
    load_private_key,
    sign_bytes,
)
from federation.structured_fields import (
    InnerList,
    Item,
    Parameters,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_item,
    serialize_member,
)

DERIVED = frozenset(
    {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_STRING_PARAMS = ("keyid", "alg", "nonce", "tag")
_TIME_PARAMS = ("created", "expires")
_MAX_SHOWN = 60


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


def normalized_authority(scheme: str, netloc: str) -> str:
    """`host[:port]` lowercased, the scheme's default port left out (RFC 9421 §2.2.3)."""
    host = netloc.rpartition("@")[2].lower()
    if host.endswith("]"):
        return host  # an IPv6 literal without a port
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and _DEFAULT_PORTS.get(scheme.lower()) == int(port):
        return name
    return host


def _query_param(query: str, name: str) -> str:
    """RFC 9421 §2.2.8: the one value of `name`, decoded, then percent-encoded again."""
    values = [value for key, value in parse_qsl(query, keep_blank_values=True) if key == name]
    if len(values) != 1:
        raise MissingSignedHeaderError(
            f"@query-param {_shown(name)!r} must occur exactly once in the query"
        )
    return quote(values[0], safe="").replace("~", "%7E")


def _component_value(item: Item, method: str, target_uri: str, headers: Mapping[str, str]) -> str:
    name = item.value
    if not isinstance(name, str) or isinstance(name, Token) or name != name.lower():
        raise MalformedSignatureError("covered components must be lowercase quoted strings")
    parts = urlsplit(target_uri)
    if name == "@query-param":
        param = item.params.get("name")
        if set(item.params) != {"name"} or not isinstance(param, str):
            raise MalformedSignatureError("@query-param needs exactly one name parameter")
        return _query_param(parts.query, param)
    if item.params:
        raise MalformedSignatureError(f"component parameters on {_shown(name)!r} are not supported")
    if name.startswith("@"):
        if name not in DERIVED:
            raise MalformedSignatureError(f"derived component {_shown(name)!r} is not supported")
        if name in ("@authority", "@target-uri") and not parts.netloc:
            raise MissingSignedHeaderError("the request has no Host to derive @authority from")
        path = parts.path or "/"
        values = {
            "@method": method.upper(),
            "@target-uri": target_uri,
            "@authority": normalized_authority(parts.scheme, parts.netloc),
            "@scheme": parts.scheme.lower(),
            "@request-target": path + (f"?{parts.query}" if parts.query else ""),
            "@path": path,
            "@query": f"?{parts.query}",
        }
        return values[name]
    value = header_value(headers, name)
    if value is None:
        raise MissingSignedHeaderError(f"covered header {_shown(name)!r} is absent")
    return value


def signature_base(
    method: str, target_uri: str, headers: Mapping[str, str], signature_params: InnerList
) -> bytes:
    """The signature base (RFC 9421 §2.5) for the components and parameters of one signature.

    Raises MalformedSignatureError or MissingSignedHeaderError."""
    lines: list[str] = []
    seen: set[str] = set()
    for item in signature_params.items:
        identifier = serialize_item(item)
        if identifier in seen:
            raise MalformedSignatureError(f"component {_shown(identifier)} is covered twice")
        seen.add(identifier)
        value = _component_value(item, method, target_uri, headers)
        if "\n" in value or "\r" in value:
            raise MalformedSignatureError("a covered value contains a line break")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {serialize_member(signature_params)}')
    try:
        return "\n".join(lines).encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise MalformedSignatureError("a covered value is not text") from None


def _timestamp(params: Parameters, name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedSignatureError(f"{name} must be an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedSignatureError(f"{name} is out of range") from None


def parse_message_signature(
    method: str, target_uri: str, headers: Mapping[str, str]
) -> ParsedSignature:
    """Parse the first signature of `Signature-Input` and rebuild its signature base.
    `target_uri` is the full URI the request was sent to (`https://host/path?query`).

    Requires `keyid` and `created`. Raises MissingSignatureError, MalformedSignatureError,
    MissingSignedHeaderError or UnsupportedAlgorithmError; says nothing about policy (which
    components must be covered) or time."""
    input_header = header_value(headers, "signature-input")
    signature_header = header_value(headers, "signature")
    if input_header is None or signature_header is None:
        raise MissingSignatureError("Signature-Input and Signature are both required")
    try:
        inputs = parse_dictionary(input_header)
        signatures = parse_dictionary(signature_header)
    except StructuredFieldError as error:
        raise MalformedSignatureError(f"signature header does not parse: {error}") from None
    if not inputs:
        raise MalformedSignatureError("Signature-Input is empty")
    label, member = next(iter(inputs.items()))
    signature = signatures.get(label)
    if not isinstance(member, InnerList):
        raise MalformedSignatureError(f"Signature-Input {label} is not an inner list")
    if not isinstance(signature, Item) or not isinstance(signature.value, bytes):
        raise MalformedSignatureError(f"Signature has no byte sequence labelled {label}")
    params = member.params
    for name in _STRING_PARAMS:
        if name in params and not isinstance(params[name], str):
            raise MalformedSignatureError(f"{name} must be a string")
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise MalformedSignatureError("the keyid parameter is required")
    created = _timestamp(params, "created")
    if created is None:
        raise MissingSignedHeaderError("the created parameter is required")
    alg = params.get("alg")
    if alg is not None and alg not in ALGORITHMS:
        raise UnsupportedAlgorithmError(
            f"algorithm {_shown(str(alg))!r} is not supported (use one of {', '.join(ALGORITHMS)})"
        )
    covered = tuple(str(item.value) for item in member.items)
    return ParsedSignature(
        scheme="rfc9421",
        key_id=key_id,
        algorithms=(str(alg),) if alg is not None else (),
        signature=signature.value,
        bases=(signature_base(method, target_uri, headers, member),),
        covered=covered,
        created=created,
        expires=_timestamp(params, "expires"),
        digest_header="content-digest" if "content-digest" in covered else None,
    )


def sign_message(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: str | PrivateKey,
    components: Sequence[str] | None = None,
    algorithm: str | None = None,
    declare_algorithm: bool = True,
    created: datetime | None = None,
    expires: datetime | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Headers to add for an RFC 9421 signature: `Signature-Input`, `Signature`, and
    `Content-Digest` (sha-256) when there is a body and `headers` has none.

    By default covers `@method`, `@target-uri` and, with a body, `content-digest` — what
    Mastodon requires. The algorithm defaults to the key's usual one (`rsa-v1_5-sha256` for
    RSA) and is declared in `alg` unless `declare_algorithm` is false."""
    key = load_private_key(private_key) if isinstance(private_key, str) else private_key
    algorithm = algorithm or algorithms_for(key)[0]
    added: dict[str, str] = {}
    if body is not None and header_value(headers, "content-digest") is None:
        added["Content-Digest"] = content_digest_header(body)
    if components is None:
        components = ("@method", "@target-uri", *(("content-digest",) if body is not None else ()))
    params: Parameters = {"created": int((created or datetime.now(UTC)).timestamp())}
    if expires is not None:
        params["expires"] = int(expires.timestamp())
    params["keyid"] = key_id
    if declare_algorithm:
        params["alg"] = algorithm
    if nonce is not None:
        params["nonce"] = nonce
    if tag is not None:
        params["tag"] = tag
    signature_params = InnerList(tuple(Item(name) for name in components), params)
    # Lines of a repeated header are joined first, as the verifier will see them.
    combined = {name.lower(): header_value(headers, name) or "" for name in headers}
    combined.update((name.lower(), value) for name, value in added.items())
    base = signature_base(method, url, combined, signature_params)
    signature = base64.b64encode(sign_bytes(algorithm, key, base)).decode("ascii")
    added["Signature-Input"] = f"{label}={serialize_member(signature_params)}"
    added["Signature"] = f"{label}=:{signature}:"
    return added
