"""Actor documents: content negotiation, the Person and instance actor documents over a real
socket, their JSON-LD reading with bundled contexts only, and the Accept parser."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyld import jsonld

from actors.accounts import Member, do_set_disabled, get_member
from actors.site import Site
from federation.contexts import UnknownContextError, bundled_context, document_loader
from federation.media_types import accepts_activitystreams, parse_accept, prefers
from outbox.actor_document import actor_document, plain_text_to_html
from tests.conftest import MakeMember
from tests.signed_fetches import RemoteActor, remote_actor, signed_headers

AS = "https://www.w3.org/ns/activitystreams#"
SEC = "https://w3id.org/security#"
MASTODON_ACCEPT = (
    'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams",'
    " text/html;q=0.1"
)
FIREFOX_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


# --- Accept negotiation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        "application/activity+json",
        "Application/Activity+JSON",
        "application/activity+json; charset=utf-8",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "application/ld+json;profile=https://www.w3.org/ns/activitystreams",
        "application/ld+json ; profile = 'https://www.w3.org/ns/activitystreams'",
        'application/ld+json; profile="http://www.w3.org/ns/activitystreams#"',
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams https://w3id.org/x"',
        "application/ld+json",
        MASTODON_ACCEPT,
        "application/activity+json, application/json;q=0.9, */*;q=0.1",
        "text/html, application/activity+json",  # a tie goes to the client that named AS
        "application/activity+json;q=0.5, text/html;q=0.4",
        "application/activity+json;q=garbage",
        "application/ld+json;q=0, application/activity+json",
    ],
)
def test_accept_asking_for_activitystreams(accept: str) -> None:
    assert accepts_activitystreams(accept)


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        FIREFOX_ACCEPT,
        "text/html",
        "application/json",
        "application/*",
        'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"',
        "application/activity+json;q=0",
        "application/activity+json;q=0.5, text/html",
        "application/activity+json;q=0.5, */*",
        "text/html;q=0.9, application/activity+json;q=0.2",
        ",,;;garbage//, /",
    ],
)
def test_accept_asking_for_a_web_page(accept: str | None) -> None:
    assert not accepts_activitystreams(accept)


def test_accept_parser_keeps_quoted_separators_and_parameters() -> None:
    [first, second] = parse_accept('application/ld+json; profile="a,b;c"; q=0.5, text/html')
    assert first.media_type == "application/ld+json"
    assert first.params == {"profile": "a,b;c"}
    assert first.q == 0.5
    assert second.media_type == "text/html" and second.q == 1.0


def test_prefers_needs_a_strictly_higher_quality() -> None:
    assert prefers("application/json", "application/json", over="application/xrd+xml")
    assert not prefers("*/*", "application/json", over="application/xrd+xml")
    assert not prefers(None, "application/json", over="application/xrd+xml")


# --- Rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("", ""),
        ("  \n ", ""),
        ("Hello", "<p>Hello</p>"),
        ("a <b> & 'c'", "<p>a &lt;b&gt; &amp; &#x27;c&#x27;</p>"),
        ("one\ntwo\r\nthree", "<p>one<br />two<br />three</p>"),
        ("para one\n\npara two\n \nthree", "<p>para one</p><p>para two</p><p>three</p>"),
    ],
)
def test_plain_text_notes_become_escaped_paragraphs(note: str, expected: str) -> None:
    assert plain_text_to_html(note) == expected


async def test_a_bot_is_a_service(make_member: MakeMember, site: Site) -> None:
    member = await make_member("robot")
    account = dataclasses.replace(member.account, bot=True)
    assert actor_document(account, site)["type"] == "Service"


# --- Serving -------------------------------------------------------------------------------


@pytest.fixture
async def partner(pool: asyncpg.Pool) -> RemoteActor:
    """An actor of an allowed node: member actors are served in full only to such signers
    (authorized fetch; tests/test_authorized_fetch.py covers everyone else)."""
    async with pool.acquire() as conn:
        return await remote_actor(conn)


async def _fetch_actor(
    client: TestClient, path: str, accept: str, signer: RemoteActor | None = None
) -> dict[str, Any]:
    headers = signed_headers(client, signer, path, accept) if signer else {"Accept": accept}
    response = await client.get(path, headers=headers, allow_redirects=False)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert response.headers["Vary"] == "Accept, Signature"
    document: dict[str, Any] = await response.json(content_type=None)
    return document


async def _alice_with_profile(make_member: MakeMember, pool: asyncpg.Pool) -> Member:
    boss = await make_member("boss", display_name="The Boss")
    await make_member("alice", display_name="Alice Example")
    async with pool.acquire() as conn:
        await conn.execute(
            """UPDATE accounts SET note = $1, fields = $2, department = 'Research & Development',
                   job_title = 'Engineer', location = 'Kuala Lumpur', manager_id = $3,
                   locked = true
               WHERE username = 'alice'""",
            "Builds <things>.\nLikes tea.\n\nSecond paragraph.",
            [{"name": "Pronouns", "value": "she/her"}, {"name": "Web", "value": "<b>x</b>"}],
            boss.account.id,
        )
        member = await get_member(conn, "alice")
    assert member is not None
    return member


@pytest.mark.parametrize(
    "accept",
    [
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        MASTODON_ACCEPT,
    ],
)
async def test_person_document(
    client: TestClient,
    make_member: MakeMember,
    pool: asyncpg.Pool,
    accept: str,
    partner: RemoteActor,
) -> None:
    alice = await _alice_with_profile(make_member, pool)

    person = await _fetch_actor(client, "/users/alice", accept, partner)

    base = "https://rukun.test"
    assert person["@context"][:2] == [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
    ]
    extensions = person["@context"][2]
    assert extensions["manuallyApprovesFollowers"] == "as:manuallyApprovesFollowers"
    assert extensions["discoverable"] == "toot:discoverable"
    assert extensions["indexable"] == "toot:indexable"
    assert extensions["PropertyValue"] == "schema:PropertyValue"
    assert person["id"] == f"{base}/users/alice"
    assert person["type"] == "Person"
    assert person["preferredUsername"] == "alice"
    assert person["name"] == "Alice Example"
    assert person["summary"] == (
        "<p>Builds &lt;things&gt;.<br />Likes tea.</p><p>Second paragraph.</p>"
    )
    assert person["url"] == f"{base}/@alice"
    assert person["inbox"] == f"{base}/users/alice/inbox"
    assert person["outbox"] == f"{base}/users/alice/outbox"
    assert person["followers"] == f"{base}/users/alice/followers"
    assert person["following"] == f"{base}/users/alice/following"
    assert person["endpoints"] == {"sharedInbox": f"{base}/inbox"}
    assert person["manuallyApprovesFollowers"] is True
    assert person["discoverable"] is True
    assert person["indexable"] is False
    assert person["published"] == alice.account.created_at.strftime("%Y-%m-%dT00:00:00Z")
    assert person["featured"] == f"{base}/users/alice/featured"
    assert person["publicKey"]["id"] == f"{base}/users/alice#main-key"
    assert person["publicKey"]["owner"] == f"{base}/users/alice"
    assert person["attachment"] == [
        {"type": "PropertyValue", "name": "Pronouns", "value": "she/her"},
        {"type": "PropertyValue", "name": "Web", "value": "&lt;b&gt;x&lt;/b&gt;"},
        {"type": "PropertyValue", "name": "Department", "value": "Research &amp; Development"},
        {"type": "PropertyValue", "name": "Job title", "value": "Engineer"},
        {"type": "PropertyValue", "name": "Location", "value": "Kuala Lumpur"},
        {
            "type": "PropertyValue",
            "name": "Manager",
            "value": f'<span class="h-card"><a href="{base}/users/boss" class="u-url mention">'
            "@<span>boss</span></a></span>",
        },
    ]


async def test_public_key_matches_the_stored_private_key(
    client: TestClient, make_member: MakeMember, partner: RemoteActor
) -> None:
    alice = await make_member("alice")

    person = await _fetch_actor(client, "/users/alice", "application/activity+json", partner)

    public_key = serialization.load_pem_public_key(person["publicKey"]["publicKeyPem"].encode())
    private_key = serialization.load_pem_private_key(
        (alice.account.private_key_pem or "").encode(), password=None
    )
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.public_numbers() == private_key.public_key().public_numbers()


async def test_an_empty_profile_has_no_attachments(
    client: TestClient, make_member: MakeMember, partner: RemoteActor
) -> None:
    await make_member("alice")

    person = await _fetch_actor(client, "/users/alice", "application/activity+json", partner)

    assert person["attachment"] == []
    assert person["summary"] == ""
    assert person["manuallyApprovesFollowers"] is False


async def test_lookup_ignores_case_but_the_id_is_canonical(
    client: TestClient, make_member: MakeMember, partner: RemoteActor
) -> None:
    await make_member("Alice")

    person = await _fetch_actor(client, "/users/aLiCe", "application/activity+json", partner)

    assert person["id"] == "https://rukun.test/users/Alice"
    assert person["preferredUsername"] == "Alice"


@pytest.mark.parametrize("accept", [FIREFOX_ACCEPT, "text/html", "*/*", "application/json"])
async def test_browsers_are_sent_to_the_profile_page(
    client: TestClient, make_member: MakeMember, accept: str
) -> None:
    await make_member("alice")

    response = await client.get("/users/ALICE", headers={"Accept": accept}, allow_redirects=False)

    assert response.status == 302
    assert response.headers["Location"] == "https://rukun.test/@alice"
    assert response.headers["Vary"] == "Accept, Signature"


async def test_unknown_and_disabled_members_are_not_found(
    client: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("alice")
    async with pool.acquire() as conn:
        await do_set_disabled(conn, "alice", True)

    for path in ("/users/alice", "/users/nobody", "/users/instance.actor"):
        for accept in ("application/activity+json", "text/html"):
            response = await client.get(path, headers={"Accept": accept}, allow_redirects=False)
            assert response.status == 404, (path, accept)
            assert await response.json() == {"error": "Record not found"}


async def test_suspended_members_are_not_found(
    client: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("alice")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE accounts SET suspended_at = now() WHERE username = 'alice'")

    response = await client.get("/users/alice", headers={"Accept": "application/activity+json"})

    assert response.status == 404


async def test_instance_actor_document(client: TestClient, pool: asyncpg.Pool) -> None:
    actor = await _fetch_actor(client, "/actor", MASTODON_ACCEPT)

    base = "https://rukun.test"
    assert actor["id"] == f"{base}/actor"
    assert actor["type"] == "Application"
    assert actor["preferredUsername"] == "rukun.test"
    assert actor["inbox"] == f"{base}/actor/inbox"
    assert actor["outbox"] == f"{base}/actor/outbox"
    assert actor["endpoints"] == {"sharedInbox": f"{base}/inbox"}
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["publicKey"]["id"] == f"{base}/actor#main-key"
    assert actor["publicKey"]["owner"] == f"{base}/actor"
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT public_key_pem FROM accounts WHERE username = 'instance.actor'"
        )
    assert actor["publicKey"]["publicKeyPem"] == stored


async def test_instance_actor_sends_browsers_to_the_about_page(client: TestClient) -> None:
    response = await client.get("/actor", headers={"Accept": "text/html"}, allow_redirects=False)

    assert response.status == 302
    assert response.headers["Location"] == "https://rukun.test/about"


# --- JSON-LD, with bundled contexts and no network ---------------------------------------


def _expand(document: dict[str, Any]) -> dict[str, Any]:
    [expanded] = jsonld.expand(document, {"documentLoader": document_loader})
    result: dict[str, Any] = expanded
    return result


async def test_person_document_expands_with_bundled_contexts_only(
    client: TestClient, make_member: MakeMember, pool: asyncpg.Pool, partner: RemoteActor
) -> None:
    await _alice_with_profile(make_member, pool)
    person = await _fetch_actor(client, "/users/alice", "application/activity+json", partner)

    expanded = _expand(person)

    assert expanded["@id"] == "https://rukun.test/users/alice"
    assert expanded["@type"] == [f"{AS}Person"]
    assert expanded[f"{AS}preferredUsername"] == [{"@value": "alice"}]
    # ActivityStreams maps inbox to the Linked Data Platform term.
    assert expanded["http://www.w3.org/ns/ldp#inbox"] == [
        {"@id": "https://rukun.test/users/alice/inbox"}
    ]
    assert expanded[f"{AS}manuallyApprovesFollowers"] == [{"@value": True}]
    assert expanded["http://joinmastodon.org/ns#indexable"] == [{"@value": False}]
    [key] = expanded[f"{SEC}publicKey"]
    assert key["@id"] == "https://rukun.test/users/alice#main-key"
    assert key[f"{SEC}owner"] == [{"@id": "https://rukun.test/users/alice"}]
    assert key[f"{SEC}publicKeyPem"][0]["@value"].startswith("-----BEGIN PUBLIC KEY-----")
    manager = expanded[f"{AS}attachment"][-1]
    assert manager["@type"] == ["http://schema.org#PropertyValue"]
    assert manager[f"{AS}name"] == [{"@value": "Manager"}]
    assert "http://schema.org#value" in manager


async def test_instance_actor_expands_with_bundled_contexts_only(client: TestClient) -> None:
    actor = await _fetch_actor(client, "/actor", "application/activity+json")

    assert _expand(actor)["@type"] == [f"{AS}Application"]


def test_the_loader_refuses_contexts_it_does_not_bundle() -> None:
    document = {"@context": "https://contexts.invalid/never-fetched", "name": "x"}

    with pytest.raises(jsonld.JsonLdError) as raised:
        jsonld.expand(document, {"documentLoader": document_loader})

    cause = raised.value.__cause__
    assert isinstance(cause, UnknownContextError)
    with pytest.raises(UnknownContextError):
        bundled_context("https://w3id.org/security/v2")


def test_bundled_contexts_answer_their_usual_spellings() -> None:
    activitystreams = bundled_context("https://www.w3.org/ns/activitystreams")
    assert activitystreams["@context"]["as"] == AS
    assert bundled_context("http://www.w3.org/ns/activitystreams#") == activitystreams
    security = bundled_context("https://w3id.org/security/v1")
    assert security["@context"]["publicKeyPem"] == "sec:publicKeyPem"
    # Each call is a fresh copy: pyld or a caller changing one cannot poison the next.
    security["@context"]["publicKeyPem"] = "changed"
    assert bundled_context("https://w3id.org/security/v1")["@context"]["publicKeyPem"] == (
        "sec:publicKeyPem"
    )
