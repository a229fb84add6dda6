"""The organisation profile between nodes: the actor document's PropertyValue rows and Rukun's
typed JSON-LD terms (round-tripped through our own reader, with and without JSON-LD
compaction), remote Rukun actors stored and shown the same way, partner labels on remote
profiles, and the org chart page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from pyld import jsonld

from actors.accounts import Account, Member, get_member
from actors.directory import get_account_link
from actors.partners import do_allow_domain, do_block_domain
from actors.profiles import load_account
from actors.remote_cache import store_actor
from actors.site import Site
from federation.as2_actors import parse_actor
from federation.contexts import document_loader
from federation.jsonld_compaction import compact
from federation.jsonld_guard import check_context
from federation.organisation_terms import RUKUN_NS, OrganisationDoc
from outbox.actor_document import actor_document
from tests.conftest import MakeMember
from tests.test_signin import signed_in, start_browser
from web.config import WebConfig
from web.mastodon.entities.accounts import render_account

PROFILE = {
    "department": "Research & Development",
    "job_title": "Engineer",
    "location": "Kuala Lumpur",
    "phone": "+60 3-1234 5678",
    "skills": ["Go", "SQL"],
    "start_date": date(2021, 3, 1),
}


async def _with_profile(
    conn: asyncpg.Connection, member: Member, manager: Member | None = None
) -> Account:
    await conn.execute(
        """UPDATE accounts SET department = $2, job_title = $3, location = $4, phone = $5,
               skills = $6, start_date = $7, manager_id = $8, fields = $9
           WHERE id = $1""",
        member.account.id,
        *PROFILE.values(),
        manager.account.id if manager else None,
        [{"name": "Pronouns", "value": "she/her"}],
    )
    updated = await get_member(conn, member.username)
    assert updated is not None
    return updated.account


async def _document(conn: asyncpg.Connection, account: Account, site: Site) -> dict[str, Any]:
    manager = await get_account_link(conn, account.manager_id) if account.manager_id else None
    return actor_document(account, site, manager=manager)


EXPECTED = OrganisationDoc(
    department="Research & Development",
    job_title="Engineer",
    location="Kuala Lumpur",
    skills=("Go", "SQL"),
    start_date=date(2021, 3, 1),
    manager="https://rukun.test/users/boss",
)


async def test_the_actor_document_carries_typed_values_and_reads_back(
    make_member: MakeMember, pool: asyncpg.Pool, site: Site
) -> None:
    boss = await make_member("boss")
    alice = await make_member("alice")
    async with pool.acquire() as conn:
        account = await _with_profile(conn, alice, boss)
        document = await _document(conn, account, site)

    # Mastodon shows the PropertyValue rows; the phone is never federated
    names = [a["name"] for a in document["attachment"]]
    assert names == [
        "Pronouns", "Department", "Job title", "Location", "Manager", "Skills", "Start date",
    ]  # fmt: skip
    assert "1234" not in json.dumps(document)
    assert document["skills"] == ["Go", "SQL"] and document["startDate"] == "2021-03-01"
    assert document["manager"] == "https://rukun.test/users/boss"

    # Our own reader takes the fast path and gets the typed values, not the rows twice
    assert check_context(document) == "compact"
    actor = parse_actor(document)
    assert actor.organisation == EXPECTED
    assert [(f.name, f.value) for f in actor.fields] == [("Pronouns", "she/her")]

    # A JSON-LD processor expands the terms to Rukun's IRIs, the date typed
    [expanded] = jsonld.expand(document, {"documentLoader": document_loader})
    assert expanded[f"{RUKUN_NS}department"] == [{"@value": "Research & Development"}]
    assert expanded[f"{RUKUN_NS}startDate"] == [
        {"@type": "http://www.w3.org/2001/XMLSchema#date", "@value": "2021-03-01"}
    ]
    assert expanded[f"{RUKUN_NS}manager"] == [{"@id": "https://rukun.test/users/boss"}]
    # Compacted to ActivityStreams alone (what the inbox does with unusual contexts), the
    # keys become full IRIs, and still read the same
    compacted = compact(document)
    assert f"{RUKUN_NS}jobTitle" in compacted
    assert parse_actor(compacted).organisation == EXPECTED


def test_other_servers_department_keys_mean_nothing(make_member: MakeMember) -> None:
    document = {
        "@context": ["https://www.w3.org/ns/activitystreams", {"department": "ex:department"}],
        "id": "https://other.test/users/x",
        "type": "Person",
        "preferredUsername": "x",
        "inbox": "https://other.test/users/x/inbox",
        "department": "Ops",
        "attachment": [{"type": "PropertyValue", "name": "Department", "value": "Ops"}],
    }
    actor = parse_actor(document)
    assert actor.organisation is None
    assert [f.name for f in actor.fields] == ["Department"]


async def test_a_remote_rukun_member_is_shown_with_the_partner_label(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    # Given the documents b.test serves for its members boss and alice (boss manages alice)
    beta = Site("b.test", "https")
    boss = await make_member("boss")
    alice = await make_member("alice")
    account = await _with_profile(conn, alice, boss)
    documents = [await _document(conn, a, beta) for a in (boss.account, account)]
    await do_allow_domain(conn, "b.test", organisation="Beta Ltd", relationship="customer")

    # When this node caches them (manager first, as fetching alice's manager would)
    remote_boss = await store_actor(conn, parse_actor(documents[0]))
    remote = await store_actor(conn, parse_actor(documents[1]))

    # Then alice@b.test shows the same rows and typed values, and the partner's label
    view = await load_account(conn, remote.id)
    assert view is not None
    rendered = render_account(view, site)
    assert [f["name"] for f in rendered["fields"]] == [
        "Pronouns", "Department", "Job title", "Manager", "Location", "Skills", "Start date",
        "Organisation",
    ]  # fmt: skip
    assert rendered["fields"][-1]["value"] == "Beta Ltd"
    assert rendered["rukun"] == {
        "department": "Research & Development",
        "job_title": "Engineer",
        "manager": {"id": str(remote_boss.id), "acct": "boss@b.test"},
        "location": "Kuala Lumpur",
        "phone": "",
        "skills": ["Go", "SQL"],
        "start_date": "2021-03-01",
        "organisation": {"name": "Beta Ltd", "relationship": "customer", "domain": "b.test"},
    }
    # Local accounts carry no partner label; a blocked partner keeps its label
    local = await load_account(conn, alice.account.id)
    assert local is not None and render_account(local, site)["rukun"]["organisation"] is None
    await do_block_domain(conn, "b.test")
    view = await load_account(conn, remote.id)
    assert view is not None and view.partner is not None and view.partner.name == "Beta Ltd"


@pytest.fixture
async def browser(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    client = await start_browser(web_config, pool)
    yield client
    await client.close()


async def test_the_org_chart_page_needs_a_member_and_escapes_names(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    ceo = await make_member("ceo", display_name="<script>alert(1)</script>")
    lead = await make_member("lead", display_name="Lead & Co")
    await make_member("ana", display_name="Ana")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE accounts SET manager_id = $1 WHERE id = $2", ceo.account.id,
                           lead.account.id)  # fmt: skip
        await conn.execute(
            "UPDATE accounts SET manager_id = $1, job_title = 'Dev' WHERE username = 'ana'",
            lead.account.id,
        )

    anonymous = await browser.get("/@lead/org", allow_redirects=False)
    assert anonymous.status in (302, 303)
    assert anonymous.headers["Location"].startswith("/auth/sign_in")

    await signed_in(browser, "ana")
    page = await browser.get("/@lead/org")
    assert page.status == 200
    text = await page.text()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Lead &amp; Co" in text
    assert '<a href="/@ceo">' in text and '<a href="/@ana">Ana</a>' in text
    assert "Dev" in text
    assert (await browser.get("/@nobody/org")).status == 404
