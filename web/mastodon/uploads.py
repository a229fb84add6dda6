"""Multipart uploads with a limit of their own. The app's `client_max_size` (1 MiB) suits JSON
and forms; media and profile pictures are larger, so these routes read the multipart stream
themselves, allow more on those routes only, and answer 413 as soon as the limit is passed."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web
from multidict import MultiDict

from web.errors import ApiError

MAX_FIELD_BYTES = 64 * 1024  # a text field (description, focus, display name, …)
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class UploadForm:
    # A multidict keeps repeated names (`fields_attributes[][name]`) for `Params`' nesting.
    fields: MultiDict[str] = field(default_factory=MultiDict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


class _TooLarge(Exception):
    pass


def _too_large(max_file_bytes: int) -> ApiError:
    return ApiError(413, f"The upload is too large (maximum is {max_file_bytes // 1048576} MB)")


async def _read_part(part: BodyPartReader, limit: int, budget: int) -> bytes:
    """The part's bytes, refusing once it passes `limit` or the request's remaining `budget`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        size += len(chunk)
        if size > limit or size > budget:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def read_upload_form(
    request: web.Request, *, max_file_bytes: int, max_total_bytes: int
) -> UploadForm:
    """Fields and files of a `multipart/form-data` body. Any other body gives an empty form
    (the caller reports what is missing). 413 when a file passes `max_file_bytes` or the whole
    body `max_total_bytes`; 422 for a text field that is not UTF-8."""
    if request.content_length is not None and request.content_length > max_total_bytes:
        raise _too_large(max_file_bytes)
    if request.content_type != "multipart/form-data":
        return UploadForm()
    form = UploadForm()
    budget = max_total_bytes
    reader = await request.multipart()
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                raise ApiError(422, "Validation failed: the form has a part without a name")
            is_file = part.filename is not None
            data = await _read_part(part, max_file_bytes if is_file else MAX_FIELD_BYTES, budget)
            budget -= len(data)
            if is_file:
                form.files[part.name] = UploadedFile(
                    part.filename, part.headers.get("Content-Type"), data
                )
                continue
            try:
                form.fields.add(part.name, data.decode(part.get_charset("utf-8")))
            except (UnicodeDecodeError, LookupError):
                raise ApiError(422, f"Validation failed: {part.name} is not UTF-8 text") from None
    except _TooLarge:
        raise _too_large(max_file_bytes) from None
    except ValueError:
        # aiohttp's reader raises ValueError for a malformed multipart body.
        raise ApiError(400, "The multipart body is malformed") from None
    return form
