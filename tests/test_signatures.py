"""HTTP signatures: draft-cavage as Mastodon speaks it, and RFC 9421 message signatures —
round trips, every rejection, the clock window's edges, query-string variants, hs2019, the
refetch-once on key rotation, RFC 9421's published vectors and real recorded actor keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from multidict import CIMultiDict

from federation.message_signatures import parse_message_signature, sign_message
from federation.signature_model import (
    BadSignatureError,
    DigestMismatchError,
    ExpiredSignatureError,
    MalformedSignatureError,
    MissingSignatureError,
    MissingSignedHeaderError,
    ResolvedKey,
    SignatureError,
    UnknownKeyError,
    UnsupportedAlgorithmError,
)
from federation.signatures import sign_request, verify_request
from federation.signing_keys import (
    ED25519,
    RSA_PSS_SHA512,
    RSA_V1_5_SHA256,
    KeyFormatError,
    PrivateKey,
    load_private_key,
    load_public_key,
    public_key_pem,
    sign_bytes,
    verify_bytes,
)
from tests.shared_files import ACTIVITY_FIXTURES

FIXTURES = ACTIVITY_FIXTURES
KEY_ID = "https://remote.test/users/bob#main-key"
OWNER = "https://remote.test/users/bob"
INBOX = "https://rukun.test/users/alice/inbox"
NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
BODY = b'{"type":"Follow","actor":"https://remote.test/users/bob"}'


def private_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


class Keys:
    """The injected key lookup: what the cache holds, what a refetch would bring, and every
    call made (key id, refresh)."""

    def __init__(
        self, cached: str | ResolvedKey | None, fresh: str | ResolvedKey | None = "same"
    ) -> None:
        self.cached = cached
        self.fresh = cached if fresh == "same" else fresh
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, *, refresh: bool) -> str | ResolvedKey | None:
        self.calls.append((key_id, refresh))
        return self.fresh if refresh else self.cached


def signed_post(
    key: PrivateKey, body: bytes = BODY, *, url: str = INBOX, now: datetime = NOW
) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers.update(
        sign_request(
            "POST", url, headers, body, key_id=KEY_ID, private_key_pem=private_pem(key), now=now
        )
    )
    return headers


def params_of(signature: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in signature.replace('"', "").split(","))


def hand_signed(key: PrivateKey, lines: list[tuple[str, str]], params: str, algorithm: str) -> str:
    """A Signature header made by hand, for the forms our signer never produces."""
    text = "\n".join(f"{name}: {value}" for name, value in lines).encode()
    signature = base64.b64encode(sign_bytes(algorithm, key, text)).decode()
    return f'{params},signature="{signature}"'


async def verify_post(
    headers: Any,
    keys: Keys,
    body: bytes = BODY,
    *,
    now: datetime = NOW,
    path: str = "/users/alice/inbox",
) -> Any:
    return await verify_request("POST", path, headers, body, keys, now=now)


# --- draft-cavage round trips ---------------------------------------------------------------


async def test_post_round_trip_is_what_mastodon_sends(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(rsa_key)

    assert headers["Host"] == "rukun.test"
    assert headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert headers["Digest"].startswith("SHA-256=")
    params = params_of(headers["Signature"])
    assert params["keyId"] == KEY_ID
    assert params["algorithm"] == "rsa-sha256"
    assert params["headers"] == "(request-target) host date digest"

    keys = Keys(ResolvedKey(public_key_pem(rsa_key), owner=OWNER))
    verified = await verify_post(headers, keys)

    assert (verified.key_id, verified.owner, verified.scheme) == (KEY_ID, OWNER, "draft-cavage")
    assert verified.algorithm == RSA_V1_5_SHA256
    assert verified.created == NOW
    assert keys.calls == [(KEY_ID, False)]  # no refetch when the cached key verifies


async def test_get_signs_request_target_host_date_and_accept(rsa_key: rsa.RSAPrivateKey) -> None:
    url = "https://remote.test:8443/users/bob/outbox?page=true"
    accept = "application/activity+json"
    for given, expected in (
        ({}, "(request-target) host date"),
        ({"Accept": accept}, "(request-target) host date accept"),
    ):
        headers = dict(given)
        headers.update(
            sign_request("GET", url, headers, None, key_id=KEY_ID, private_key_pem=rsa_key, now=NOW)
        )
        assert "Digest" not in headers
        assert headers["Host"] == "remote.test:8443"
        assert params_of(headers["Signature"])["headers"] == expected
        keys = Keys(public_key_pem(rsa_key))
        verified = await verify_request(
            "GET", "/users/bob/outbox?page=true", headers, b"", keys, now=NOW
        )
        assert verified.covered == tuple(expected.split())


async def test_existing_date_and_host_are_kept(rsa_key: rsa.RSAPrivateKey) -> None:
    given = {"Date": "Sat, 01 Mar 2025 11:59:30 GMT", "Host": "rukun.test"}
    added = sign_request("POST", INBOX, given, BODY, key_id=KEY_ID, private_key_pem=rsa_key)
    assert "Date" not in added
    await verify_post({**given, **added}, Keys(public_key_pem(rsa_key)))


async def test_ed25519_keys_sign_and_verify_as_hs2019(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = signed_post(ed_key)
    assert params_of(headers["Signature"])["algorithm"] == "hs2019"
    verified = await verify_post(headers, Keys(public_key_pem(ed_key)))
    assert verified.algorithm == ED25519


async def test_hs2019_with_an_rsa_key_is_pkcs1_sha256_as_mastodon(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    headers = signed_post(rsa_key)
    lines = [
        ("(request-target)", "post /users/alice/inbox"),
        ("host", "rukun.test"),
        ("date", headers["Date"]),
        ("digest", headers["Digest"]),
    ]
    covered = 'headers="(request-target) host date digest"'
    for params in (f'keyId="{KEY_ID}",algorithm="hs2019",{covered}', f'keyId="{KEY_ID}",{covered}'):
        headers["Signature"] = hand_signed(rsa_key, lines, params, RSA_V1_5_SHA256)
        verified = await verify_post(headers, Keys(public_key_pem(rsa_key)))
        assert verified.algorithm == RSA_V1_5_SHA256


async def test_hs2019_with_rsa_pss_is_refused_like_mastodon_and_gotosocial(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    headers = signed_post(rsa_key)
    lines = [("(request-target)", "post /users/alice/inbox"), ("host", "rukun.test")]
    lines += [("date", headers["Date"]), ("digest", headers["Digest"])]
    params = f'keyId="{KEY_ID}",algorithm="hs2019",headers="(request-target) host date digest"'
    headers["Signature"] = hand_signed(rsa_key, lines, params, RSA_PSS_SHA512)
    with pytest.raises(BadSignatureError):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))


async def test_hs2019_created_and_expires_pseudo_headers(rsa_key: rsa.RSAPrivateKey) -> None:
    created = int(NOW.timestamp())
    headers = signed_post(rsa_key)
    del headers["Date"]
    lines = [
        ("(request-target)", "post /users/alice/inbox"),
        ("host", "rukun.test"),
        ("(created)", str(created)),
        ("(expires)", str(created + 3600)),
        ("digest", headers["Digest"]),
    ]
    params = (
        f'keyId="{KEY_ID}",algorithm="hs2019",created={created},expires={created + 3600},'
        'headers="(request-target) host (created) (expires) digest"'
    )
    headers["Signature"] = hand_signed(rsa_key, lines, params, RSA_V1_5_SHA256)
    keys = Keys(public_key_pem(rsa_key))
    assert (await verify_post(headers, keys)).created == NOW
    # expires stretches the window to one hour (+ 1 h skew); a second later it is over
    await verify_post(headers, keys, now=NOW + timedelta(hours=2))
    with pytest.raises(ExpiredSignatureError):
        await verify_post(headers, keys, now=NOW + timedelta(hours=2, seconds=1))
    # (created) belongs to hs2019 only
    headers["Signature"] = hand_signed(
        rsa_key, lines, params.replace("hs2019", "rsa-sha256"), RSA_V1_5_SHA256
    )
    with pytest.raises(MalformedSignatureError, match=r"\(created\) needs hs2019"):
        await verify_post(headers, keys)


async def test_expires_is_capped_at_twelve_hours(rsa_key: rsa.RSAPrivateKey) -> None:
    created = int(NOW.timestamp())
    headers = signed_post(rsa_key)
    lines = [
        ("(request-target)", "post /users/alice/inbox"),
        ("host", "rukun.test"),
        ("(created)", str(created)),
        ("(expires)", str(created + 86400)),
        ("digest", headers["Digest"]),
    ]
    params = (
        f'keyId="{KEY_ID}",algorithm="hs2019",created={created},expires={created + 86400},'
        'headers="(request-target) host (created) (expires) digest"'
    )
    headers["Signature"] = hand_signed(rsa_key, lines, params, RSA_V1_5_SHA256)
    keys = Keys(public_key_pem(rsa_key))
    await verify_post(headers, keys, now=NOW + timedelta(hours=13))
    with pytest.raises(ExpiredSignatureError):
        await verify_post(headers, keys, now=NOW + timedelta(hours=13, seconds=1))
    # An expires parameter that is not signed does not extend anything.
    lines.pop(3)
    unsigned = params.replace(" (expires)", "")
    headers["Signature"] = hand_signed(rsa_key, lines, unsigned, RSA_V1_5_SHA256)
    await verify_post(headers, keys, now=NOW + timedelta(minutes=65))
    with pytest.raises(ExpiredSignatureError):
        await verify_post(headers, keys, now=NOW + timedelta(minutes=65, seconds=1))


async def test_request_target_with_and_without_the_query_string(rsa_key: rsa.RSAPrivateKey) -> None:
    keys = Keys(public_key_pem(rsa_key))
    path = "/users/alice/inbox?debug=1"
    # Signed over the full target: verifies.
    await verify_post(signed_post(rsa_key, url=f"https://rukun.test{path}"), keys, path=path)
    # Older Mastodon signed the path alone: verifies too, as Mastodon still allows.
    await verify_post(signed_post(rsa_key), keys, path=path)
    # Signed for another query: does not.
    with pytest.raises(BadSignatureError):
        await verify_post(signed_post(rsa_key, url=f"{INBOX}?debug=2"), keys, path=path)


async def test_signature_prefix_and_authorization_header_forms(rsa_key: rsa.RSAPrivateKey) -> None:
    keys = Keys(public_key_pem(rsa_key))
    headers = signed_post(rsa_key)
    await verify_post({**headers, "Signature": "Signature " + headers["Signature"]}, keys)
    moved = {name: value for name, value in headers.items() if name != "Signature"}
    await verify_post({**moved, "Authorization": "Signature " + headers["Signature"]}, keys)


async def test_repeated_header_lines_are_joined(rsa_key: rsa.RSAPrivateKey) -> None:
    headers: CIMultiDict[str] = CIMultiDict()
    headers.add("Accept", "application/activity+json")
    headers.add("Accept", "application/ld+json")
    url = "https://remote.test/users/bob"
    headers.update(
        sign_request("GET", url, headers, None, key_id=KEY_ID, private_key_pem=rsa_key, now=NOW)
    )
    await verify_request("GET", "/users/bob", headers, b"", Keys(public_key_pem(rsa_key)), now=NOW)
    headers.popall("Accept")
    headers.add("Accept", "application/activity+json")
    with pytest.raises(BadSignatureError):
        await verify_request(
            "GET", "/users/bob", headers, b"", Keys(public_key_pem(rsa_key)), now=NOW
        )


# --- the clock window ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(minutes=65), True),  # 5 minutes of validity + 1 hour of skew
        (timedelta(minutes=65, seconds=1), False),
        (timedelta(seconds=0), True),
        (-timedelta(hours=1), True),  # an hour ahead of us: clock skew
        (-timedelta(hours=1, seconds=1), False),
    ],
)
async def test_date_window_edges(
    rsa_key: rsa.RSAPrivateKey, age: timedelta, accepted: bool
) -> None:
    headers = signed_post(rsa_key, now=NOW - age)
    keys = Keys(public_key_pem(rsa_key))
    if accepted:
        await verify_post(headers, keys)
    else:
        with pytest.raises(ExpiredSignatureError):
            await verify_post(headers, keys)
        assert keys.calls == []  # rejected before any key is fetched


async def test_unsigned_times_cannot_refresh_an_old_signature(rsa_key: rsa.RSAPrivateKey) -> None:
    # Given a request signed two hours ago, replayed with `created` appended to the header
    headers = signed_post(rsa_key, now=NOW - timedelta(hours=2))
    rewritten = headers["Signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    created, expires = int(NOW.timestamp()), int(NOW.timestamp()) + 600
    headers["Signature"] = f"{rewritten},created={created},expires={expires}"
    # Then the signed Date still decides: the replay has expired
    with pytest.raises(ExpiredSignatureError):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))
    # (and so would a fresh Date header that the signature does not cover)
    headers["Date"] = "Sat, 01 Mar 2025 12:00:00 GMT"
    with pytest.raises(BadSignatureError):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))


# --- rejections -----------------------------------------------------------------------------


async def test_unsigned_request_is_refused() -> None:
    with pytest.raises(MissingSignatureError):
        await verify_post({"Host": "rukun.test", "Authorization": "Bearer x"}, Keys(None))


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("garbage", "does not parse"),
        ('keyId="a" signature="b"', "comma-separated"),
        ('keyId="a",keyId="b",signature="AAAA"', "repeated"),
        ('algorithm="rsa-sha256",signature="AAAA"', "keyId and signature"),
        (f'keyId="{KEY_ID}",algorithm="rsa-sha256"', "keyId and signature"),
        (f'keyId="{KEY_ID}",headers="date",signature="not base64!"', "not base64"),
        (f'keyId="{KEY_ID}",algorithm="hs2019",created=yesterday,signature="AAAA"', "Unix time"),
    ],
)
async def test_malformed_signature_headers(signature: str, message: str) -> None:
    headers = {
        "Host": "rukun.test",
        "Date": "Sat, 01 Mar 2025 12:00:00 GMT",
        "Signature": signature,
    }
    with pytest.raises(MalformedSignatureError, match=message):
        await verify_post(headers, Keys(None))


async def test_unparsable_date_is_malformed(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(rsa_key)
    headers["Date"] = "yesterday at noon"
    with pytest.raises(MalformedSignatureError, match="Date"):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))


@pytest.mark.parametrize("algorithm", ["rsa-sha512", "hmac-sha256", "ecdsa-sha256", "rsa-sha1"])
async def test_unsupported_algorithms(rsa_key: rsa.RSAPrivateKey, algorithm: str) -> None:
    headers = signed_post(rsa_key)
    headers["Signature"] = headers["Signature"].replace(
        'algorithm="rsa-sha256"', f'algorithm="{algorithm}"'
    )
    with pytest.raises(UnsupportedAlgorithmError):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))


async def test_rsa_sha256_with_an_ed25519_key_is_unsupported(
    rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    with pytest.raises(UnsupportedAlgorithmError, match="does not fit"):
        await verify_post(signed_post(rsa_key), Keys(public_key_pem(ed_key)))


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        ("(request-target) host date", "digest"),  # a POST must sign its digest
        ("host date digest", "(request-target)"),
        ("(request-target) date digest", "host"),
        ("(request-target) host digest", "date"),
    ],
)
async def test_required_signed_headers(
    rsa_key: rsa.RSAPrivateKey, covered: str, missing: str
) -> None:
    headers = signed_post(rsa_key)
    values = {
        "(request-target)": "post /users/alice/inbox",
        "host": headers["Host"],
        "date": headers["Date"],
        "digest": headers["Digest"],
    }
    lines = [(name, values[name]) for name in covered.split()]
    params = f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{covered}"'
    headers["Signature"] = hand_signed(rsa_key, lines, params, RSA_V1_5_SHA256)
    with pytest.raises(MissingSignedHeaderError, match=missing):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))


async def test_a_signed_header_that_is_absent(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(rsa_key)
    del headers["Digest"]
    with pytest.raises(MissingSignedHeaderError, match="digest"):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))


async def test_digest_mismatch(rsa_key: rsa.RSAPrivateKey) -> None:
    keys = Keys(public_key_pem(rsa_key))
    headers = signed_post(rsa_key)
    with pytest.raises(DigestMismatchError, match="does not match"):
        await verify_post(headers, keys, body=BODY + b" ")
    headers["Digest"] = "MD5=Sd/dVLAcvNLSq16eXua5uQ=="
    with pytest.raises(DigestMismatchError, match="no supported algorithm"):
        await verify_post(headers, keys)
    assert keys.calls == []


async def test_bad_signature_refetches_the_key_once(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(rsa_key)
    signature = params_of(headers["Signature"])["signature"]
    tampered = base64.b64encode(bytes(b ^ 1 for b in base64.b64decode(signature))).decode()
    headers["Signature"] = headers["Signature"].replace(signature, tampered)
    keys = Keys(public_key_pem(rsa_key))
    with pytest.raises(BadSignatureError):
        await verify_post(headers, keys)
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_key_rotation_verifies_with_the_refetched_key(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    # Given a cached key the actor has since replaced
    keys = Keys(public_key_pem(other_rsa_key), fresh=ResolvedKey(public_key_pem(rsa_key), OWNER))
    # When a request signed with the new key arrives
    verified = await verify_post(signed_post(rsa_key), keys)
    # Then the key is refetched exactly once, and the owner comes from the fresh lookup
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]
    assert verified.owner == OWNER


async def test_refetch_that_finds_nothing(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    keys = Keys(public_key_pem(other_rsa_key), fresh=None)
    with pytest.raises(UnknownKeyError, match="gone"):
        await verify_post(signed_post(rsa_key), keys)
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.parametrize(
    "found", [None, "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"]
)
async def test_unknown_or_unusable_key(rsa_key: rsa.RSAPrivateKey, found: str | None) -> None:
    keys = Keys(found)
    with pytest.raises(UnknownKeyError):
        await verify_post(signed_post(rsa_key), keys)
    assert keys.calls == [(KEY_ID, False)]


async def test_errors_share_one_base_and_keep_messages_short(rsa_key: rsa.RSAPrivateKey) -> None:
    headers = signed_post(rsa_key)
    headers["Signature"] = headers["Signature"].replace(KEY_ID, "https://x.test/" + "a" * 5000)
    with pytest.raises(SignatureError) as caught:
        await verify_post(headers, Keys(None))
    assert isinstance(caught.value, UnknownKeyError)
    assert len(str(caught.value)) < 300


def test_keys_outside_the_supported_sizes_and_types_are_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(KeyFormatError, match="2048"):
        load_public_key(public_key_pem(small))
    with pytest.raises(KeyFormatError, match="2048"):
        load_private_key(private_pem(small))
    with pytest.raises(KeyFormatError):
        load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")


# --- RFC 9421 --------------------------------------------------------------------------------

# RFC 9421 Appendix B.1.2 (test-key-rsa-pss, public part) and B.1.4 (test-key-ed25519).
RFC_RSA_PSS_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""
RFC_ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
RFC_ED25519_PRIVATE = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
# RFC 9421 Appendix B.2: test-request.
RFC_URI = "https://example.com/foo?param=Value&Pet=dog"
RFC_BODY = b'{"hello": "world"}'
RFC_DIGEST = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+"
    "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": RFC_DIGEST,
    "Content-Length": "18",
}
RFC_CREATED = datetime.fromtimestamp(1618884473, UTC)
RFC_VECTORS = {
    "B.2.1": (
        'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
        "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
        '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";'
        'nonce="b3k2pp5k7z-50gnwp.yemd"',
        RFC_RSA_PSS_PUBLIC,
        RSA_PSS_SHA512,
    ),
    "B.2.2": (
        'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;'
        'keyid="test-key-rsa-pss";tag="header-example"',
        "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:",
        '"@authority": example.com\n'
        f'"content-digest": {RFC_DIGEST}\n'
        '"@query-param";name="Pet": dog\n'
        '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet");'
        'created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
        RFC_RSA_PSS_PUBLIC,
        RSA_PSS_SHA512,
    ),
    "B.2.3": (
        'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" '
        '"content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
        "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@query": ?param=Value&Pet=dog\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        f'"content-digest": {RFC_DIGEST}\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" '
        '"content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
        RFC_RSA_PSS_PUBLIC,
        RSA_PSS_SHA512,
    ),
    "B.2.6": (
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");'
        'created=1618884473;keyid="test-key-ed25519"',
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"',
        RFC_ED25519_PUBLIC,
        ED25519,
    ),
}


@pytest.mark.parametrize("vector", sorted(RFC_VECTORS))
def test_rfc9421_vectors_give_the_published_signature_base_and_verify(vector: str) -> None:
    signature_input, signature, base, public_pem, algorithm = RFC_VECTORS[vector]
    headers = {**RFC_HEADERS, "Signature-Input": signature_input, "Signature": signature}

    parsed = parse_message_signature("POST", RFC_URI, headers)

    assert parsed.bases == (base.encode(),)
    assert parsed.created == RFC_CREATED
    key = load_public_key(public_pem)
    assert verify_bytes(algorithm, key, parsed.bases[0], parsed.signature)
    assert not verify_bytes(algorithm, key, parsed.bases[0] + b" ", parsed.signature)


async def test_rfc9421_full_coverage_vector_passes_verify_request() -> None:
    signature_input, signature, _, public_pem, _ = RFC_VECTORS["B.2.3"]
    headers = {**RFC_HEADERS, "Signature-Input": signature_input, "Signature": signature}
    keys = Keys(public_pem)

    verified = await verify_request(
        "POST", "/foo?param=Value&Pet=dog", headers, RFC_BODY, keys, now=RFC_CREATED
    )

    assert (verified.key_id, verified.scheme, verified.algorithm) == (
        "test-key-rsa-pss",
        "rfc9421",
        RSA_PSS_SHA512,
    )
    with pytest.raises(DigestMismatchError):
        await verify_request(
            "POST", "/foo?param=Value&Pet=dog", headers, b"{}", keys, now=RFC_CREATED
        )
    with pytest.raises(ExpiredSignatureError):
        late = RFC_CREATED + timedelta(minutes=65, seconds=1)
        await verify_request("POST", "/foo?param=Value&Pet=dog", headers, RFC_BODY, keys, now=late)


@pytest.mark.parametrize(("vector", "missing"), [("B.2.1", "@method"), ("B.2.6", "content-digest")])
async def test_rfc9421_vectors_that_cover_too_little_for_an_inbox(
    vector: str, missing: str
) -> None:
    signature_input, signature, _, public_pem, _ = RFC_VECTORS[vector]
    headers = {**RFC_HEADERS, "Signature-Input": signature_input, "Signature": signature}
    with pytest.raises(MissingSignedHeaderError, match=missing):
        await verify_request(
            "POST", "/foo?param=Value&Pet=dog", headers, RFC_BODY, Keys(public_pem), now=RFC_CREATED
        )


def test_rfc9421_ed25519_signing_reproduces_the_published_signature() -> None:
    signature_input, signature, *_ = RFC_VECTORS["B.2.6"]
    added = sign_message(
        "POST",
        RFC_URI,
        RFC_HEADERS,
        None,
        key_id="test-key-ed25519",
        private_key=RFC_ED25519_PRIVATE,
        components=("date", "@method", "@path", "@authority", "content-type", "content-length"),
        created=RFC_CREATED,
        declare_algorithm=False,
        label="sig-b26",
    )
    assert added == {"Signature-Input": signature_input, "Signature": signature}


def signed_message(key: PrivateKey, body: bytes | None = BODY, **options: Any) -> dict[str, str]:
    headers = {"Host": "rukun.test", "Content-Type": "application/activity+json"}
    headers.update(
        sign_message(
            "POST" if body is not None else "GET",
            INBOX,
            headers,
            body,
            key_id=KEY_ID,
            private_key=key,
            created=NOW,
            **options,
        )
    )
    return headers


@pytest.mark.parametrize(
    ("key_name", "algorithm"),
    [("rsa_key", None), ("rsa_key", RSA_PSS_SHA512), ("ed_key", None)],
)
async def test_rfc9421_round_trips(
    request: pytest.FixtureRequest, key_name: str, algorithm: str | None
) -> None:
    key = request.getfixturevalue(key_name)
    headers = signed_message(key, algorithm=algorithm)
    assert headers["Content-Digest"].startswith("sha-256=:")
    assert headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "content-digest");created='
    )

    verified = await verify_post(headers, Keys(public_key_pem(key)))

    assert verified.scheme == "rfc9421"
    assert verified.algorithm == (
        algorithm or (ED25519 if key_name == "ed_key" else RSA_V1_5_SHA256)
    )
    assert verified.covered == ("@method", "@target-uri", "content-digest")


async def test_rfc9421_get_and_alternative_target_coverage(rsa_key: rsa.RSAPrivateKey) -> None:
    keys = Keys(public_key_pem(rsa_key))
    headers = signed_message(rsa_key, body=None)
    await verify_request("GET", "/users/alice/inbox", headers, b"", keys, now=NOW)
    headers = signed_message(
        rsa_key, components=("@method", "@authority", "@path", "content-digest")
    )
    await verify_post(headers, keys)
    # With a query, @path alone does not protect the target.
    with pytest.raises(MissingSignedHeaderError, match="@query"):
        await verify_post(headers, keys, path="/users/alice/inbox?x=1")


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"Signature-Input": 'sig1=("@method"'}, MalformedSignatureError, "does not parse"),
        ({"Signature-Input": 'sig1="@method";keyid="k"'}, MalformedSignatureError, "inner list"),
        ({"Signature": "other=:AAAA:"}, MalformedSignatureError, "labelled sig1"),
        (
            {"Signature-Input": 'sig1=("@method" "@target-uri" "content-digest");keyid="k"'},
            MissingSignedHeaderError,
            "created",
        ),
        (
            {"Signature-Input": 'sig1=("@method" "@target-uri" "content-digest");created=1'},
            MalformedSignatureError,
            "keyid",
        ),
        (
            {"Signature-Input": 'sig1=("@method");created=1;keyid="k";alg="hmac-sha256"'},
            UnsupportedAlgorithmError,
            "hmac",
        ),
        (
            {"Signature-Input": 'sig1=("@method" "@target-uri" "@method");created=1;keyid="k"'},
            MalformedSignatureError,
            "twice",
        ),
        (
            {"Signature-Input": 'sig1=("@status");created=1;keyid="k"'},
            MalformedSignatureError,
            "not supported",
        ),
        (
            {"Signature-Input": 'sig1=("Date");created=1;keyid="k"'},
            MalformedSignatureError,
            "lowercase",
        ),
        (
            {"Signature-Input": 'sig1=("date";sf);created=1;keyid="k"'},
            MalformedSignatureError,
            "parameters",
        ),
        (
            {"Signature-Input": 'sig1=("x-absent");created=1;keyid="k"'},
            MissingSignedHeaderError,
            "x-absent",
        ),
    ],
)
async def test_rfc9421_rejections(
    rsa_key: rsa.RSAPrivateKey, change: dict[str, str], error: type[Exception], message: str
) -> None:
    headers = {**signed_message(rsa_key), **change}
    with pytest.raises(error, match=message):
        await verify_post(headers, Keys(public_key_pem(rsa_key)))


async def test_rfc9421_policy_and_crypto_failures(
    rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    keys = Keys(public_key_pem(rsa_key))
    with pytest.raises(MissingSignedHeaderError, match="@method"):
        await verify_post(
            signed_message(rsa_key, components=("@target-uri", "content-digest")), keys
        )
    with pytest.raises(MissingSignedHeaderError, match="content-digest"):
        await verify_post(signed_message(rsa_key, components=("@method", "@target-uri")), keys)
    with pytest.raises(DigestMismatchError):
        await verify_post(signed_message(rsa_key), keys, body=BODY + b"!")
    with pytest.raises(ExpiredSignatureError):
        expiring = signed_message(rsa_key, expires=NOW + timedelta(seconds=30))
        await verify_post(expiring, keys, now=NOW + timedelta(hours=1, seconds=31))
    # Signed for one host, presented to another.
    with pytest.raises(BadSignatureError):
        await verify_post({**signed_message(rsa_key), "Host": "elsewhere.test"}, keys)
    assert keys.calls[-2:] == [(KEY_ID, False), (KEY_ID, True)]
    with pytest.raises(UnsupportedAlgorithmError):
        await verify_post(
            signed_message(rsa_key, algorithm=RSA_PSS_SHA512), Keys(public_key_pem(ed_key))
        )


# --- real recorded actors and activities ------------------------------------------------------

# Actor keys in the recorded payloads that must be refused, and why.
UNUSABLE_RECORDED_KEYS = {
    "bridgy-fed/person.json": "1024",  # an RSA-1024 key: below our 2048-bit floor
    "mastodon/application_instance_actor.json": "not a PEM key",  # damaged by the recorder
    "mastodon/update_person.json": "not a PEM key",  # lines of base64 are missing characters
}


def _recorded() -> Iterator[tuple[str, bytes, Any]]:
    for entry in json.loads((FIXTURES / "index.json").read_text()):
        body = (FIXTURES / entry["path"]).read_bytes()
        yield entry["path"], body, entry


def _public_keys(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        if isinstance(document.get("publicKeyPem"), str):
            yield document
        for value in document.values():
            yield from _public_keys(value)
    elif isinstance(document, list):
        for value in document:
            yield from _public_keys(value)


async def test_recorded_actor_keys_verify_only_their_own_signatures(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    seen = 0
    for path, body, _ in _recorded():
        for public_key in _public_keys(json.loads(body)):
            seen += 1
            key_id = public_key.get("id") or KEY_ID
            keys = Keys(ResolvedKey(public_key["publicKeyPem"], public_key.get("owner")))
            headers = {"Content-Type": "application/activity+json"}
            headers.update(
                sign_request(
                    "POST", INBOX, headers, BODY, key_id=key_id, private_key_pem=rsa_key, now=NOW
                )
            )
            if path in UNUSABLE_RECORDED_KEYS:
                with pytest.raises(UnknownKeyError, match=UNUSABLE_RECORDED_KEYS[path]):
                    await verify_post(headers, keys)
            else:
                # A real actor's key is loaded, and our signature does not pass for theirs.
                with pytest.raises(BadSignatureError):
                    await verify_post(headers, keys)
                assert keys.calls == [(key_id, False), (key_id, True)], path
    assert seen >= 45


async def test_recorded_activities_sign_and_verify_over_their_exact_bytes(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    keys = Keys(public_key_pem(rsa_key))
    activities = [
        (path, body) for path, body, entry in _recorded() if entry["object_form"] is not None
    ]
    assert len(activities) > 100
    for path, body in activities:
        verified = await verify_post(signed_post(rsa_key, body), keys, body=body)
        assert verified.key_id == KEY_ID, path
        rfc9421 = signed_message(rsa_key, body)
        await verify_post(rfc9421, keys, body=body)
        with pytest.raises(DigestMismatchError):
            await verify_post(rfc9421, keys, body=body.replace(b'"', b"'", 1))
