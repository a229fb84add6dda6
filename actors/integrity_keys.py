"""Each local actor's Ed25519 key for object integrity proofs (FEP-8b32), beside the RSA key
of HTTP Signatures. Made on first use, so accounts older than the feature get one too."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.multikeys import public_key_multibase


@dataclass(frozen=True, slots=True)
class IntegrityKey:
    private_key: Ed25519PrivateKey
    public_key_multibase: str  # `z6Mk…`, as the actor document publishes it


def _new_key() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, public_key_multibase(key.public_key())


def _loaded(pem: str, multibase: str) -> IntegrityKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("a stored integrity key is not Ed25519")
    return IntegrityKey(key, multibase)


async def integrity_key(conn: asyncpg.Connection, account_id: int) -> IntegrityKey:
    """The local account's key, made now if it has none (two callers racing keep one)."""
    row = await conn.fetchrow(
        "SELECT private_key_pem, public_key_multibase FROM integrity_keys WHERE account_id = $1",
        account_id,
    )
    if row is None:
        pem, multibase = _new_key()  # Ed25519 generation takes microseconds
        row = await conn.fetchrow(
            """WITH made AS (
                   INSERT INTO integrity_keys (account_id, private_key_pem, public_key_multibase)
                   SELECT id, $2, $3 FROM accounts WHERE id = $1 AND domain IS NULL
                   ON CONFLICT (account_id) DO NOTHING
                   RETURNING private_key_pem, public_key_multibase)
               SELECT * FROM made
               UNION ALL
               SELECT private_key_pem, public_key_multibase FROM integrity_keys
               WHERE account_id = $1""",
            account_id,
            pem,
            multibase,
        )
        if row is None:
            # A racing caller's insert committed after this statement's snapshot was taken:
            # ours did nothing, and only a new statement sees theirs.
            row = await conn.fetchrow(
                """SELECT private_key_pem, public_key_multibase FROM integrity_keys
                   WHERE account_id = $1""",
                account_id,
            )
        if row is None:
            raise ValueError(f"account {account_id} is not a local account")
    return _loaded(row["private_key_pem"], row["public_key_multibase"])


async def integrity_public_key(conn: asyncpg.Connection, account_id: int) -> str:
    """The multibase public key the actor document publishes (made on first use)."""
    return (await integrity_key(conn, account_id)).public_key_multibase
