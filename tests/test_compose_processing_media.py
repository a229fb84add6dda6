"""A status may carry only media that finished processing (Mastodon's rule and words)."""

from __future__ import annotations

import requests
from PIL import Image

from tests.live import LiveNode
from tests.test_api_media import bearer, upload
from tests.test_media_processing import encoded


def test_media_still_processing_cannot_be_attached(live_node: LiveNode) -> None:
    # Given an image uploaded through v2, still waiting for the worker
    alice = live_node.member("alice")
    token = live_node.token(alice)
    image = encoded(Image.new("RGB", (64, 48), (200, 40, 40)), "PNG")
    uploaded = upload(live_node, token, image, content_type="image/png")
    assert uploaded.status_code == 202
    media_id = uploaded.json()["id"]

    # When Alice posts with it at once
    early = requests.post(
        f"{live_node.base_url}/api/v1/statuses",
        headers=bearer(token),
        json={"status": "too soon", "media_ids": [media_id]},
        timeout=30,
    )
    # Then the post is refused and nothing is stored
    assert early.status_code == 422
    assert early.json() == {
        "error": "Cannot attach files that have not finished processing. Try again in a moment!"
    }
    assert live_node.with_conn(lambda conn: conn.fetchval("SELECT count(*) FROM statuses")) == 0

    # And once the worker has processed it, the same post goes through with the attachment
    live_node.drain()
    status = live_node.mastodon(token).status_post("in time", media_ids=[media_id])
    assert [str(m["id"]) for m in status["media_attachments"]] == [media_id]
    assert status["media_attachments"][0]["url"].endswith(".png")
