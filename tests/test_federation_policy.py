"""Federation policy: which remote domains a node talks to, in `allowlist` and `open` mode."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.partners import (
    PartnerError,
    allows_domain,
    do_allow_domain,
    do_block_domain,
    do_remove_domain,
    get_domain_policy,
    list_domain_policies,
)
from federation.domain_policy import DomainError, covering_domains, normalise_domain
from tests.conftest import MakeMember
from tests.inbox_helpers import deliver, remote_actor
from tests.signed_fetches import RemoteActor, signed_get
from tests.test_authorized_fetch import KEY_DOCUMENT_KEYS
from tests.test_inbox import note_create
from web.inbox_routes import INTAKE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Example.COM", "example.com"),
        (" social.example.com. ", "social.example.com"),
        ("localhost:8081", "localhost:8081"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_domains_are_normalised(text: str, expected: str) -> None:
    assert normalise_domain(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "https://example.com", "alice@example.com", "exa mple.com", "-bad.com", "a.com:99999"],
)
def test_what_is_not_a_domain_is_refused(text: str) -> None:
    with pytest.raises(DomainError):
        normalise_domain(text)


def test_covering_domains_go_from_nearest_to_farthest() -> None:
    assert covering_domains("a.b.example.com") == [
        "a.b.example.com",
        "b.example.com",
        "example.com",
        "com",
    ]
    assert covering_domains("localhost:8081") == ["localhost:8081", "localhost"]


async def test_allowlist_mode_federates_only_with_allowed_domains(conn: asyncpg.Connection) -> None:
    # Given a node that knows no partner yet
    assert not await allows_domain(conn, "b.test")
    # When an admin allows one
    await do_allow_domain(conn, "B.test", reason="sister company")
    # Then that one domain federates, not its subdomains or strangers
    assert await allows_domain(conn, "b.test")
    assert await allows_domain(conn, "B.TEST.")
    assert not await allows_domain(conn, "evil.b.test")
    assert not await allows_domain(conn, "c.test")
    assert not await allows_domain(conn, "not a domain")


async def test_open_mode_federates_with_everyone_not_blocked(conn: asyncpg.Connection) -> None:
    assert await allows_domain(conn, "anyone.example", mode="open")
    await do_block_domain(conn, "spam.example", reason="spam")
    assert not await allows_domain(conn, "spam.example", mode="open")
    # A block covers every subdomain.
    assert not await allows_domain(conn, "a.b.spam.example", mode="open")
    assert await allows_domain(conn, "notspam.example", mode="open")
    with pytest.raises(ValueError, match="unknown federation mode"):
        await allows_domain(conn, "anyone.example", mode="closed")


async def test_a_parent_block_beats_an_allow(conn: asyncpg.Connection) -> None:
    await do_allow_domain(conn, "social.partner.example")
    assert await allows_domain(conn, "social.partner.example")
    await do_block_domain(conn, "partner.example")
    assert not await allows_domain(conn, "social.partner.example")
    assert not await allows_domain(conn, "social.partner.example", mode="open")


async def test_silenced_domains_still_federate(conn: asyncpg.Connection) -> None:
    await do_block_domain(conn, "loud.example", severity="silence")
    assert await allows_domain(conn, "loud.example")
    assert await allows_domain(conn, "loud.example", mode="open")
    with pytest.raises(PartnerError, match="severity"):
        await do_block_domain(conn, "loud.example", severity="banish")


async def test_a_rule_replaces_the_previous_one_and_can_be_removed(
    conn: asyncpg.Connection,
) -> None:
    await do_allow_domain(conn, "b.test", reason="partner")
    blocked = await do_block_domain(conn, "b.test", reason="breach")
    assert (blocked.policy, blocked.reason, blocked.severity) == ("block", "breach", "suspend")
    assert blocked.updated_at >= blocked.created_at
    assert not await allows_domain(conn, "b.test")
    assert [rule.domain for rule in await list_domain_policies(conn)] == ["b.test"]

    assert await do_remove_domain(conn, "B.test")
    assert not await do_remove_domain(conn, "b.test")
    assert await get_domain_policy(conn, "b.test") is None
    assert await list_domain_policies(conn) == []


async def test_bad_domains_are_refused_with_nothing_stored(conn: asyncpg.Connection) -> None:
    for action in (do_allow_domain, do_block_domain):
        with pytest.raises(PartnerError, match="is not a domain name"):
            await action(conn, "https://b.test/users/bob")
    assert await list_domain_policies(conn) == []


async def test_blocking_a_labelled_partner_takes_effect_at_once_both_ways(
    client: TestClient, conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    """Outbound, a delivery queued before the block is never sent (tests/test_delivery.py,
    `test_a_domain_the_policy_refuses_is_never_contacted`); here, inbound and fetches."""
    # Given a labelled partner whose activities arrive and whose fetches are served
    await make_member("alice")
    await do_allow_domain(conn, "b.test", organisation="Beta Ltd", relationship="customer")
    bob = await remote_actor(conn, "https://b.test/users/bob")
    signer = RemoteActor(bob.id, bob.uri, bob.key_id, bob.private_pem, "b.test")
    assert (await deliver(client, bob, note_create(bob.uri, 1)))[0] == 202
    assert await conn.fetchval("SELECT count(*) FROM inbound_activities") == 1
    assert "attachment" in (await signed_get(client, signer, "/users/alice"))[1]

    # When an admin blocks it (the accepting process hears of it when it commits)
    intake = client.server.app[INTAKE]
    heard = intake.policy_changes
    await do_block_domain(conn, "b.test", reason="contract ended")
    for _ in range(200):
        if intake.policy_changes > heard:
            break
        await asyncio.sleep(0.01)
    assert intake.policy_changes > heard

    # Then its inbox POSTs get 202 and nothing is stored, and its fetches get only the key
    status, _ = await deliver(client, bob, note_create(bob.uri, 2))
    assert status == 202
    assert await conn.fetchval("SELECT count(*) FROM inbound_activities") == 1
    _status, actor = await signed_get(client, signer, "/users/alice")
    assert set(actor) == KEY_DOCUMENT_KEYS  # not the profile: no attachment, no department
    assert not await allows_domain(conn, "b.test")
    # The label stays, for the day the block is lifted
    rule = await get_domain_policy(conn, "b.test")
    assert rule is not None and (rule.organisation, rule.relationship) == ("Beta Ltd", "customer")
