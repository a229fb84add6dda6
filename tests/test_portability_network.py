"""The portability promise end to end between live nodes: alice's archive from `a.test`
(Rukun's export), imported on `c.test` by her new account, shows her network-wide posts with
their original dates and provenance, and none of her internal posts."""

from __future__ import annotations

import requests

from tests.federation_network import Network
from tests.test_imports_api import bearer, run_import


def test_an_export_from_one_node_imports_on_another_without_internal_posts(
    network: Network,
) -> None:
    a, c = network["a.test"], network["c.test"]
    alice_token = a.token(a.member("alice"))
    alice = a.mastodon(alice_token, version_check_mode="none")
    kept = alice.status_post("Shipped the partner portal #release")
    quiet = alice.status_post("Notes from the conference", visibility="unlisted")
    alice.status_post("Internal: salary bands for next year", visibility="direct")
    internal = requests.post(
        f"{a.base_url}/api/v1/statuses",
        headers=bearer(alice_token),
        json={"status": "Internal: the reorganisation plan", "visibility": "local"},
        timeout=30,
    )
    assert internal.status_code == 200 and internal.json()["local_only"] is True

    # alice exports her archive on a.test
    started = requests.post(
        f"{a.base_url}/api/v1/rukun/exports", headers=bearer(alice_token), timeout=30
    )
    assert started.status_code in (200, 202), started.text
    a.drain()
    export_id = started.json()["id"]
    archive = requests.get(
        f"{a.base_url}/api/v1/rukun/exports/{export_id}/download",
        headers=bearer(alice_token),
        timeout=30,
    )
    assert archive.status_code == 200

    # and imports it on c.test as her new account
    new_token = c.token(c.member("alice2"))
    result = run_import(c, new_token, "posts", archive.content)
    assert result["state"] == "finished", result

    mine = c.mastodon(new_token, version_check_mode="none")
    me = mine.account_verify_credentials()
    statuses = mine.account_statuses(me["id"])
    texts = sorted(s["content"] for s in statuses)
    assert len(statuses) == 2, texts
    assert any("partner portal" in t for t in texts)
    assert any("conference" in t for t in texts)
    assert not any("Internal" in t for t in texts)
    by_uri = {s["rukun"]["imported_from"]["uri"]: s for s in statuses}
    assert set(by_uri) == {kept["uri"], quiet["uri"]}
    # original dates, and where they were first published
    for original in (kept, quiet):
        copy = by_uri[original["uri"]]
        # (to the second, as ActivityStreams `published` carries it)
        assert copy["created_at"] == original["created_at"].replace(microsecond=0)
        # the archive's proofs, checked against the key its actor.json publishes
        assert copy["rukun"]["imported_from"]["verified"] is True
        assert copy["rukun"]["imported_from"]["origin"] == f"{a.config.site.base_url}/users/alice"
