"""Ed25519 keys as Multikey strings (FEP-521a, W3C Controlled Identifiers): multibase
base58-btc (`z…`) of a multicodec prefix and the raw key. A public key reads `z6Mk…`."""

from __future__ import annotations

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

BASE58BTC = "z"
ED25519_PUBLIC = b"\xed\x01"  # multicodec ed25519-pub, as an unsigned varint
ED25519_PRIVATE = b"\x80\x26"  # multicodec ed25519-priv


class MultikeyError(ValueError):
    """Not a base58-btc multibase string, or not an Ed25519 key of the expected kind."""


def encode_multibase(data: bytes) -> str:
    return BASE58BTC + base58.b58encode(data).decode("ascii")


def decode_multibase(text: str) -> bytes:
    """Raises MultikeyError for any base but base58-btc (the only one these keys use)."""
    if not text.startswith(BASE58BTC):
        raise MultikeyError("only base58-btc multibase (`z…`) is supported")
    try:
        return base58.b58decode(text[1:].encode("ascii"))
    except ValueError as error:
        raise MultikeyError(f"invalid base58: {error}") from None


def _raw(text: str, prefix: bytes) -> bytes:
    data = decode_multibase(text)
    if not data.startswith(prefix) or len(data) != len(prefix) + 32:
        raise MultikeyError("not an Ed25519 key of the expected kind")
    return data[len(prefix) :]


def public_key_multibase(key: Ed25519PublicKey) -> str:
    return encode_multibase(ED25519_PUBLIC + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw(text, ED25519_PUBLIC))


def private_key_multibase(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return encode_multibase(ED25519_PRIVATE + raw)


def private_key_from_multibase(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw(text, ED25519_PRIVATE))
