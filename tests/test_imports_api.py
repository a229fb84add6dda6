"""Importing Mastodon's CSV exports through `/api/v1/rukun/imports` on a live node: the files
are written here as Mastodon writes them (with and without headers), run by the `import.run`
job, and checked in the tables they change. Mastodon.py has no import API: raw HTTP it is."""

from __future__ import annotations

from typing import Any

import requests

from tests.live import LiveNode

FOLLOWING_HEADER = "Account address,Show boosts,Notify on new posts,Languages\n"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start_import(
    node: LiveNode, token: str, kind: str, data: str | bytes, mode: str = "merge"
) -> requests.Response:
    body = data.encode() if isinstance(data, str) else data
    return requests.post(
        f"{node.base_url}/api/v1/rukun/imports",
        headers=bearer(token),
        files={"data": (f"{kind}.csv", body, "text/csv")},
        data={"type": kind, "mode": mode},
        timeout=30,
    )


def run_import(
    node: LiveNode, token: str, kind: str, data: str | bytes, mode: str = "merge"
) -> dict[str, Any]:
    response = start_import(node, token, kind, data, mode)
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "queued"
    node.drain()
    shown = requests.get(
        f"{node.base_url}/api/v1/rukun/imports/{response.json()['id']}",
        headers=bearer(token),
        timeout=30,
    )
    assert shown.status_code == 200
    result: dict[str, Any] = shown.json()
    assert result["state"] == "finished"
    return result


def targets(node: LiveNode, table: str, account_id: int, *columns: str) -> dict[str, Any]:
    extra = "".join(f", t.{column}" for column in columns)
    rows = node.with_conn(
        lambda conn: conn.fetch(
            f"""SELECT a.username{extra} FROM {table} t
                JOIN accounts a ON a.id = t.target_account_id WHERE t.account_id = $1""",
            account_id,
        )
    )
    return {row["username"]: tuple(row[c] for c in columns) for row in rows}


def test_following_local_accounts_honours_options_then_overwrite_unfollows(
    live_node: LiveNode,
) -> None:
    alice = live_node.member("alice")
    for name in ("bob", "carol", "dave"):
        live_node.member(name)
    token = live_node.token(alice)

    # Given Mastodon's current export, with the node's own domain on one address
    result = run_import(
        live_node,
        token,
        "following",
        FOLLOWING_HEADER + 'bob@rukun.test,false,true,\n@carol,true,false,"de, fr"\n',
    )
    assert result["processed_items"] == 2
    assert result["failed_items"] == 0
    follows = targets(live_node, "follows", alice.account.id, "show_reblogs", "notify", "languages")
    assert follows == {"bob": (False, True, None), "carol": (True, False, ["de", "fr"])}

    # When the old export (one address a line, no header) is imported over them
    result = run_import(live_node, token, "following", "dave\ncarol\n", mode="overwrite")
    # Then bob, not in the file, is unfollowed; carol keeps her options, dave is followed
    assert result["processed_items"] == 2
    follows = targets(live_node, "follows", alice.account.id, "show_reblogs", "languages")
    assert follows == {"carol": (True, ["de", "fr"]), "dave": (True, None)}
    stats = live_node.with_conn(
        lambda conn: conn.fetchval(
            "SELECT following_count FROM account_stats WHERE account_id = $1", alice.account.id
        )
    )
    assert stats == 2


