"""Actor keys and the three signature algorithms federation uses, over raw bytes.

Algorithm names are RFC 9421's (`rsa-v1_5-sha256`, `rsa-pss-sha512`, `ed25519`); the
draft-cavage `rsa-sha256` and Mastodon's reading of `hs2019` map onto `rsa-v1_5-sha256`."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"
ALGORITHMS = (RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519)

# Below 2048 bits RSA is breakable; above 8192 a key only makes verification slow (a DoS).
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
# RFC 9421 §3.3.1: MGF1 with SHA-512 and a 64-byte salt.
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


class KeyFormatError(ValueError):
    """Not a PEM key we can use (unparsable, a key type we do not support, or a bad size)."""


def _checked(key: object) -> PublicKey | PrivateKey:
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if not MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS:
            raise KeyFormatError(
                f"RSA keys must have {MIN_RSA_BITS} to {MAX_RSA_BITS} bits, not {key.key_size}"
            )
        return key
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return key
    raise KeyFormatError("only RSA and Ed25519 keys are supported")


def load_public_key(pem: str | bytes) -> PublicKey:
    """A public key from PEM: SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`, what actors publish)
    or PKCS#1 (`BEGIN RSA PUBLIC KEY`). Raises KeyFormatError."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data.strip())
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFormatError("public key is not a PEM key") from None
    checked = _checked(key)
    assert isinstance(checked, rsa.RSAPublicKey | ed25519.Ed25519PublicKey)
    return checked


def load_private_key(pem: str | bytes) -> PrivateKey:
    """A private key from unencrypted PEM (PKCS#8 or PKCS#1). Raises KeyFormatError.

    Only for our own keys: the RSA consistency check (~40 ms a key) is skipped, which is safe
    for keys we generated and unsafe for keys an attacker could have crafted."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(
            data.strip(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFormatError("private key is not an unencrypted PEM key") from None
    checked = _checked(key)
    assert isinstance(checked, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey)
    return checked


def public_key_pem(key: PublicKey | PrivateKey) -> str:
    public = (
        key.public_key() if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) else key
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def algorithms_for(key: PublicKey | PrivateKey) -> tuple[str, ...]:
    """The algorithms this key can verify or sign, the usual one first."""
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return (ED25519,)
    return (RSA_V1_5_SHA256, RSA_PSS_SHA512)


def sign_bytes(algorithm: str, key: PrivateKey, data: bytes) -> bytes:
    """Sign with `algorithm`; ValueError when the key cannot use it."""
    if algorithm not in algorithms_for(key):
        raise ValueError(f"a {type(key).__name__} cannot sign with {algorithm}")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if algorithm == RSA_PSS_SHA512:
        return key.sign(data, _PSS, hashes.SHA512())
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def verify_bytes(algorithm: str, key: PublicKey, data: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid `algorithm` signature of `data` under `key` (False, never
    an exception, when the key cannot use the algorithm)."""
    if algorithm not in algorithms_for(key):
        return False
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif algorithm == RSA_PSS_SHA512:
            key.verify(signature, data, _PSS, hashes.SHA512())
        else:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
