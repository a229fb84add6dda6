"""Media uploads through the client API: Mastodon.py for what it does, raw HTTP for the status
codes it hides (202, 206) and for bad input. Files are checked as stored, with Pillow."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import mastodon.media
import pytest
import requests
from mastodon import MastodonNotFoundError
from PIL import ExifTags, Image

from db.queue import Worker
from node.jobs import job_handlers
from tests.live import LiveNode
from tests.test_media_processing import encoded, halves, jpeg_with_secrets

MiB = 1024 * 1024


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload(
    node: LiveNode,
    token: str | None,
    data: bytes,
    *,
    version: str = "v2",
    content_type: str = "image/jpeg",
    **fields: str,
) -> requests.Response:
    return requests.post(
        f"{node.base_url}/api/{version}/media",
        headers=bearer(token) if token else {},
        files={"file": ("upload.bin", data, content_type)},
        data=fields,
        timeout=60,
    )


def fetch_file(node: LiveNode, url: str) -> requests.Response:
    """GET a media URL from the node, with no token at all (the node calls itself
    https://rukun.test; the test reaches it on loopback)."""
    return requests.get(node.base_url + urlsplit(url).path, timeout=30)


@contextlib.contextmanager
def running_worker(node: LiveNode) -> Iterator[None]:
    """A worker running on the node's loop, as `rukun serve` runs one."""

    async def start() -> asyncio.Task[None]:
        assert node.pool is not None
        worker = Worker(
            node.pool, job_handlers(node.config, node.federation), concurrency=1, poll_seconds=0.2
        )
        return asyncio.get_running_loop().create_task(worker.run())

    task = node.call(start)
    try:
        yield
    finally:

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        node.call(stop)


@pytest.fixture
def api(live_node: LiveNode) -> Any:
    """Mastodon.py signed in as alice."""
    member = live_node.member("alice")
    return live_node.mastodon(live_node.token(member), version_check_mode="none")


# --- uploading ----------------------------------------------------------------------------


def test_v2_upload_is_accepted_then_processed_by_the_worker(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"), "write:media")

    accepted = upload(
        live_node, token, jpeg_with_secrets(), description="a card", focus="0.5,-0.25"
    )

    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["Content-Type"].startswith("application/json")
    body = accepted.json()
    assert body["type"] == "image"
    assert body["url"] is None
    assert body["description"] == "a card"
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    media_url = f"{live_node.base_url}/api/v1/media/{body['id']}"
    assert requests.get(media_url, headers=bearer(token), timeout=30).status_code == 206

    assert live_node.drain() == 1

    ready = requests.get(media_url, headers=bearer(token), timeout=30)
    assert ready.status_code == 200
    media = ready.json()
    assert set(media) == {
        "id",
        "type",
        "url",
        "preview_url",
        "remote_url",
        "preview_remote_url",
        "text_url",
        "meta",
        "description",
        "blurhash",
    }
    assert media["url"].startswith("https://rukun.test/system/media/")
    assert media["preview_url"].startswith("https://rukun.test/system/media/")
    assert media["preview_url"] != media["url"]
    assert media["remote_url"] is None
    assert media["meta"]["original"] == {"width": 20, "height": 40, "size": "20x40", "aspect": 0.5}
    assert media["meta"]["small"]["size"] == "20x40"
    assert len(media["blurhash"]) == 36  # 4x4 components, as Mastodon


def test_v1_upload_is_processed_before_the_answer(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"), "write")
    response = upload(live_node, token, encoded(halves((64, 48)), "PNG"), version="v1")
    assert response.status_code == 200, response.text
    media = response.json()
    assert media["url"].endswith(".png")
    assert media["meta"]["original"]["size"] == "64x48"
    assert live_node.drain() == 0


def test_a_jpeg_posted_with_mastodon_py_is_served_without_its_gps_position(
    live_node: LiveNode, api: Any
) -> None:
    # Given a photo that knows where it was taken
    source = jpeg_with_secrets()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    # When alice uploads it and the node processes it
    posted = api.media_post(source, mime_type="image/jpeg", description="Team photo")
    live_node.drain()
    media = api.media(posted)

    # Then the file anyone may load has pixels and nothing else
    assert media.url is not None and media.description == "Team photo"
    served = fetch_file(live_node, media.url)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    stored = Image.open(io.BytesIO(served.content))
    assert not stored.getexif()
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in stored.info and "xmp" not in stored.info
    assert b"Rukun test camera" not in served.content
    assert stored.size == (20, 40)  # turned upright from the EXIF orientation
    preview = fetch_file(live_node, media.preview_url)
    assert preview.status_code == 200
    assert not Image.open(io.BytesIO(preview.content)).getexif()


@pytest.mark.parametrize(
    ("data", "mime", "content_type"),
    [
        (encoded(halves((80, 60), "RGBA"), "PNG"), "image/png", "image/png"),
        (encoded(halves((80, 60)), "WEBP"), "image/webp", "image/webp"),
        (encoded(halves((80, 60)), "GIF"), "image/gif", "image/png"),
    ],
    ids=["png", "webp", "gif"],
)
def test_other_formats_are_stored_in_kind(
    live_node: LiveNode, api: Any, data: bytes, mime: str, content_type: str
) -> None:
    posted = api.media_post(data, mime_type=mime)
    live_node.drain()
    media = api.media(posted)
    assert media.type == "image"
    assert media.meta.original.size == "80x60"
    served = fetch_file(live_node, media.url)
    assert served.headers["Content-Type"] == content_type
    assert Image.open(io.BytesIO(served.content)).size == (80, 60)


def test_synchronous_upload_waits_for_the_worker(
    live_node: LiveNode, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mastodon.py polls every five seconds; poll faster here (only its own module's clock).
    polls: list[float] = []

    def quick_sleep(seconds: float) -> None:
        polls.append(seconds)
        time.sleep(0.05)

    monkeypatch.setattr(mastodon.media, "time", SimpleNamespace(sleep=quick_sleep))
    with running_worker(live_node):
        media = api.media_post(encoded(halves(), "PNG"), mime_type="image/png", synchronous=True)
    assert media.url is not None
    assert media.blurhash
    assert polls  # it did wait for the worker: the upload was answered before processing


def test_description_and_focus_can_be_changed_before_posting(live_node: LiveNode, api: Any) -> None:
    posted = api.media_post(jpeg_with_secrets(), mime_type="image/jpeg", focus=(0.1, 0.2))
    live_node.drain()
    updated = api.media_update(posted, description="Updated words", focus=(-0.3, 0.75))
    assert updated.description == "Updated words"
    assert updated.meta.focus == {"x": -0.3, "y": 0.75}
    assert api.media(posted).description == "Updated words"


def test_a_status_shows_its_attachment(live_node: LiveNode, api: Any) -> None:
    posted = api.media_post(
        encoded(halves((120, 90)), "PNG"), mime_type="image/png", description="Chart"
    )
    live_node.drain()
    status = api.status_post("Our quarterly chart", media_ids=[posted])
    [attachment] = status.media_attachments
    assert attachment.id == posted.id
    assert attachment.type == "image"
    assert attachment.description == "Chart"
    assert attachment.url.startswith("https://rukun.test/system/media/")
    assert attachment.preview_url.startswith("https://rukun.test/system/media/")
    assert attachment.meta.original.size == "120x90"
    assert attachment.meta.small.size == "120x90"
    assert attachment.blurhash
    assert api.status(status).media_attachments[0].url == attachment.url
    assert fetch_file(live_node, attachment.url).status_code == 200
    # Attached media is no longer the owner's to fetch or change through the media API.
    with pytest.raises(MastodonNotFoundError):
        api.media(posted)


def test_unattached_media_can_be_deleted(live_node: LiveNode, api: Any) -> None:
    token = api.access_token
    posted = api.media_post(encoded(halves(), "PNG"), mime_type="image/png")
    live_node.drain()
    url = api.media(posted).url
    response = requests.delete(
        f"{live_node.base_url}/api/v1/media/{posted.id}", headers=bearer(token), timeout=30
    )
    assert response.status_code == 200 and response.json() == {}
    assert fetch_file(live_node, url).status_code == 404
    with pytest.raises(MastodonNotFoundError):
        api.media(posted)


# --- serving files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/system/media/00/00/" + "A" * 32 + ".png",
        "/system/../../etc/passwd",
        "/system/%2e%2e/%2e%2e/etc/passwd",
        "/system/media/..%2f..%2f..%2fetc%2fpasswd",
        "/system/incoming/" + "A" * 32,
    ],
)
def test_unknown_or_crafted_file_paths_are_not_found(live_node: LiveNode, path: str) -> None:
    response = requests.get(live_node.base_url + path, timeout=30)
    assert response.status_code == 404


# --- refusing -----------------------------------------------------------------------------


def test_bad_uploads_are_refused_in_mastodons_words(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"), "write:media")
    truncated = encoded(Image.effect_noise((300, 200), 50).convert("RGB"), "JPEG")[:1500]
    cases: list[tuple[requests.Response, int, str]] = [
        (
            upload(live_node, token, b"meeting notes\n", content_type="text/plain"),
            422,
            "Validation failed: File content type is invalid",
        ),
        (upload(live_node, token, truncated), 422, "Validation failed: File could not be read"),
        (
            upload(live_node, token, jpeg_with_secrets(), description="x" * 1501),
            422,
            "Validation failed: Description is too long",
        ),
        (
            upload(live_node, token, jpeg_with_secrets(), focus="left"),
            422,
            "Validation failed: Focus",
        ),
        (
            upload(live_node, token, jpeg_with_secrets(), focus="2,0"),
            422,
            "Validation failed: Focus",
        ),
        (
            requests.post(
                f"{live_node.base_url}/api/v2/media",
                headers=bearer(token),
                data={"description": "no file"},
                timeout=30,
            ),
            422,
            "Validation failed: File can't be blank",
        ),
    ]
    for response, status, message in cases:
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["error"].startswith(message)
    assert (
        live_node.with_conn(lambda conn: conn.fetchval("SELECT count(*) FROM media_attachments"))
        == 0
    )


def test_an_upload_over_16_mib_is_refused_with_413(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"), "write:media")
    too_big = jpeg_with_secrets() + b"\0" * (16 * MiB)
    response = upload(live_node, token, too_big)
    assert response.status_code == 413
    assert response.json() == {"error": "The upload is too large (maximum is 16 MB)"}
    # A body announcing more than any upload may be is refused before it is read.
    announced = upload(live_node, token, jpeg_with_secrets() + b"\0" * (33 * MiB))
    assert announced.status_code == 413
    # Just under the limit is read (and, being a JPEG with trailing bytes, taken).
    fits = jpeg_with_secrets()
    fits += b"\0" * (16 * MiB - len(fits))
    assert upload(live_node, token, fits).status_code == 202


def test_media_needs_a_token_with_write_media(live_node: LiveNode) -> None:
    member = live_node.member("alice")
    assert upload(live_node, None, jpeg_with_secrets()).status_code == 401
    read_only = upload(live_node, live_node.token(member, "read"), jpeg_with_secrets())
    assert read_only.status_code == 403
    assert read_only.json() == {"error": "This action is outside the authorized scopes"}


def test_others_media_is_not_found(live_node: LiveNode, api: Any) -> None:
    posted = api.media_post(jpeg_with_secrets(), mime_type="image/jpeg")
    bob_token = live_node.token(live_node.member("bob"))
    bob = live_node.mastodon(bob_token, version_check_mode="none")
    with pytest.raises(MastodonNotFoundError):
        bob.media(posted)
    with pytest.raises(MastodonNotFoundError):
        bob.media_update(posted, description="mine now")
    url = f"{live_node.base_url}/api/v1/media/{posted.id}"
    for method in ("GET", "PUT", "DELETE"):
        response = requests.request(method, url, headers=bearer(bob_token), timeout=30)
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    assert api.media(posted).description is None
