"""ActivityStreams media types and the Accept negotiation that decides whether a request wants
the ActivityPub document or the web page at the same URL."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

ACTIVITY_JSON = "application/activity+json"
LD_JSON = "application/ld+json"
ACTIVITYSTREAMS_PROFILE = "https://www.w3.org/ns/activitystreams"
LD_JSON_ACTIVITYSTREAMS = f'{LD_JSON}; profile="{ACTIVITYSTREAMS_PROFILE}"'
# What we answer with: Mastodon and every other server read this one.
ACTIVITY_JSON_UTF8 = f"{ACTIVITY_JSON}; charset=utf-8"

# Profiles seen in the wild for the ActivityStreams context: http as well as https, and with the
# fragment mark some servers append.
_ACTIVITYSTREAMS_PROFILES = frozenset(
    {
        "https://www.w3.org/ns/activitystreams",
        "http://www.w3.org/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams#",
        "http://www.w3.org/ns/activitystreams#",
    }
)


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of an Accept header: `type/subtype` lowercased, parameters (names lowercased,
    values unquoted) without `q`, and the quality in [0, 1]."""

    media_type: str
    params: Mapping[str, str] = field(default_factory=dict)
    q: float = 1.0

    def matches(self, media_type: str) -> bool:
        """Whether this range covers the concrete `type/subtype` (wildcards included)."""
        kind, _, subtype = media_type.lower().partition("/")
        range_kind, _, range_subtype = self.media_type.partition("/")
        if range_kind == "*":
            return True
        return range_kind == kind and range_subtype in ("*", subtype)

    @property
    def specificity(self) -> int:
        if self.media_type == "*/*":
            return 0
        if self.media_type.endswith("/*"):
            return 1
        return 2 + len(self.params)


def _split_outside_quotes(text: str, separator: str) -> Iterator[str]:
    """Split on `separator`, leaving it alone inside double- or single-quoted strings."""
    start = 0
    quote = ""
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quote:
            if char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == separator:
            yield text[start:index]
            start = index + 1
    yield text[start:]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def _quality(value: str) -> float:
    """A garbled q is ignored rather than refusing the range: servers send `q=1.0`, `q=.5`..."""
    try:
        q = float(value)
    except ValueError:
        return 1.0
    if math.isnan(q):
        return 1.0
    return min(max(q, 0.0), 1.0)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, in the order given. Never raises: entries that are
    not `type/subtype` are skipped, so a garbled header yields an empty list."""
    ranges: list[MediaRange] = []
    for entry in _split_outside_quotes(header or "", ","):
        parts = list(_split_outside_quotes(entry, ";"))
        media_type = parts[0].strip().lower()
        kind, slash, subtype = media_type.partition("/")
        if not slash or not kind or not subtype or " " in media_type:
            continue
        params: dict[str, str] = {}
        q = 1.0
        for part in parts[1:]:
            name, equals, value = part.partition("=")
            name = name.strip().lower()
            if not equals or not name:
                continue
            if name == "q":
                q = _quality(value.strip())
            else:
                params[name] = _unquote(value)
        ranges.append(MediaRange(media_type, params, q))
    return ranges


def is_activitystreams(media_range: MediaRange) -> bool:
    """Whether this range names ActivityStreams explicitly: `application/activity+json`, or
    `application/ld+json` with no profile or a profile list that includes ActivityStreams.
    Wildcards do not count: a browser's `*/*` must still get the web page."""
    if media_range.media_type == ACTIVITY_JSON:
        return True
    if media_range.media_type != LD_JSON:
        return False
    profile = media_range.params.get("profile")
    if profile is None:
        # Mastodon treats bare ld+json as ActivityStreams; so do the servers that send it.
        return True
    return any(uri in _ACTIVITYSTREAMS_PROFILES for uri in profile.split())


def quality_of(ranges: list[MediaRange], media_type: str) -> float:
    """The quality the header gives a concrete media type: that of the most specific matching
    range (RFC 9110 §12.5.1), 0 when nothing matches."""
    matching = [r for r in ranges if r.matches(media_type)]
    if not matching:
        return 0.0
    return max(matching, key=lambda r: r.specificity).q


def accepts_activitystreams(accept: str | None) -> bool:
    """Whether a request with this Accept header asks for the ActivityStreams document rather
    than HTML. True when an explicit ActivityStreams range has a positive quality at least that
    of `text/html`; Mastodon's fetcher sends `text/html;q=0.1` after the AS types, browsers send
    `text/html` and `*/*` but never an AS type. A tie goes to ActivityStreams: only a client that
    wants the document names it."""
    ranges = parse_accept(accept)
    activitystreams_q = max((r.q for r in ranges if is_activitystreams(r)), default=0.0)
    if activitystreams_q <= 0:
        return False
    return activitystreams_q >= quality_of(ranges, "text/html")


def prefers(accept: str | None, media_type: str, over: str) -> bool:
    """Whether the header gives `media_type` a positive quality strictly above `over`'s (used to
    pick host-meta's JSON form over its XML one)."""
    ranges = parse_accept(accept)
    wanted = quality_of(ranges, media_type)
    return wanted > 0 and wanted > quality_of(ranges, over)
