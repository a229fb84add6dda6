"""Object integrity proofs (FEP-8b32, `eddsa-jcs-2022`): the JSON canonicalisation against
RFC 8785's own examples, signing and verifying against the W3C vc-di-eddsa test vectors, keys
as Multikey (the Mitra fixture's shape), and tampering caught."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.archive_proofs import actor_keys, verify_items
from federation.integrity_proofs import ProofError, sign_document, verify_document
from federation.multikeys import (
    MultikeyError,
    decode_multibase,
    encode_multibase,
    private_key_from_multibase,
    public_key_from_multibase,
    public_key_multibase,
)

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "activities"

# vc-di-eddsa, TestVectors/keyPair.json and TestVectors/eddsa-jcs-2022/signedJCS.json.
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
]
VECTOR_METHOD = f"https://vc.example/issuers/5678#{VECTOR_PUBLIC}"
VECTOR_UNSIGNED = {
    "@context": VECTOR_CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
VECTOR_PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": VECTOR_METHOD,
    "proofPurpose": "assertionMethod",
    "@context": VECTOR_CONTEXT,
    "proofValue": (
        "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
    ),
}
# TestVectors/eddsa-jcs-2022/canonDocJCS.txt
VECTOR_CANONICAL = (
    '{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/'
    'examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:'
    'abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"urn:uuid:'
    '58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678","name":'
    '"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":'
    '"2023-01-01T00:00:00Z"}'
)
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


# --- RFC 8785 ------------------------------------------------------------------------------


def test_jcs_matches_the_rfc_example_of_numbers_strings_and_literals() -> None:
    # RFC 8785 section 3.2.2, parsed from its JSON text (numbers as JSON parsers read them).
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert rfc8785.dumps(json.loads(text)).decode("utf-8") == expected


def test_jcs_sorts_properties_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: the emoji (a surrogate pair, D83D…) sorts before U+FB33.
    document = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(rfc8785.dumps(document)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_jcs_of_the_w3c_vector_document() -> None:
    assert rfc8785.dumps(VECTOR_UNSIGNED).decode() == VECTOR_CANONICAL


# --- Multikey ------------------------------------------------------------------------------


def test_multikeys_of_the_w3c_key_pair() -> None:
    private = private_key_from_multibase(VECTOR_PRIVATE)
    assert public_key_multibase(private.public_key()) == VECTOR_PUBLIC
    assert public_key_multibase(public_key_from_multibase(VECTOR_PUBLIC)) == VECTOR_PUBLIC


def test_multibase_refuses_other_bases_and_other_keys() -> None:
    assert decode_multibase(encode_multibase(b"\x00\x01rukun")) == b"\x00\x01rukun"
    with pytest.raises(MultikeyError):
        decode_multibase("f00ff")  # base16: not what these keys use
    with pytest.raises(MultikeyError):
        public_key_from_multibase(VECTOR_PRIVATE)  # a private key is not a public one


def test_the_mitra_actor_publishes_a_multikey_we_read() -> None:
    actor = json.loads((FIXTURES / "mitra" / "person_multikey_proof.json").read_text())
    keys = actor_keys(actor)
    # The RSA Multikey (`z4MX…`) is not Ed25519 and is skipped; the Ed25519 one is read.
    assert list(keys) == ["https://mitra.social/users/silverpill#ed25519-key"]


# --- eddsa-jcs-2022 ------------------------------------------------------------------------


def test_signing_reproduces_the_w3c_vector() -> None:
    private = private_key_from_multibase(VECTOR_PRIVATE)
    signed = sign_document(VECTOR_UNSIGNED, private, VECTOR_METHOD, created=CREATED)
    assert signed["proof"]["proofValue"] == VECTOR_PROOF["proofValue"]
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert signed["proof"]["created"] == "2023-02-24T23:36:38Z"


def test_the_w3c_signed_vector_verifies() -> None:
    signed = {**VECTOR_UNSIGNED, "proof": VECTOR_PROOF}
    public = public_key_from_multibase(VECTOR_PUBLIC)
    assert verify_document(signed, {VECTOR_METHOD: public}.get) == VECTOR_METHOD


def test_any_change_to_the_document_or_the_proof_fails() -> None:
    public = public_key_from_multibase(VECTOR_PUBLIC)
    lookup = {VECTOR_METHOD: public}.get
    signed = {**VECTOR_UNSIGNED, "proof": VECTOR_PROOF}

    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "The School of Exampleз"
    with pytest.raises(ProofError, match="does not match"):
        verify_document(tampered, lookup)

    backdated = copy.deepcopy(signed)
    backdated["proof"]["created"] = "2020-02-24T23:36:38Z"
    with pytest.raises(ProofError, match="does not match"):
        verify_document(backdated, lookup)

    with pytest.raises(ProofError, match="unknown verification method"):
        verify_document(signed, {}.get)
    with pytest.raises(ProofError, match="no single proof"):
        verify_document(VECTOR_UNSIGNED, lookup)
    other_suite = copy.deepcopy(signed)
    other_suite["proof"]["cryptosuite"] = "eddsa-rdfc-2022"
    with pytest.raises(ProofError, match="not a eddsa-jcs-2022"):
        verify_document(other_suite, lookup)


def test_a_signed_activity_verifies_only_with_its_actors_key() -> None:
    actor_id = "https://rukun.test/users/alice"
    key = Ed25519PrivateKey.generate()
    actor = {
        "id": actor_id,
        "assertionMethod": [
            {
                "id": f"{actor_id}#ed25519-key",
                "type": "Multikey",
                "controller": actor_id,
                "publicKeyMultibase": public_key_multibase(key.public_key()),
            }
        ],
    }
    create = {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": f"{actor_id}/statuses/1/activity",
        "type": "Create",
        "actor": actor_id,
        "object": {"id": f"{actor_id}/statuses/1", "type": "Note", "content": "<p>Hello</p>"},
    }
    signed = sign_document(create, key, f"{actor_id}#ed25519-key")
    assert verify_items(actor, [signed]).valid == 1

    # Someone else's key, or an activity claiming another actor, does not pass.
    forged = sign_document(create, Ed25519PrivateKey.generate(), f"{actor_id}#ed25519-key")
    impostor = sign_document(
        {**create, "actor": "https://rukun.test/users/bob"}, key, f"{actor_id}#ed25519-key"
    )
    result = verify_items(actor, [forged, impostor])
    assert (result.valid, result.invalid) == (0, 2)