def test_blocks_mutes_and_domain_blocks_merge_and_overwrite(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    for name in ("spam", "loud", "quiet", "eve"):
        live_node.member(name)
    token = live_node.token(alice)

    # Mastodon's blocks export has no header; its mutes export has one.
    assert run_import(live_node, token, "blocking", "spam\neve\n")["processed_items"] == 2
    assert set(targets(live_node, "blocks", alice.account.id)) == {"spam", "eve"}
    mutes = "Account address,Hide notifications\nloud,false\nquiet,true\n"
    assert run_import(live_node, token, "muting", mutes)["failed_items"] == 0
    muted = targets(live_node, "mutes", alice.account.id, "hide_notifications")
    assert muted == {"loud": (False,), "quiet": (True,)}

    # Overwrite keeps only what the file names
    run_import(live_node, token, "blocking", "Account address\neve\n", mode="overwrite")
    assert set(targets(live_node, "blocks", alice.account.id)) == {"eve"}
    run_import(
        live_node, token, "muting", "Account address,Hide notifications\nloud,\n", "overwrite"
    )
    assert targets(live_node, "mutes", alice.account.id, "hide_notifications") == {"loud": (True,)}

    # Domain blocks: `#domain` header or plain, merged, then overwritten
    run_import(live_node, token, "domain_blocking", "#domain\nspam.example\nAds.Example\n")
    run_import(live_node, token, "domain_blocking", "more.example\n")
    domains = lambda: live_node.with_conn(  # noqa: E731
        lambda conn: conn.fetch(
            "SELECT domain FROM account_domain_blocks WHERE account_id = $1 ORDER BY domain",
            alice.account.id,
        )
    )
    assert [r["domain"] for r in domains()] == ["ads.example", "more.example", "spam.example"]
    result = run_import(
        live_node, token, "domain_blocking", "#domain\nmore.example\nnot a domain\n", "overwrite"
    )
    assert result["errors"] == ["line 3: 'not a domain' is not a domain"]
    assert [r["domain"] for r in domains()] == ["more.example"]


def test_bookmarks_by_uri_merge_and_overwrite(live_node: LiveNode) -> None:
    alice, bob = live_node.member("alice"), live_node.member("bob")
    token = live_node.token(alice)
    api = live_node.mastodon(live_node.token(bob))
    first, second, third = (api.status_post(f"post {n}") for n in range(3))
    secret = api.status_post("for my followers", visibility="private")
    api_alice = live_node.mastodon(token)
    api_alice.status_bookmark(third["id"])

    # Mastodon's bookmarks export: one status URI a line, no header
    text = f"{first['uri']}\n{second['url']}\n{secret['uri']}\nhttps://elsewhere.example/1\n"
    result = run_import(live_node, token, "bookmarks", text)
    assert result["processed_items"] == 4
    assert result["errors"] == [
        f"line 3: {secret['uri']} is not a post known on this node",
        "line 4: https://elsewhere.example/1 is not a post known on this node",
    ]
    marked = {s["id"] for s in api_alice.bookmarks()}
    assert marked == {first["id"], second["id"], third["id"]}

    run_import(live_node, token, "bookmarks", f"#uri\n{second['uri']}\n", mode="overwrite")
    assert {s["id"] for s in api_alice.bookmarks()} == {second["id"]}


def test_unresolvable_rows_fail_alone_and_are_named_by_line(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    live_node.member("bob")
    token = live_node.token(alice)
    text = (
        FOLLOWING_HEADER
        + "bob,true,false,\n"
        + "not an address!,true,false,\n"
        + "ghost,true,false,\n"
        + "alice,true,false,\n"
        + "someone@x.example,true,false,\n"
    )
    result = run_import(live_node, token, "following", text)
    assert result["total_items"] == 5
    assert result["processed_items"] == 5
    assert result["failed_items"] == 4
    assert result["imported_items"] == 1
    assert result["errors"] == [
        "line 3: 'not an address!' is not an account address",
        "line 4: there is no account ghost on this node",
        "line 5: alice cannot be followed, blocked or muted by you (yourself, a moved account, "
        "or a block between you)",
        "line 6: x.example is not allowed by this node's federation policy",
    ]
    assert set(targets(live_node, "follows", alice.account.id)) == {"bob"}


def test_malformed_files_are_refused_with_their_lines_and_nothing_is_imported(
    live_node: LiveNode,
) -> None:
    alice = live_node.member("alice")
    live_node.member("bob")
    token = live_node.token(alice)
    cases = {
        ("following", "#domain\nexample.com\n"): [
            "line 1: the header (#domain) is not that of a following export; expected "
            "Account address, Show boosts, Notify on new posts, Languages"
        ],
        ("following", FOLLOWING_HEADER + "bob,true,false,\nbob,true\n"): [
            "line 3: expected 4 columns, found 2"
        ],
        ("blocking", b"bob\n\x00\x01\x02binary"): ["line 2: binary data, not CSV text"],
        ("muting", b""): ["the file is empty"],
        ("lists", "Friends,bob\n"): ["lists are not supported yet"],
        ("posts", "bob\n"): ["the archive is not a zip file"],
        ("favourites", "bob\n"): [
            "type must be one of following, blocking, muting, domain_blocking, bookmarks, "
            "lists, posts"
        ],
    }
    for (kind, data), errors in cases.items():
        response = start_import(live_node, token, kind, data)
        assert response.status_code == 422, (kind, response.text)
        assert response.json()["errors"] == errors
        assert response.json()["error"].startswith("The file cannot be imported: ")
    assert start_import(live_node, token, "blocking", "bob\n", mode="replace").status_code == 422
    # Nothing was stored, queued or followed
    stored = live_node.with_conn(lambda conn: conn.fetchval("SELECT count(*) FROM imports"))
    queued = live_node.with_conn(
        lambda conn: conn.fetchval("SELECT count(*) FROM jobs WHERE kind = 'import.run'")
    )
    assert (stored, queued) == (0, 0)
    listed = requests.get(
        f"{live_node.base_url}/api/v1/rukun/imports", headers=bearer(token), timeout=30
    )
    assert listed.json() == []


def test_imports_are_the_members_own(live_node: LiveNode) -> None:
    alice, bob = live_node.member("alice"), live_node.member("bob")
    live_node.member("carol")
    started = start_import(live_node, live_node.token(alice), "blocking", "carol\n").json()
    other = live_node.token(bob)
    shown = requests.get(
        f"{live_node.base_url}/api/v1/rukun/imports/{started['id']}",
        headers=bearer(other),
        timeout=30,
    )
    assert shown.status_code == 404
    assert shown.json() == {"error": "Record not found"}
    anonymous = requests.get(f"{live_node.base_url}/api/v1/rukun/imports", timeout=30)
    assert anonymous.status_code == 401
    read_only = live_node.token(bob, "read")
    refused = start_import(live_node, read_only, "blocking", "carol\n")
    assert refused.status_code == 403
