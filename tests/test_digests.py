"""Body digests: RFC 3230 `Digest` (draft-cavage signatures) and RFC 9530 `Content-Digest`
(RFC 9421 signatures), made and checked, over published vectors and real recorded payloads."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from federation.digests import (
    DigestMalformedError,
    DigestMismatchError,
    DigestMissingError,
    DigestUnsupportedError,
    content_digest_header,
    digest_header,
    verify_content_digest,
    verify_digest,
)
from tests.shared_files import ACTIVITY_FIXTURES

FIXTURES = ACTIVITY_FIXTURES
HELLO = b'{"hello": "world"}'
# RFC 9530 §2 / draft-cavage-12 Appendix C: the digests of `{"hello": "world"}`.
HELLO_SHA256 = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
# RFC 9421 Appendix B.2 test-request Content-Digest.
HELLO_SHA512 = (
    "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew=="
)


def _index() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((FIXTURES / "index.json").read_text())
    return entries


def test_digest_values_match_the_published_vectors() -> None:
    assert digest_header(HELLO) == f"SHA-256={HELLO_SHA256}"
    assert digest_header(b"") == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert content_digest_header(HELLO) == f"sha-256=:{HELLO_SHA256}:"
    assert content_digest_header(HELLO, "sha-512") == f"sha-512=:{HELLO_SHA512}:"
    with pytest.raises(ValueError, match="unsupported"):
        content_digest_header(HELLO, "md5")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"SHA-256={HELLO_SHA256}", "sha-256"),
        (f"sha-256={HELLO_SHA256}", "sha-256"),  # algorithm names are case-insensitive
        (f"SHA-512={HELLO_SHA512}", "sha-512"),
        (f"SHA-256={HELLO_SHA256}, SHA-512={HELLO_SHA512}", "sha-256"),
        # Unknown algorithms are ignored when a supported one matches.
        (f"MD5=Sd/dVLAcvNLSq16eXua5uQ==,SHA-256={HELLO_SHA256}", "sha-256"),
        (f"UNIXsum=30637, SHA-256={HELLO_SHA256}", "sha-256"),
    ],
)
def test_digest_accepts_a_matching_supported_algorithm(header: str, expected: str) -> None:
    assert verify_digest(header, HELLO) == expected


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, DigestMissingError),
        ("", DigestMissingError),
        ("   ", DigestMissingError),
        ("SHA-256", DigestMalformedError),
        ("=abc", DigestMalformedError),
        ("SHA-256=not base64!", DigestMalformedError),
        ("SHA-256=" + base64.b64encode(b"short").decode(), DigestMalformedError),
        (f"SHA-256={HELLO_SHA256},SHA-256={digest_header(b'x')[8:]}", DigestMalformedError),
        ("MD5=Sd/dVLAcvNLSq16eXua5uQ==", DigestUnsupportedError),
        ("SHA=DqdWPsOhnPTfOtiSD7aDu7dqfT0=", DigestUnsupportedError),
        (digest_header(b"another body"), DigestMismatchError),
        # Every supported digest must match, not just one.
        (f"SHA-256={HELLO_SHA256}, SHA-512={HELLO_SHA256 * 2}", DigestMalformedError),
        (
            f"SHA-256={HELLO_SHA256}, "
            f"SHA-512={base64.b64encode(hashlib.sha512(b'x').digest()).decode()}",
            DigestMismatchError,
        ),
    ],
)
def test_digest_rejections(header: str | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        verify_digest(header, HELLO)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"sha-256=:{HELLO_SHA256}:", "sha-256"),
        (f"sha-512=:{HELLO_SHA512}:", "sha-512"),
        (f"sha-512=:{HELLO_SHA512}:, sha-256=:{HELLO_SHA256}:", "sha-512"),
        (f"md5=:Sd/dVLAcvNLSq16eXua5uQ==:, sha-256=:{HELLO_SHA256}:", "sha-256"),
        (f"unixsum=30637,sha-256=:{HELLO_SHA256}:", "sha-256"),
    ],
)
def test_content_digest_accepts_a_matching_supported_algorithm(header: str, expected: str) -> None:
    assert verify_content_digest(header, HELLO) == expected


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, DigestMissingError),
        ("", DigestMissingError),
        ("sha-256=" + HELLO_SHA256, DigestMalformedError),  # RFC 3230 form, not a byte sequence
        (f"SHA-256=:{HELLO_SHA256}:", DigestMalformedError),  # keys are lowercase
        ("sha-256=:***:", DigestMalformedError),
        ("sha-256=:abc", DigestMalformedError),
        (f"sha-256=:{HELLO_SHA256}:,", DigestMalformedError),
        ("sha-256=?1", DigestMalformedError),
        ("sha-256=:" + base64.b64encode(b"short").decode() + ":", DigestMalformedError),
        ("md5=:Sd/dVLAcvNLSq16eXua5uQ==:", DigestUnsupportedError),
        (content_digest_header(b"another body"), DigestMismatchError),
        (
            f"sha-256=:{HELLO_SHA256}:, "
            f"sha-512=:{base64.b64encode(hashlib.sha512(b'x').digest()).decode()}:",
            DigestMismatchError,
        ),
    ],
)
def test_content_digest_rejections(header: str | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        verify_content_digest(header, HELLO)


def test_digests_of_every_recorded_payload() -> None:
    # Given the real payloads other servers sent, and the SHA-256 index.json recorded for each
    entries = _index()
    assert len(entries) > 150
    for entry in entries:
        body = (FIXTURES / entry["path"]).read_bytes()
        recorded = base64.b64encode(bytes.fromhex(entry["sha256"])).decode()
        # Then our Digest is that hash, and both headers verify the exact bytes and only them
        assert digest_header(body) == f"SHA-256={recorded}", entry["path"]
        assert verify_digest(digest_header(body), body) == "sha-256"
        assert verify_content_digest(content_digest_header(body, "sha-512"), body) == "sha-512"
        with pytest.raises(DigestMismatchError):
            verify_digest(digest_header(body), body + b"\n")
        with pytest.raises(DigestMismatchError):
            verify_content_digest(content_digest_header(body), body.replace(b"{", b"[", 1))
