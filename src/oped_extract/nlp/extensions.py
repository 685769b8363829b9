"""Custom spaCy attributes our components set, registered once (Span._.entity_id, Span._.stance, …)."""

from __future__ import annotations

from spacy.tokens import Span

ENTITY_ATTRS = ("entity_id", "canonical_name", "kb_id", "ent_source", "latitude", "longitude", "country_code")
SENTENCE_ATTRS = ("stance",)


def register_extensions() -> None:
    """Idempotent: span attributes live in doc.user_data keyed by offsets, so they survive re-slicing."""
    for name in ENTITY_ATTRS + SENTENCE_ATTRS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


register_extensions()
