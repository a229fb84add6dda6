"""Object integrity proofs (FEP-8b32): W3C Data Integrity proofs with the `eddsa-jcs-2022`
cryptosuite, so a document carries its author's signature wherever it is copied, and can be
checked long after the server that made it is gone.

The algorithm (vc-di-eddsa, "eddsa-jcs-2022"): the proof options without `proofValue`, given
the document's `@context`, are canonicalised with JCS (RFC 8785) and hashed with SHA-256; so
is the document without its `proof`; the Ed25519 signature over the two hashes, proof first,
is `proofValue` in base58-btc multibase. Pure functions: keys are handed in, or looked up
through the `public_key_lookup` the caller passes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.multikeys import MultikeyError, decode_multibase, encode_multibase

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
ASSERTION_METHOD = "assertionMethod"

# The Data Integrity and Multikey terms inline, on the `sec:` prefix the security context
# defines, so documents that carry proofs or keys need no context we would have to fetch.
INTEGRITY_TERMS: dict[str, Any] = {
    "proof": {"@id": "sec:proof", "@type": "@id", "@container": "@graph"},
    "DataIntegrityProof": "sec:DataIntegrityProof",
    "cryptosuite": "sec:cryptosuite",
    "proofPurpose": {"@id": "sec:proofPurpose", "@type": "@vocab"},
    "proofValue": "sec:proofValue",
    "verificationMethod": {"@id": "sec:verificationMethod", "@type": "@id"},
    "assertionMethod": {"@id": "sec:assertionMethod", "@type": "@id", "@container": "@set"},
    "Multikey": "sec:Multikey",
    "controller": {"@id": "sec:controller", "@type": "@id"},
    "publicKeyMultibase": "sec:publicKeyMultibase",
}

PublicKeyLookup = Callable[[str], Ed25519PublicKey | None]


class ProofError(ValueError):
    """The document carries no proof this module can check, or the proof does not hold."""


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    config = dict(proof_options)
    config.pop("proofValue", None)
    if "@context" in document:
        config["@context"] = document["@context"]
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof_hash = hashlib.sha256(rfc8785.dumps(config)).digest()
    document_hash = hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    return proof_hash + document_hash


def sign_document(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    *,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A copy of `document` with a `proof` by `private_key`, whose public key the verifier
    finds at `verification_method`. Any proof already there is replaced. Raises
    rfc8785.CanonicalizationError for values JSON cannot carry exactly (NaN, huge ints)."""
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": ASSERTION_METHOD,
        "created": _timestamp(created or datetime.now(UTC)),
    }
    signature = private_key.sign(_hash_data(document, options))
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    return {**unsecured, "proof": {**options, "proofValue": encode_multibase(signature)}}


def verify_document(document: dict[str, Any], public_key_lookup: PublicKeyLookup) -> str:
    """Check the document's `eddsa-jcs-2022` proof; return its verification method (the key
    id, which the caller matches to the document's actor). Raises ProofError when there is no
    such proof, the key is unknown, or the signature does not match the document."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise ProofError("the document carries no single proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"not a {CRYPTOSUITE} {PROOF_TYPE}")
    if proof.get("proofPurpose") != ASSERTION_METHOD:
        raise ProofError("the proof is not made for assertionMethod")
    method = proof.get("verificationMethod")
    value = proof.get("proofValue")
    if not isinstance(method, str) or not isinstance(value, str):
        raise ProofError("the proof lacks verificationMethod or proofValue")
    context = proof.get("@context")
    if context is not None and context != document.get("@context"):
        # vc-di-eddsa: the proof's own context must be the document's.
        raise ProofError("the proof's @context differs from the document's")
    key = public_key_lookup(method)
    if key is None:
        raise ProofError(f"unknown verification method {method}")
    try:
        signature = decode_multibase(value)
        key.verify(signature, _hash_data(document, proof))
    except (MultikeyError, InvalidSignature, rfc8785.CanonicalizationError):
        raise ProofError("the signature does not match the document") from None
    return method
