"""Image work with Pillow, for uploads and profile pictures: check what was sent, then re-encode
it so nothing but pixels survives (EXIF with its GPS position, XMP, comments, ICC profiles).

Synchronous and CPU-bound: callers run these in a thread (`asyncio.to_thread`). A process
decodes at most two images at once, which bounds memory (a 33-megapixel RGBA image is 130 MB).

Formats: JPEG, PNG, WebP and GIF. A GIF (or an animated PNG or WebP) keeps its first frame as a
still image: Mastodon turns animations into looping video (`gifv`), which needs a video encoder
this node does not have yet."""

from __future__ import annotations

import functools
import io
import math
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from content.blurhash_encoding import encode_blurhash

# Pillow format → (content type, extension) of what we store; GIF becomes a still PNG.
OUTPUT = {
    "JPEG": ("image/jpeg", "jpg", "JPEG"),
    "PNG": ("image/png", "png", "PNG"),
    "GIF": ("image/png", "png", "PNG"),
    "WEBP": ("image/webp", "webp", "WEBP"),
}
MAX_DECODED_PIXELS = 7680 * 4320  # the largest image decoded at all
MAX_ORIGINAL_PIXELS = 3840 * 2160  # Mastodon's limit for the stored original: 8,294,400
PREVIEW_BOX = (640, 640)
BLURHASH_BOX = (100, 100)
BLURHASH_COMPONENTS = (4, 4)  # Mastodon's choice
PROFILE_SIZES = {"avatar": (400, 400), "header": (1500, 500)}

INVALID_TYPE = "Validation failed: File content type is invalid"
INVALID_FILE = "Validation failed: File could not be read as an image"
TOO_LARGE = "Validation failed: File dimensions are too large (at most 7680x4320 pixels)"

_DECODING = threading.BoundedSemaphore(2)
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90},
    "PNG": {},
    "WEBP": {"quality": 90},
}


class MediaError(ValueError):
    """The upload is not an image this node takes; the message is Mastodon's 422 `error`."""


@dataclass(frozen=True, slots=True)
class CheckedImage:
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return OUTPUT[self.format][0]


@dataclass(frozen=True, slots=True)
class Rendition:
    data: bytes
    width: int
    height: int

    def geometry(self) -> dict[str, Any]:
        """Mastodon's `meta.original` / `meta.small`."""
        return {
            "width": self.width,
            "height": self.height,
            "size": f"{self.width}x{self.height}",
            "aspect": self.width / self.height,
        }


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    content_type: str
    extension: str
    original: Rendition
    preview: Rendition
    blurhash: str

    def meta(self) -> dict[str, Any]:
        return {"original": self.original.geometry(), "small": self.preview.geometry()}


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=list(OUTPUT))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(TOO_LARGE) from None
    except UnidentifiedImageError:
        raise MediaError(INVALID_TYPE) from None
    except Exception as error:  # whatever else a parser meets in untrusted bytes
        raise MediaError(INVALID_TYPE) from error
    width, height = image.size
    if width < 1 or height < 1:
        raise MediaError(INVALID_FILE)
    if width * height > MAX_DECODED_PIXELS:
        raise MediaError(TOO_LARGE)
    return image


def _load(image: Image.Image) -> None:
    """Decode every pixel: a truncated or damaged file fails here, not later."""
    try:
        image.load()
    except Exception as error:  # any failure to decode untrusted bytes means a bad file
        raise MediaError(INVALID_FILE) from error


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels described by an embedded ICC profile (a phone's Display P3, a print
    shop's CMYK) to sRGB, since the profile itself is stripped. Unusable profiles are ignored."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    source = image.convert("RGB") if alpha is not None else image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(source, profile, _srgb(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    assert converted is not None
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation to the pixels (the tag itself goes with the rest)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # damaged EXIF: keep the pixels as they are
        return image


def _plain_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "RGBA", "L"):
        return image
    if image.mode in ("LA", "PA", "RGBa", "La") or image.has_transparency_data:
        return image.convert("RGBA")
    return image.convert("RGB")


def _pixels_only(data: bytes) -> tuple[Image.Image, str]:
    """Open, decode, turn upright and into sRGB: the image as a viewer should see it, with
    its Pillow format name."""
    image = _open(data)
    fmt = image.format or ""
    _load(image)
    image = _plain_mode(_to_srgb(_upright(image)))
    return image, fmt


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Re-encode with no metadata: Pillow writes some of `info` back (a PNG's ICC profile, a
    JPEG comment), so it is emptied first."""
    image.info = {}
    target = OUTPUT[fmt][2]
    if target == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=target, **_SAVE_OPTIONS[target])
    return out.getvalue()


def _within_pixels(image: Image.Image, limit: int) -> Image.Image:
    width, height = image.size
    if width * height <= limit:
        return image
    scale = math.sqrt(limit / (width * height))
    size = (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def check_image(data: bytes) -> CheckedImage:
    """Is this a whole image in a format we take, small enough to decode? Raises MediaError.
    A JPEG is decoded at an eighth of its size: every byte is still read, at little cost."""
    with _DECODING:
        image = _open(data)
        fmt = image.format or ""
        width, height = image.size
        if fmt == "JPEG":
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        _load(image)
    return CheckedImage(fmt, width, height)


def process_image(data: bytes) -> ProcessedImage:
    """The stored original (at most 3840x2160 in area), a preview within 640x640 and the
    BlurHash, all without metadata."""
    with _DECODING:
        image, fmt = _pixels_only(data)
        original = _within_pixels(image, MAX_ORIGINAL_PIXELS)
        preview = original.copy()
        preview.thumbnail(PREVIEW_BOX, Image.Resampling.LANCZOS)
        tiny = preview.convert("RGB")
        tiny.thumbnail(BLURHASH_BOX, Image.Resampling.BILINEAR)
        content_type, extension, _ = OUTPUT[fmt]
        return ProcessedImage(
            content_type=content_type,
            extension=extension,
            original=Rendition(_encode(original, fmt), *original.size),
            preview=Rendition(_encode(preview, fmt), *preview.size),
            blurhash=encode_blurhash(tiny, *BLURHASH_COMPONENTS),
        )


def profile_image(data: bytes, kind: str) -> tuple[bytes, str]:
    """An avatar (400x400) or header (1500x500), cropped to fill from the centre as Mastodon
    does; returns the encoded file and its extension."""
    size = PROFILE_SIZES[kind]
    with _DECODING:
        image, fmt = _pixels_only(data)
        fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        return _encode(fitted, fmt), OUTPUT[fmt][1]
