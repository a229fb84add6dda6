"""Image processing and media storage on real files and a real PostgreSQL: metadata is stripped,
orientation applied, sizes bounded, formats checked, the `media.process` job finishes uploads,
and only minted keys are ever served."""

from __future__ import annotations

import functools
import io
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import asyncpg
import blurhash
import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, PngImagePlugin

from content.blurhash_encoding import encode_blurhash
from content.images import (
    INVALID_FILE,
    INVALID_TYPE,
    TOO_LARGE,
    MediaError,
    check_image,
    process_image,
    profile_image,
)
from content.media import (
    PROCESS_JOB,
    do_delete_media,
    do_upload_media,
    is_served_key,
    process_media,
    remove_profile_image,
    save_profile_image,
    stored_path,
)
from content.media_jobs import media_job_handlers
from db.queue import Worker
from tests.conftest import MakeMember

# --- images to work on --------------------------------------------------------------------


def halves(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: where each ends up shows how the image was turned."""
    image = Image.new(mode, size, (255, 0, 0) if mode == "RGB" else (255, 0, 0, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((size[0] // 2, 0, size[0], size[1]), fill=(0, 0, 255))
    return image


@functools.cache
def srgb_profile() -> bytes:
    """An ICC profile, made once: lcms stamps each new one with the time, and the same photo
    must be the same bytes however many times a test makes it."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_secrets(orientation: int = 6) -> bytes:
    """A JPEG carrying what must not survive: GPS position, camera, comment, XMP, ICC."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Rukun test camera"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    icc = srgb_profile()
    out = io.BytesIO()
    halves().save(
        out,
        "JPEG",
        exif=exif,
        comment=b"secret comment",
        icc_profile=icc,
        xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>",
    )
    return out.getvalue()


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: opening it must not decode (or allocate) anything."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def assert_no_metadata(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"):
        assert key not in image.info
    for secret in (b"secret", b"Rukun test camera", b"GPS"):
        assert secret not in data
    return image


# --- processing ---------------------------------------------------------------------------


def test_a_jpeg_loses_its_metadata_and_stands_upright() -> None:
    # Given a landscape JPEG whose EXIF says "rotate 90° clockwise", with a GPS position
    source = jpeg_with_secrets(orientation=6)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    # When it is processed
    processed = process_image(source)

    # Then nothing but pixels is left, turned as the camera meant
    original = assert_no_metadata(processed.original.data)
    assert_no_metadata(processed.preview.data)
    assert processed.content_type == "image/jpeg"
    assert processed.extension == "jpg"
    assert original.format == "JPEG"
    assert original.size == (20, 40)
    red, blue = original.getpixel((10, 5)), original.getpixel((10, 35))
    assert red[0] > 200 and red[2] < 50
    assert blue[2] > 200 and blue[0] < 50
    assert processed.meta() == {
        "original": {"width": 20, "height": 40, "size": "20x40", "aspect": 0.5},
        "small": {"width": 20, "height": 40, "size": "20x40", "aspect": 0.5},
    }


def test_a_png_keeps_its_transparency_and_loses_its_text() -> None:
    image = halves((64, 32), "RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret text chunk")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret</x:xmpmeta>")
    processed = process_image(encoded(image, "PNG", pnginfo=info))
    original = assert_no_metadata(processed.original.data)
    assert original.format == "PNG"
    assert processed.content_type == "image/png"
    assert original.mode == "RGBA"
    assert original.getpixel((0, 0))[3] == 0
    assert not getattr(original, "text", {})


def test_a_webp_stays_webp() -> None:
    processed = process_image(encoded(halves((50, 30)), "WEBP", quality=80))
    assert processed.content_type == "image/webp"
    assert processed.extension == "webp"
    assert Image.open(io.BytesIO(processed.original.data)).format == "WEBP"
    assert processed.original.width == 50


def test_an_animated_gif_becomes_its_first_frame_as_a_still_png() -> None:
    frames = [Image.new("RGB", (30, 30), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    source = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0)
    processed = process_image(source)
    still = Image.open(io.BytesIO(processed.original.data))
    assert processed.content_type == "image/png"
    assert still.format == "PNG"
    assert getattr(still, "n_frames", 1) == 1
    assert still.convert("RGB").getpixel((15, 15)) == (255, 0, 0)


def test_a_large_image_is_bounded_and_gets_a_small_preview() -> None:
    big = Image.new("RGB", (4000, 2500), (10, 120, 200))
    processed = process_image(encoded(big, "PNG"))
    width, height = processed.original.width, processed.original.height
    assert width * height <= 3840 * 2160
    assert width * height > 3840 * 2160 * 0.99
    assert abs(width / height - 1.6) < 0.01
    assert max(processed.preview.width, processed.preview.height) == 640
    assert processed.preview.width == 640 and processed.preview.height == 400
    preview = Image.open(io.BytesIO(processed.preview.data))
    assert preview.size == (640, 400)
    assert processed.meta()["small"]["size"] == "640x400"


def test_the_blurhash_matches_the_reference_encoder() -> None:
    image = halves((90, 60))
    ImageDraw.Draw(image).ellipse((10, 10, 50, 50), fill=(20, 200, 40))
    ours = encode_blurhash(image, 4, 4)
    with warnings.catch_warnings():
        # blurhash-python reads pixels with Pillow's deprecated getdata (why we encode ourselves).
        warnings.simplefilter("ignore", DeprecationWarning)
        reference = blurhash.encode(image.copy(), x_components=4, y_components=4)
    assert ours == reference
    assert blurhash.is_valid_blurhash(process_image(encoded(image, "PNG")).blurhash)


# --- refusing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"just some text, not an image\n",
        b"",
        encoded(halves(), "BMP"),
        encoded(halves(), "TIFF"),
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    ],
    ids=["text", "empty", "bmp", "tiff", "svg"],
)
def test_what_is_not_a_supported_image_is_refused(data: bytes) -> None:
    with pytest.raises(MediaError, match=INVALID_TYPE):
        check_image(data)
    with pytest.raises(MediaError, match=INVALID_TYPE):
        process_image(data)


def test_a_truncated_image_is_refused_before_it_is_accepted() -> None:
    source = encoded(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG")
    with pytest.raises(MediaError, match=INVALID_FILE):
        check_image(source[: len(source) // 2])
    png = encoded(Image.effect_noise((300, 300), 60), "PNG")
    with pytest.raises(MediaError, match=INVALID_FILE):
        check_image(png[: len(png) // 2])


@pytest.mark.parametrize("size", [(8000, 5000), (20000, 20000)], ids=["over-ours", "bomb"])
def test_huge_dimensions_are_refused_without_decoding(size: tuple[int, int]) -> None:
    with pytest.raises(MediaError, match=TOO_LARGE.split("(")[0].strip()):
        check_image(png_header_only(*size))


# --- profile pictures ---------------------------------------------------------------------


def test_profile_images_are_cropped_to_mastodon_sizes() -> None:
    source = jpeg_with_secrets()
    avatar, extension = profile_image(source, "avatar")
    assert extension == "jpg"
    assert assert_no_metadata(avatar).size == (400, 400)
    header, _ = profile_image(encoded(halves((900, 900)), "PNG"), "header")
    assert Image.open(io.BytesIO(header)).size == (1500, 500)


async def test_a_saved_avatar_is_served_under_a_minted_key(tmp_path: Path) -> None:
    path = await save_profile_image(tmp_path, encoded(halves(), "PNG"), "avatar")
    assert path.startswith("/system/avatars/")
    key = path.removeprefix("/system/")
    assert is_served_key(key)
    stored = stored_path(tmp_path, key)
    assert stored is not None
    assert Image.open(io.BytesIO(stored.read_bytes())).size == (400, 400)
    await remove_profile_image(tmp_path, path)
    assert stored_path(tmp_path, key) is None
    with pytest.raises(MediaError):
        await save_profile_image(tmp_path, b"not an image", "header")


# --- keys ---------------------------------------------------------------------------------


def test_only_minted_keys_inside_the_root_are_served(tmp_path: Path) -> None:
    root = tmp_path / "media"
    good = "media/ab/0f/" + "A" * 31 + "_.png"
    (root / good).parent.mkdir(parents=True)
    (root / good).write_bytes(b"x")
    (tmp_path / "secret.png").write_bytes(b"secret")
    (root / "incoming").mkdir()
    (root / "incoming" / ("B" * 32)).write_bytes(b"raw upload")
    assert stored_path(root, good) == (root / good).resolve()
    for key in (
        "../secret.png",
        "media/../../secret.png",
        "media/ab/0f/../../../../secret.png",
        "incoming/" + "B" * 32,
        "media/ab/0f/" + "A" * 32 + ".svg",
        "media/AB/0f/" + "A" * 32 + ".png",
        "/etc/passwd",
        "media/ab/0f/" + "A" * 31 + ".png",
    ):
        assert stored_path(root, key) is None, key
    # A link planted inside the root that points out of it is not followed.
    escape = "media/ab/0f/" + "C" * 32 + ".png"
    (root / escape).symlink_to(tmp_path / "secret.png")
    assert stored_path(root, escape) is None


# --- the job ------------------------------------------------------------------------------


async def _upload(conn: asyncpg.Connection, root: Path, account_id: int) -> dict[str, Any]:
    return await do_upload_media(
        conn, root, account_id, jpeg_with_secrets(), description="a test", focus=(0.5, -0.25)
    )


async def test_an_upload_waits_for_its_job_and_is_then_ready(
    pool: asyncpg.Pool, conn: asyncpg.Connection, make_member: MakeMember, tmp_path: Path
) -> None:
    alice = await make_member("alice")
    row = await _upload(conn, tmp_path, alice.account.id)
    assert row["state"] == "processing"
    incoming = tmp_path / str(row["file_key"])
    assert incoming.read_bytes() == jpeg_with_secrets()
    job = await conn.fetchrow("SELECT kind, payload FROM jobs")
    assert job["kind"] == PROCESS_JOB and job["payload"] == {"media_id": row["id"]}

    ran = await Worker(pool, media_job_handlers(tmp_path)).drain()

    assert ran == 1
    done = await conn.fetchrow("SELECT * FROM media_attachments WHERE id = $1", row["id"])
    assert done["state"] == "ready"
    assert done["type"] == "image"
    assert done["blurhash"]
    assert done["meta"]["original"]["size"] == "20x40"
    assert not incoming.exists()
    for key in (done["file_key"], done["preview_key"]):
        assert key.startswith("media/") and is_served_key(key)
        stored = stored_path(tmp_path, key)
        assert stored is not None
        assert_no_metadata(stored.read_bytes())
    assert await conn.fetchval("SELECT count(*) FROM jobs") == 0
    # Running it again (the queue is at-least-once) changes nothing.
    assert await process_media(conn, tmp_path, row["id"]) == "ready"
    again = await conn.fetchrow("SELECT file_key FROM media_attachments WHERE id = $1", row["id"])
    assert again["file_key"] == done["file_key"]


async def test_an_upload_that_cannot_be_processed_is_marked_failed(
    pool: asyncpg.Pool, conn: asyncpg.Connection, make_member: MakeMember, tmp_path: Path
) -> None:
    alice = await make_member("alice")
    row = await _upload(conn, tmp_path, alice.account.id)
    # The stored upload is damaged after it was accepted (a failing disk, say).
    (tmp_path / str(row["file_key"])).write_bytes(b"\xff\xd8\xff garbage")

    await Worker(pool, media_job_handlers(tmp_path)).drain()

    failed = await conn.fetchrow("SELECT state, file_key FROM media_attachments")
    assert failed["state"] == "failed" and failed["file_key"] is None
    assert not list((tmp_path / "incoming").iterdir())
    assert await conn.fetchval("SELECT count(*) FROM jobs") == 0  # not retried: it cannot help


async def test_media_deleted_while_processing_leaves_no_files(
    conn: asyncpg.Connection, make_member: MakeMember, tmp_path: Path
) -> None:
    alice = await make_member("alice")
    row = await _upload(conn, tmp_path, alice.account.id)
    assert await do_delete_media(conn, tmp_path, alice.account.id, row["id"])
    assert await process_media(conn, tmp_path, row["id"]) == "gone"
    assert stored_files(tmp_path) == []


async def test_an_upload_is_refused_before_anything_is_stored(
    conn: asyncpg.Connection, make_member: MakeMember, tmp_path: Path
) -> None:
    alice = await make_member("alice")
    for data in (b"plain text", jpeg_with_secrets()[:200]):
        with pytest.raises(MediaError):
            await do_upload_media(conn, tmp_path, alice.account.id, data)
    with pytest.raises(MediaError, match="Description is too long"):
        await do_upload_media(
            conn, tmp_path, alice.account.id, jpeg_with_secrets(), description="x" * 1501
        )
    assert await conn.fetchval("SELECT count(*) FROM media_attachments") == 0
    assert await conn.fetchval("SELECT count(*) FROM jobs") == 0
    assert stored_files(tmp_path) == []
