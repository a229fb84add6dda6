"""A member edits their profile (`PATCH /api/v1/accounts/update_credentials`): check the edit
against Mastodon's limits, then write the account and the user's posting defaults.

Besides Mastodon's fields, Rukun profiles carry the organisation's department, job title,
manager, location, phone, skills and start date (a Rukun extension to update_credentials)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date

import asyncpg

from actors.organisation import ManagerError, check_manager

MAX_DISPLAY_NAME = 30
MAX_NOTE = 500
MAX_FIELDS = 4
MAX_FIELD_NAME = 255
MAX_FIELD_VALUE = 255
MAX_ORGANISATION = 100
MAX_PHONE = 32
MAX_SKILLS = 20
MAX_SKILL = 50
# Mastodon's three defaults, plus Rukun's internal `local`: a member of a members-only node may
# well want everything they post to stay inside the organisation by default.
PRIVACIES = ("public", "unlisted", "private", "local")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
# Digits with the usual separators, an optional leading "+": "+60 3-1234 5678", "(03) 1234".
_PHONE = re.compile(r"^\+?[0-9 ().\-/]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ProfileError(ValueError):
    """The edit breaks a limit; the message is Mastodon's 422 `error`."""


@dataclass(frozen=True, slots=True)
class ProfileEdit:
    """What to change; None leaves a value as it is. `fields` replaces all free fields."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    fields: list[tuple[str, str]] | None = None
    department: str | None = None
    job_title: str | None = None
    location: str | None = None
    phone: str | None = None  # "" clears it
    skills: list[str] | None = None  # replaces all skills
    start_date: str | None = None  # ISO date, YYYY-MM-DD; "" clears it
    manager_id: int | None = None  # a local, active member
    clear_manager: bool = False
    avatar_url: str | None = None
    header_url: str | None = None
    default_privacy: str | None = None
    default_sensitive: bool | None = None
    default_language: str | None = None  # "" clears it


def _too_long(label: str, maximum: int) -> ProfileError:
    return ProfileError(f"Validation failed: {label} is too long (maximum is {maximum} characters)")


def check_profile_edit(edit: ProfileEdit) -> ProfileEdit:
    """Validate an edit and return it normalised (blank fields dropped, as Mastodon does)."""
    if edit.display_name is not None and len(edit.display_name) > MAX_DISPLAY_NAME:
        raise _too_long("Display name", MAX_DISPLAY_NAME)
    if edit.note is not None and len(edit.note) > MAX_NOTE:
        raise _too_long("Note", MAX_NOTE)
    _check_organisation(edit)
    kept = None
    if edit.fields is not None:
        kept = [(name.strip(), value.strip()) for name, value in edit.fields]
        kept = [(name, value) for name, value in kept if name or value]
        if len(kept) > MAX_FIELDS:
            raise ProfileError(f"Validation failed: Fields is too long (maximum is {MAX_FIELDS})")
        for name, value in kept:
            if len(name) > MAX_FIELD_NAME:
                raise _too_long("Field name", MAX_FIELD_NAME)
            if len(value) > MAX_FIELD_VALUE:
                raise _too_long("Field value", MAX_FIELD_VALUE)
    if edit.default_privacy is not None and edit.default_privacy not in PRIVACIES:
        raise ProfileError("Validation failed: Source privacy is not included in the list")
    language = edit.default_language
    if language is not None:
        language = language.strip().lower()
        if language and not _LANGUAGE.match(language):
            raise ProfileError("Validation failed: Source language is not a language code")
    changes = {f.name: getattr(edit, f.name) for f in fields(edit)}
    changes.update(
        fields=kept,
        default_language=language,
        phone=_checked_phone(edit.phone),
        skills=_checked_skills(edit.skills),
    )
    return ProfileEdit(**changes)


def _check_organisation(edit: ProfileEdit) -> None:
    """The organisation profile's lengths and formats (the manager is checked on writing)."""
    for label, value in (
        ("Department", edit.department),
        ("Job title", edit.job_title),
        ("Location", edit.location),
    ):
        if value is not None and len(value) > MAX_ORGANISATION:
            raise _too_long(label, MAX_ORGANISATION)
    _checked_phone(edit.phone)
    _checked_skills(edit.skills)
    _checked_date(edit.start_date)
    if edit.manager_id is not None and edit.clear_manager:
        raise ProfileError("Validation failed: Manager cannot be both set and cleared")


