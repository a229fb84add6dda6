"""Reading import files: Mastodon's CSV exports with and without their headers, and archives of
posts. Files of the wrong shape are refused whole, with the lines that are wrong."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from actors.import_files import ImportFileError, parse_csv
from content.archives import (
    ArchiveError,
    ItemError,
    ItemSkipped,
    open_archive,
    read_item,
    read_member,
)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def refusal(kind: str, text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(ImportFileError) as caught:
        parse_csv(kind, data)
    return caught.value.errors


def test_following_with_mastodons_header_and_its_booleans() -> None:
    # As Mastodon's export writes it (CSV.generate with write_headers), CRLF and all.
    text = (
        "Account address,Show boosts,Notify on new posts,Languages\r\n"
        "alice@a.test,true,false,\r\n"
        '@bob@b.test,false,true,"en, fr"\r\n'
        "carol,,,\r\n"
    )
    assert parse_csv("following", text.encode()) == [
        {"line": 2, "acct": "alice@a.test", "show_reblogs": True, "notify": False,
         "languages": None},
        {"line": 3, "acct": "bob@b.test", "show_reblogs": False, "notify": True,
         "languages": ["en", "fr"]},
        {"line": 4, "acct": "carol", "show_reblogs": None, "notify": None, "languages": None},
    ]  # fmt: skip


def test_old_following_export_has_one_address_per_line_and_no_header() -> None:
    rows = parse_csv("following", b"alice@a.test\n\n bob@b.test \n")
    assert rows == [{"line": 1, "acct": "alice@a.test"}, {"line": 3, "acct": "bob@b.test"}]


def test_blocks_mutes_domains_and_bookmarks_in_their_forms() -> None:
    assert parse_csv("blocking", b"spam@x.test\n") == [{"line": 1, "acct": "spam@x.test"}]
    assert parse_csv("blocking", b"Account address\nspam@x.test\n") == [
        {"line": 2, "acct": "spam@x.test"}
    ]
    assert parse_csv("muting", b"Account address,Hide notifications\nloud@x.test,false\n") == [
        {"line": 2, "acct": "loud@x.test", "hide_notifications": False}
    ]
    assert parse_csv("domain_blocking", b"#domain\nSpam.Example\n") == [
        {"line": 2, "domain": "spam.example"}
    ]
    assert parse_csv("domain_blocking", b"spam.example\n") == [
        {"line": 1, "domain": "spam.example"}
    ]
    assert parse_csv("bookmarks", b"https://a.test/users/a/statuses/1\n") == [
        {"line": 1, "uri": "https://a.test/users/a/statuses/1"}
    ]
    # A byte-order mark (spreadsheet programs write one) is not part of the header.
    assert parse_csv("bookmarks", "\ufeff#uri\nhttps://x.test/1\n".encode()) == [
        {"line": 2, "uri": "https://x.test/1"}
    ]


def test_a_header_of_another_type_is_refused() -> None:
    errors = refusal("following", "#domain\nspam.example\n")
    assert errors == [
        "line 1: the header (#domain) is not that of a following export; expected "
        "Account address, Show boosts, Notify on new posts, Languages"
    ]


def test_wrong_column_counts_are_listed_line_by_line() -> None:
    text = (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        "alice@a.test,true,false,\n"
        "bob@b.test,true\n"
        "carol@c.test,true,false,,extra\n"
    )
    assert refusal("following", text) == [
        "line 3: expected 4 columns, found 2",
        "line 4: expected 4 columns, found 5",
    ]
    assert refusal("blocking", "a@a.test\nb@b.test,c@c.test\n") == [
        "line 2: expected 1 column, found 2"
    ]


def test_binary_data_bad_encoding_quotes_and_emptiness_are_refused() -> None:
    assert refusal("blocking", b"a@a.test\nb@b.test\n\x89PNG\x00\x00") == [
        "line 3: binary data, not CSV text"
    ]
    assert refusal("blocking", b"a@a.test\n\xff\xfeb@b.test\n") == ["line 2: not UTF-8 text"]
    assert refusal("blocking", b'a@a.test\n"b@b.test\n') == ["line 2: unexpected end of data"]
    assert refusal("blocking", b"\n\n") == ["the file is empty"]
    assert refusal("following", "Account address,Show boosts,Notify on new posts,Languages\n"
                   ",true,false,\n") == ["line 2: the Account address is empty"]  # fmt: skip


def zipped(files: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            archive.writestr(name, data)
    return buffer.getvalue()


def outbox(*items: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": list(items),
    }


def test_archives_that_are_not_safe_zips_with_an_outbox_are_refused_whole() -> None:
    no_outbox = zipped({"actor.json": {"id": "https://old.test/users/a"}})
    cases = {
        b"not a zip at all": "the archive is not a zip file",
        no_outbox: "the archive has no outbox.json",
        zipped({"outbox.json": b"{not json"}): "outbox.json is not valid JSON",
        zipped({"outbox.json": {"type": "Collection"}}): "outbox.json is not an OrderedCollection",
        zipped({"outbox.json": {**outbox(), "orderedItems": {}}}): "orderedItems is not a list",
        zipped({"outbox.json": outbox(), "../../etc/passwd": b"x"}): "unsafe paths: ../../etc",
        zipped({"outbox.json": outbox(), "/abs/file": b"x"}): "unsafe paths: /abs/file",
    }
    for data, message in cases.items():
        with pytest.raises(ArchiveError, match=message.replace(".", r"\.")):
            open_archive(data)


def test_an_archive_that_lies_about_its_sizes_is_refused() -> None:
    data = bytearray(zipped({"outbox.json": outbox()}))
    # Make the central directory claim a 4 GiB member: a zip bomb's usual shape.
    index = data.rfind(b"PK\x01\x02")
    data[index + 24 : index + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    with pytest.raises(ArchiveError):
        open_archive(bytes(data))


def create(number: int, **object_fields: Any) -> dict[str, Any]:
    note = {
        "id": f"https://old.test/users/a/statuses/{number}",
        "type": "Note",
        "published": "2021-03-04T05:06:07Z",
        "to": [PUBLIC],
        "cc": ["https://old.test/users/a/followers"],
        "content": f"<p>post {number}</p>",
        **object_fields,
    }
    return {
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": "https://old.test/users/a",
        "object": note,
    }


def test_items_public_unlisted_and_what_is_left_out() -> None:
    owner = "https://old.test/users/a"
    assert read_item(create(1), owner).visibility == "public"
    unlisted = create(2, to=["https://old.test/users/a/followers"], cc=[PUBLIC])
    assert read_item(unlisted, owner).visibility == "unlisted"
    for item in (
        create(3, to=["https://old.test/users/a/followers"], cc=[]),
        create(4, to=["https://other.test/users/b"], cc=[]),
        {"type": "Announce", "actor": owner, "object": "https://other.test/notes/1"},
        {**create(5), "actor": "https://old.test/users/someone-else"},
    ):
        with pytest.raises(ItemSkipped):
            read_item(item, owner)
    for item in ("a string", create(6, published="yesterday"), {"type": "Create"}):
        with pytest.raises(ItemError):
            read_item(item, owner)


def test_media_are_read_only_from_inside_the_archive() -> None:
    archive = open_archive(
        zipped(
            {
                "outbox.json": outbox(),
                "actor.json": {"id": "https://old.test/users/a"},
                "media_attachments/files/1/original/a.png": b"png",
            }
        )
    )
    # Mastodon writes the path without `/system/`; a full URL is reduced to its path
    assert read_member(archive, "media_attachments/files/1/original/a.png") == b"png"
    assert read_member(archive, "/system/media_attachments/files/1/original/a.png") == b"png"
    assert read_member(archive, "https://old.test/system/media_attachments/files/1/original/a.png")
    for outside in ("../outbox.json", "media_attachments/../../etc/passwd", "C:/x", "missing.png"):
        assert read_member(archive, outside) is None
