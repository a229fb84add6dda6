"""The JSON-LD path: documents the fast path cannot read are compacted by pyld to the
ActivityStreams terms, with bundled contexts only; hostile contexts never reach pyld."""

from __future__ import annotations

from typing import Any

import pytest
from pyld import jsonld

from federation.contexts import ACTIVITYSTREAMS, SECURITY_V1, UnknownContextError
from federation.contexts import document_loader as bundled_loader
from federation.jsonld_compaction import compact
from federation.jsonld_guard import ContextRefusedError, check_context

AS = "https://www.w3.org/ns/activitystreams#"


def test_an_extra_inline_vocabulary_with_an_alias_is_compacted() -> None:
    # Given a context with a vocabulary of its own and a name of its own for `actor`
    document = {
        "@context": [
            ACTIVITYSTREAMS,
            {"ex": "https://ex.test/ns#", "mood": "ex:mood", "by": {"@id": "as:actor"}},
        ],
        "id": "https://x.test/likes/1",
        "type": "Like",
        "by": {"id": "https://x.test/u", "type": "Person"},
        "object": "https://y.test/notes/1",
        "mood": "glad",
    }
    assert check_context(document) == "jsonld"
    # When it is compacted
    compacted = compact(document)
    # Then the keys are the ActivityStreams terms, and the foreign term is kept by its IRI
    assert compacted["@context"] == ACTIVITYSTREAMS
    assert compacted["actor"] == {"id": "https://x.test/u", "type": "Person"}
    assert compacted["object"] == "https://y.test/notes/1"
    assert compacted["https://ex.test/ns#mood"] == "glad"
    assert "by" not in compacted


def test_curie_keys_are_compacted_and_the_security_terms_kept() -> None:
    document = {
        "@context": [ACTIVITYSTREAMS, SECURITY_V1],
        "id": "https://x.test/updates/1",
        "type": "Update",
        "as:actor": {"@id": "https://x.test/u"},
        "object": {
            "id": "https://x.test/u",
            "type": "Person",
            "publicKey": {"id": "https://x.test/u#key", "owner": "https://x.test/u"},
        },
    }
    assert check_context(document) == "jsonld"
    compacted = compact(document)
    assert compacted["actor"] == "https://x.test/u"
    assert compacted["object"]["publicKey"]["owner"] == "https://x.test/u"


def test_a_document_in_expanded_form_is_compacted() -> None:
    document = {
        "@id": "https://x.test/follows/1",
        "@type": [AS + "Follow"],
        AS + "actor": [{"@id": "https://x.test/u"}],
        AS + "object": [{"@id": "https://y.test/v"}],
        AS + "to": [{"@id": AS + "Public"}],
    }
    assert check_context(document) == "jsonld"
    assert compact(document) == {
        "@context": ACTIVITYSTREAMS,
        "id": "https://x.test/follows/1",
        "type": "Follow",
        "actor": "https://x.test/u",
        "object": "https://y.test/v",
        "to": "as:Public",
    }


@pytest.mark.parametrize(
    "definitions",
    [
        {"who": "as:actor", "id": "@type"},
        {"who": "as:actor", "actor": "https://evil.test/ns#actor"},
        {"who": "as:actor", "object": {"@id": "as:target"}},
        {"who": "as:actor", "attributedTo": "https://evil.test/by"},
        {"who": "as:actor", "to": "as:bcc"},
        {"who": "as:actor", "cc": None},
        {"who": "as:actor", "me": "@id"},
    ],
)
def test_hostile_contexts_are_refused_before_pyld(definitions: dict[str, Any]) -> None:
    document = {
        "@context": [ACTIVITYSTREAMS, definitions],
        "type": "Like",
        "who": "https://x.test/u",
        "as:object": "https://y.test/n",
    }
    with pytest.raises(ContextRefusedError, match="@context"):
        check_context(document)
    with pytest.raises(ContextRefusedError, match="@context"):
        compact(document)


def test_a_null_context_is_refused() -> None:
    with pytest.raises(ContextRefusedError, match="null"):
        compact({"@context": [ACTIVITYSTREAMS, None], "as:actor": "https://x.test/u"})


def test_the_loader_never_fetches_an_unknown_context() -> None:
    with pytest.raises(UnknownContextError):
        bundled_loader("https://unknown.test/context.jsonld")
    # pyld, given our loader, fails instead of going to the network
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(
            {"@context": "https://unknown.test/context.jsonld", "name": "x"},
            {"documentLoader": bundled_loader},
        )


def test_an_unknown_context_url_is_ignored_like_mastodon_does() -> None:
    # The URL is not fetched; the document is read with the contexts we have.
    document = {
        "@context": [ACTIVITYSTREAMS, "https://unknown.test/context.jsonld"],
        "id": "https://x.test/likes/2",
        "type": "Like",
        "as:actor": {"@id": "https://x.test/u"},
        "object": "https://y.test/n",
        "unknownTerm": "kept",
    }
    compacted = compact(document)
    assert compacted["actor"] == "https://x.test/u"
    assert compacted["object"] == "https://y.test/n"
    # ActivityStreams' `"@vocab": "_:"` keeps undefined terms, meaning nothing, as they were
    assert compacted["unknownTerm"] == "kept"


def test_the_usual_documents_take_the_fast_path() -> None:
    mastodon_like = {
        "@context": [
            ACTIVITYSTREAMS,
            SECURITY_V1,
            {"toot": "http://joinmastodon.org/ns#", "sensitive": "as:sensitive"},
        ],
        "id": "https://x.test/notes/1",
        "type": "Note",
        "diaspora:guid": "abc",
    }
    assert check_context(mastodon_like) == "compact"


def test_a_document_pyld_cannot_process_is_refused() -> None:
    with pytest.raises(ContextRefusedError, match="not valid JSON-LD"):
        compact({"@id": 5, "@type": AS + "Note"})


def test_several_top_level_objects_are_refused() -> None:
    with pytest.raises(ContextRefusedError, match="several objects"):
        compact({"@graph": [{"@id": f"https://x.test/{n}", "@type": AS + "Note"} for n in "ab"]})