def _checked_phone(phone: str | None) -> str | None:
    if phone is None:
        return None
    phone = " ".join(phone.split())
    if len(phone) > MAX_PHONE:
        raise _too_long("Phone", MAX_PHONE)
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 3):
        raise ProfileError("Validation failed: Phone is not a phone number")
    return phone


def _checked_skills(skills: list[str] | None) -> list[str] | None:
    """Trimmed, blanks dropped, repeats (whatever their case) dropped."""
    if skills is None:
        return None
    kept: list[str] = []
    for skill in (" ".join(s.split()) for s in skills):
        if len(skill) > MAX_SKILL:
            raise _too_long("Skill", MAX_SKILL)
        if skill and skill.casefold() not in {k.casefold() for k in kept}:
            kept.append(skill)
    if len(kept) > MAX_SKILLS:
        raise ProfileError(f"Validation failed: Skills is too long (maximum is {MAX_SKILLS})")
    return kept


def _checked_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        if not _DATE.match(text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ProfileError(
            "Validation failed: Start date is not a date (expected YYYY-MM-DD)"
        ) from None


_ACCOUNT_COLUMNS = (
    "display_name", "note", "locked", "bot", "discoverable", "department", "job_title",
    "location", "phone", "skills", "avatar_url", "header_url",
)  # fmt: skip
_USER_COLUMNS = {
    "default_privacy": "default_visibility",
    "default_sensitive": "default_sensitive",
    "default_language": "default_language",
}


async def apply_profile_edit(conn: asyncpg.Connection, user_id: int, edit: ProfileEdit) -> bool:
    """Write a checked edit (inside the caller's transaction). Returns True when the account
    was locked and no longer is, so the caller accepts waiting follow requests. Raises
    ProfileError for a manager that cannot be one (see `actors.organisation.check_manager`)."""
    row = await conn.fetchrow(
        "SELECT a.id, a.locked FROM accounts a JOIN users u ON u.account_id = a.id"
        " WHERE u.id = $1 FOR UPDATE OF a",
        user_id,
    )
    was_locked = row["locked"]
    sets: list[str] = []
    args: list[object] = [user_id]
    if edit.manager_id is not None:
        try:
            await check_manager(conn, row["id"], edit.manager_id)
        except ManagerError as error:
            raise ProfileError(str(error)) from None
        args.append(edit.manager_id)
        sets.append(f"manager_id = ${len(args)}")
    elif edit.clear_manager:
        sets.append("manager_id = NULL")
    if edit.start_date is not None:
        args.append(_checked_date(edit.start_date))
        sets.append(f"start_date = ${len(args)}")
    for column in _ACCOUNT_COLUMNS:
        value = getattr(edit, column)
        if value is not None:
            args.append(value)
            sets.append(f"{column} = ${len(args)}")
    if edit.fields is not None:
        args.append([{"name": n, "value": v} for n, v in edit.fields])
        sets.append(f"fields = ${len(args)}::jsonb")
    await conn.execute(
        f"""UPDATE accounts SET {", ".join([*sets, "updated_at = now()"])}
            FROM users u WHERE u.id = $1 AND accounts.id = u.account_id""",
        *args,
    )
    user_sets: list[str] = []
    user_args: list[object] = [user_id]
    for attribute, column in _USER_COLUMNS.items():
        value = getattr(edit, attribute)
        if value is not None:
            user_args.append(value or None if attribute == "default_language" else value)
            user_sets.append(f"{column} = ${len(user_args)}")
    if user_sets:
        await conn.execute(f"UPDATE users SET {', '.join(user_sets)} WHERE id = $1", *user_args)
    return bool(was_locked) and edit.locked is False


PROFILE_IMAGES = ("avatar", "header")


async def clear_profile_image(conn: asyncpg.Connection, account_id: int, which: str) -> str | None:
    """Back to the default picture (inside the caller's transaction); the stored path that was
    replaced, for the caller to delete once committed."""
    if which not in PROFILE_IMAGES:
        raise ValueError(which)
    column = f"{which}_url"
    previous: str | None = await conn.fetchval(
        f"""UPDATE accounts SET {column} = NULL, updated_at = now()
            FROM (SELECT {column} AS old FROM accounts WHERE id = $1 FOR UPDATE) o
            WHERE accounts.id = $1 RETURNING o.old""",
        account_id,
    )
    return previous
