"""Coarse POS from fine-grained tags: the `oped_pos_from_tags` component of the fast profile."""

from __future__ import annotations

import numpy
from spacy.attrs import POS, TAG
from spacy.language import Language
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc


def tag_map_of(attribute_ruler) -> dict[str, str]:
    """TAG -> POS as the model's own attribute ruler maps them (its single-token, TAG-only patterns)."""
    mapping: dict[str, str] = {}
    for entry in attribute_ruler.patterns:
        pattern = entry["patterns"][0]
        if len(pattern) == 1 and set(pattern[0]) == {"TAG"} and "POS" in entry["attrs"]:
            mapping[pattern[0]["TAG"]] = entry["attrs"]["POS"]
    return mapping


@Language.factory("oped_pos_from_tags", default_config={"tag_map": {}})
def make_pos_from_tags(nlp: Language, name: str, tag_map: dict[str, str]) -> PosFromTags:
    return PosFromTags(nlp, tag_map)


class PosFromTags:
    """The attribute ruler's TAG->POS table without its exception matcher: about a tenth of its cost, and the
    stance cues only need the coarse POS (measured: identical gold scores)."""

    def __init__(self, nlp: Language, tag_map: dict[str, str]) -> None:
        strings = nlp.vocab.strings
        self.pos_of_tag = {strings.add(tag): POS_IDS[pos] for tag, pos in tag_map.items()}

    def __call__(self, doc: Doc) -> Doc:
        if len(doc):
            tags = doc.to_array([TAG])
            pos = numpy.fromiter((self.pos_of_tag.get(int(t), 0) for t in tags), dtype="uint64", count=len(tags))
            doc.from_array([POS], pos.reshape(-1, 1))
        return doc
