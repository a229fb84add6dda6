"""Status languages: ISO 639 codes as Mastodon accepts them. Two-letter codes must be real ISO
639-1 codes; three-letter codes (ISO 639-2/3, thousands of them) are checked for shape; a
region may follow (`pt-BR`, `zh-TW`), as Mastodon's regional variants do."""

from __future__ import annotations

import re

_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy
    hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li
    ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa
    pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th
    ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|[0-9]{3}|[A-Za-z]{4}))?$")


def normalise_language(value: str) -> str:
    """`EN` → `en`, `pt_br` → `pt-BR`; raises ValueError for anything that is not a code."""
    match = _CODE.match(value.strip())
    if match is None:
        raise ValueError(value)
    base = match[1].lower()
    if len(base) == 2 and base not in ISO_639_1:
        raise ValueError(value)
    region = match[2]
    if region is None:
        return base
    return f"{base}-{region.upper() if len(region) == 2 else region.title()}"
