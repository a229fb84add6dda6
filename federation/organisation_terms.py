"""Rukun's JSON-LD extension for the organisation profile: typed values on an actor
(department, job title, work location, skills, start date, manager), beside the
`PropertyValue` attachments that Mastodon and others show.

The vocabulary is the fixed IRI `https://rukun.social/ns#`, defined by inline term
definitions in the actor's `@context`: no context document is hosted or fetched, so the
bundled-contexts-only rule holds and every JSON-LD processor expands the terms the same way.
`location` is ActivityStreams' own term (a Place), so the office is `workLocation`.

Reading accepts the terms under whatever names the document's inline context gives the
Rukun IRIs, and keys that are the full IRIs (what JSON-LD compaction to ActivityStreams
leaves); other servers' `department` keys mean nothing here. A phone number is never part
of the vocabulary: it stays on the member's own node."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from federation.origin import origin_of

RUKUN_NS = "https://rukun.social/ns#"
TERMS = ("department", "jobTitle", "workLocation", "skills", "startDate", "manager")
# The inline context entry an actor document carries after ActivityStreams (whose `xsd`
# prefix `startDate` uses).
RUKUN_CONTEXT: dict[str, Any] = {
    "rukun": RUKUN_NS,
    "department": "rukun:department",
    "jobTitle": "rukun:jobTitle",
    "workLocation": "rukun:workLocation",
    "skills": {"@id": "rukun:skills", "@container": "@set"},
    "startDate": {"@id": "rukun:startDate", "@type": "xsd:date"},
    "manager": {"@id": "rukun:manager", "@type": "@id"},
}
# The profile rows (PropertyValue names) the typed values are also shown as. A Rukun actor's
# attachments with these names are the same values again and are not kept as free fields.
LABELS = {
    "department": "Department",
    "job_title": "Job title",
    "manager": "Manager",
    "location": "Location",
    "phone": "Phone",
    "skills": "Skills",
    "start_date": "Start date",
}
# Caps on what a remote profile may make us store; longer text is cut, not refused.
MAX_TEXT = 100
MAX_SKILLS = 20
MAX_SKILL = 50
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class OrganisationDoc:
    department: str = ""
    job_title: str = ""
    location: str = ""
    skills: tuple[str, ...] = ()
    start_date: date | None = None
    manager: str | None = None  # the manager's actor id


def organisation_properties(
    *,
    department: str,
    job_title: str,
    location: str,
    skills: tuple[str, ...],
    start_date: date | None,
    manager: str | None,
) -> dict[str, Any]:
    """The typed properties to put on an actor document (with RUKUN_CONTEXT in its
    `@context`); empty values are left out."""
    properties: dict[str, Any] = {
        "department": department,
        "jobTitle": job_title,
        "workLocation": location,
        "skills": list(skills),
        "startDate": start_date.isoformat() if start_date else None,
        "manager": manager,
    }
    return {key: value for key, value in properties.items() if value}


def _inline_definitions(context: Any) -> Iterator[Mapping[str, Any]]:
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, Mapping):
            yield entry


def _term_names(document: Mapping[str, Any]) -> dict[str, str]:
    """Document key → Rukun term, from the inline context and full-IRI keys."""
    names = {RUKUN_NS + term: term for term in TERMS}
    for definitions in _inline_definitions(document.get("@context")):
        prefixes = {k: v for k, v in definitions.items() if isinstance(v, str)}
        for key, definition in definitions.items():
            iri = definition.get("@id") if isinstance(definition, Mapping) else definition
            if not isinstance(iri, str):
                continue
            prefix, colon, rest = iri.partition(":")
            if colon and prefix in prefixes and not rest.startswith("//"):
                iri = prefixes[prefix] + rest
            if iri.startswith(RUKUN_NS) and iri[len(RUKUN_NS) :] in TERMS:
                names[key] = iri[len(RUKUN_NS) :]
    return names


def _scalar(value: Any) -> Any:
    """A JSON-LD value as a plain one: `{"@value": …}` (typed literals) and one-item arrays
    (expanded form) unwrapped."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping):
        value = value.get("@value", value.get("@id", value.get("id")))
    return value


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    value = _scalar(value)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _date(value: Any) -> date | None:
    value = _scalar(value)
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _skills(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    skills = [_text(item, MAX_SKILL) for item in items]
    return tuple(skill for skill in skills if skill)[:MAX_SKILLS]


def parse_organisation(document: Mapping[str, Any]) -> OrganisationDoc | None:
    """The typed organisation values of an actor document, or None when it carries none
    (any other server's actor). Unusable values are dropped, never refused; the manager
    must be an http(s) URL."""
    found: dict[str, Any] = {}
    for key, term in _term_names(document).items():
        if key in document and document[key] is not None:
            found[term] = document[key]
    if not found:
        return None
    manager = _scalar(found.get("manager"))
    return OrganisationDoc(
        department=_text(found.get("department")),
        job_title=_text(found.get("jobTitle")),
        location=_text(found.get("workLocation")),
        skills=_skills(found.get("skills", [])),
        start_date=_date(found.get("startDate")),
        manager=manager if isinstance(manager, str) and origin_of(manager) else None,
    )
