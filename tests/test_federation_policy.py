"""Federation policy: which remote domains a node talks to, in `allowlist` and `open` mode."""

from __future__ import annotations

import asyncpg
import pytest

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
