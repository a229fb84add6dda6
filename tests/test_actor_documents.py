"""Reading remote actors as other servers serve them: every actor in the shared fixtures, the
trust rules (keys owned by the actor on its origin, terms not redefined), origins, and the
WebFinger answers that lead to an actor."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.as2_actors import (
    ACTOR_TYPES,
    MAX_NAME,
    ActorDocumentError,
    key_owner,
    parse_actor,
)
from federation.origin import host_of, origin_of, same_host, same_origin
from federation.signing_keys import public_key_pem
from federation.webfinger_client import (
    WebFingerError,
    actor_link,
    subject_handle,
    webfinger_url,
)
from tests.shared_files import ACTIVITY_FIXTURES

# Actors no usable handle or inbox can be made of.
UNUSABLE = {"adversarial/actor_null_inbox.json": r"no http\(s\) inbox"}


def _is_actor_type(kind: Any) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    return any(k in ACTOR_TYPES for k in kinds)


def _actor_fixtures() -> list[str]:
    index = json.loads((ACTIVITY_FIXTURES / "index.json").read_text())
    return sorted(entry["path"] for entry in index if _is_actor_type(entry["type"]))


def load(path: str) -> dict[str, Any]:
    # The one template among the fixtures (Mastodon's instance actor) names {{DOMAIN}}.
    text = (ACTIVITY_FIXTURES / path).read_text().replace("{{DOMAIN}}", "social.example")
    document: dict[str, Any] = json.loads(text)
    return document


ACTOR_FIXTURES = _actor_fixtures()


def test_the_shared_fixtures_hold_actors_of_every_kind() -> None:
    kinds = {parse_actor(load(p)).type for p in ACTOR_FIXTURES if p not in UNUSABLE}
    assert kinds == set(ACTOR_TYPES) - {"Service"}  # no bot among them
    assert len(ACTOR_FIXTURES) >= 40


@pytest.mark.parametrize("path", ACTOR_FIXTURES)
def test_each_fixture_actor_is_read_or_refused_with_a_reason(path: str) -> None:
    document = load(path)
    if path in UNUSABLE:
        with pytest.raises(ActorDocumentError, match=UNUSABLE[path]):
            parse_actor(document)
        return
    actor = parse_actor(document)
    assert actor.id == document["id"]
    assert actor.domain == host_of(document["id"]) != ""
    assert actor.preferred_username == document["preferredUsername"].strip()
    assert origin_of(actor.inbox) is not None
    for key in actor.public_keys:
        assert key.owner == actor.id and same_origin(key.id, actor.id)
        assert key.pem.lstrip().startswith("-----BEGIN ") and "PUBLIC KEY-----" in key.pem
    assert actor.url is None or host_of(actor.url) == actor.domain


def test_a_mastodon_person_in_detail() -> None:
    actor = parse_actor(load("mastodon/actor_person.json"))
    assert (actor.type, actor.preferred_username, actor.domain) == (
        "Person",
        "foo",
        "ap.example.com",
    )
    assert actor.inbox == "https://ap.example.com/users/foo/inbox"
    assert actor.shared_inbox == "https://ap.example.com/inbox"
    assert actor.url == "https://ap.example.com/@foo"
    assert actor.icon_url == "https://quitter.no/avatar/7477-300-20160211190340.png"
    assert actor.main_key is not None
    assert actor.main_key.id == "https://ap.example.com/users/foo#main-key"
    assert actor.key("https://ap.example.com/users/foo#main-key") == actor.main_key
    assert actor.key("https://ap.example.com/users/foo#other") is None


def test_profile_fields_aliases_and_flags() -> None:
    fedibird = parse_actor(load("fedibird/person.json"))
    assert len(fedibird.fields) == 6 and all(f.name for f in fedibird.fields)
    assert fedibird.also_known_as == ("https://pawoo.net/users/dmiz",)
    gotosocial = parse_actor(load("gotosocial/docs_person_with_fields.json"))
    assert [f.name for f in gotosocial.fields] == [
        f["name"] for f in load("gotosocial/docs_person_with_fields.json")["attachment"]
    ]
    lemmy = parse_actor(load("lemmy/group.json"))
    assert lemmy.type == "Group" and not lemmy.bot
    relay = parse_actor(load("pleroma/relay_application_actor.json"))
    assert relay.type == "Application" and relay.bot


def test_a_type_array_names_the_actor_type() -> None:
    actor = parse_actor(load("mastodon/actor_person_type_array_vcard.json"))
    assert actor.type == "Person"


def test_images_and_links_in_their_many_shapes() -> None:
    peertube = parse_actor(load("peertube/person.json"))
    icons = load("peertube/person.json")["icon"]
    assert peertube.icon_url == max(icons, key=lambda i: i["width"])["url"]
    funkwhale = parse_actor(load("funkwhale/channel_person.json"))
    assert funkwhale.url == "https://channels.tests.funkwhale.audio/channels/compositions"
    smithereen = parse_actor(load("smithereen/person.json"))
    assert smithereen.icon_url == load("smithereen/person.json")["icon"]["url"]


def test_keys_that_are_not_the_actors_own_are_dropped() -> None:
    # GNU social's group names another actor as its key's owner; bridgy-fed's key id is no URL.
    assert parse_actor(load("gnusocial/group.json")).public_keys == ()
    assert parse_actor(load("bridgy-fed/person.json")).public_keys == ()
    # Mitra also publishes Multikeys (FEP-521a): the RSA publicKey is the one read.
    mitra = parse_actor(load("mitra/person_multikey_proof.json"))
    assert [k.id for k in mitra.public_keys] == ["https://mitra.social/users/silverpill#main-key"]


# --- hostile and broken documents ---------------------------------------------------------


@pytest.fixture(scope="module")
def pem() -> str:
    return public_key_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def person(pem: str, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": "https://b.example/users/bob",
        "type": "Person",
        "preferredUsername": "bob",
        "inbox": "https://b.example/users/bob/inbox",
        "publicKey": {
            "id": "https://b.example/users/bob#main-key",
            "owner": "https://b.example/users/bob",
            "publicKeyPem": pem,
        },
    }
    document.update(changes)
    return {k: v for k, v in document.items() if v is not None}


def test_a_minimal_person_reads_with_defaults(pem: str) -> None:
    actor = parse_actor(person(pem))
    assert actor.name == actor.summary == "" and actor.fields == ()
    assert not actor.manually_approves_followers and not actor.discoverable
    assert actor.shared_inbox is None and actor.url is None and actor.icon_url is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": None}, "no http\\(s\\) id"),
        ({"id": "ftp://b.example/users/bob"}, "no http\\(s\\) id"),
        ({"id": "/users/bob"}, "no http\\(s\\) id"),
        ({"type": "Note"}, "not an actor"),
        ({"type": ["Note", "Hashtag"]}, "not an actor"),
        ({"preferredUsername": None}, "no preferredUsername"),
        ({"preferredUsername": "   "}, "no preferredUsername"),
        ({"preferredUsername": "bob@evil.example"}, "cannot be used in a handle"),
        ({"preferredUsername": "../bob"}, "cannot be used in a handle"),
        ({"preferredUsername": "x" * 300}, "cannot be used in a handle"),
        ({"preferredUsername": ["bob"]}, "no preferredUsername"),
        ({"inbox": None}, "no http\\(s\\) inbox"),
        ({"inbox": "javascript:alert(1)"}, "no http\\(s\\) inbox"),
        ({"@context": ["https://www.w3.org/ns/activitystreams", {"id": "as:url"}]}, "redefines id"),
        ({"@context": [{"uid": "@id"}]}, "redefines uid"),
        ({"@context": {"inbox": "https://evil.example/ns#inbox"}}, "redefines inbox"),
        ({"@context": [{"owner": {"@id": "as:attributedTo"}}]}, "redefines owner"),
    ],
)
def test_unusable_documents_are_refused_with_a_reason(
    pem: str, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ActorDocumentError, match=reason):
        parse_actor(person(pem, **changes))


def test_usual_extension_contexts_pass(pem: str) -> None:
    context = [
        "https://www.w3.org/ns/activitystreams",
        {"sharedInbox": "as:sharedInbox", "toot": "http://joinmastodon.org/ns#"},
        {"publicKeyPem": "https://w3id.org/security#publicKeyPem"},
    ]
    assert parse_actor(person(pem, **{"@context": context})).preferred_username == "bob"


def test_keys_owned_elsewhere_or_unreadable_are_dropped(pem: str) -> None:
    key = person(pem)["publicKey"]
    cases = [
        {**key, "owner": "https://b.example/users/mallory"},
        {**key, "id": "https://evil.example/users/bob#main-key"},
        {**key, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----"},
        {**key, "publicKeyPem": None},
        "https://b.example/users/bob#main-key",
    ]
    for bad in cases:
        assert parse_actor(person(pem, publicKey=bad)).public_keys == ()
    # A key without an owner is the actor's; of several, the usable ones are kept in order.
    ownerless = {k: v for k, v in key.items() if k != "owner"}
    second = {**key, "id": "https://b.example/users/bob#second"}
    actor = parse_actor(person(pem, publicKey=[cases[0], ownerless, second]))
    assert [k.id for k in actor.public_keys] == [key["id"], second["id"]]
    assert actor.main_key is not None and actor.main_key.id == key["id"]


def test_text_is_capped_not_refused(pem: str) -> None:
    fields = [{"type": "PropertyValue", "name": f"n{i}", "value": "v"} for i in range(40)]
    actor = parse_actor(person(pem, name="N" * 1000, attachment=fields, summary="<p>hi</p>"))
    assert len(actor.name) == MAX_NAME and len(actor.fields) == 16
    assert actor.summary == "<p>hi</p>"  # HTML as received: sanitised where it is rendered


def test_a_profile_url_on_another_host_is_not_taken(pem: str) -> None:
    assert parse_actor(person(pem, url="https://evil.example/@bob")).url is None
    assert parse_actor(person(pem, url="https://b.example/@bob")).url == "https://b.example/@bob"


def test_shared_inbox_from_endpoints_or_the_actor_itself(pem: str) -> None:
    endpoints = {"sharedInbox": "https://b.example/inbox"}
    assert parse_actor(person(pem, endpoints=endpoints)).shared_inbox == "https://b.example/inbox"
    legacy = person(pem, sharedInbox="https://b.example/inbox")
    assert parse_actor(legacy).shared_inbox == "https://b.example/inbox"


def test_parsing_does_not_change_the_document(pem: str) -> None:
    document = person(pem, attachment=[{"type": "PropertyValue", "name": "a", "value": "b"}])
    before = copy.deepcopy(document)
    parse_actor(document)
    assert document == before


def test_key_documents_name_their_owner(pem: str) -> None:
    key = {"id": "https://b.example/keys/1", "owner": "https://b.example/users/bob"}
    assert key_owner(key) == "https://b.example/users/bob"
    assert key_owner({"id": "https://b.example/keys/1", "controller": key["owner"]}) == key["owner"]
    assert key_owner(person(pem)) is None  # an actor is not a key document
    assert key_owner({"id": "https://b.example/keys/1", "owner": "mailto:x"}) is None


# --- origins ------------------------------------------------------------------------------


def test_origins() -> None:
    assert origin_of("HTTPS://B.Example/users/bob") == ("https", "b.example", 443)
    assert origin_of("http://b.example:8080/x") == ("http", "b.example", 8080)
    for bad in (
        "b.example/users/bob",
        "ftp://b.example/",
        "https://u:p@b.example/",
        "https://b.example:99999/",
    ):
        assert origin_of(bad) is None
    assert host_of("https://b.example:443/a") == "b.example"
    assert host_of("https://b.example:8443/a") == "b.example:8443"
    assert host_of("http://[::1]:8080/") == "[::1]:8080"
    assert host_of("not a url") == ""
    assert same_origin("https://b.example/a", "https://B.example:443/b")
    assert not same_origin("https://b.example/a", "http://b.example/a")
    assert not same_origin("https://b.example/a", "https://c.b.example/a")
    assert same_host("https://b.example/a", "http://b.example/b")
    assert not same_host("bad", "bad")


# --- WebFinger ----------------------------------------------------------------------------


def test_webfinger_url() -> None:
    assert webfinger_url("bob", "B.Example") == (
        "https://b.example/.well-known/webfinger?resource=acct:bob@b.example"
    )
    assert webfinger_url("a b", "b.test", scheme="http") == (
        "http://b.test/.well-known/webfinger?resource=acct:a%2520b@b.test"
    )


def test_the_activitystreams_self_link_is_the_actor() -> None:
    jrd = {
        "subject": "acct:bob@b.example",
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://b.example/@bob"},
            {"rel": "self", "type": "text/html", "href": "https://b.example/@bob"},
            {"rel": "self", "type": "application/activity+json", "href": "https://b.example/users/bob"},
        ],
    }  # fmt: skip
    assert actor_link(jrd) == "https://b.example/users/bob"
    assert subject_handle(jrd) == ("bob", "b.example")
    ld = {
        "links": [
            {
                "rel": "self",
                "type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
                "href": "https://p.example/users/ann",
            }
        ]
    }
    assert actor_link(ld) == "https://p.example/users/ann"
    assert subject_handle(ld) is None


@pytest.mark.parametrize(
    "jrd",
    [
        [],
        {},
        {"links": "nope"},
        {"links": [{"rel": "self", "type": "text/html", "href": "https://b.example/@bob"}]},
        {"links": [{"rel": "self", "type": "application/activity+json", "href": "file:///etc"}]},
        {"links": [{"rel": "self", "type": "application/activity+json"}]},
    ],
)
def test_webfinger_answers_without_an_actor(jrd: Any) -> None:
    with pytest.raises(WebFingerError):
        actor_link(jrd)
