"""TokenTable: a doc's token attributes as lists, the same values the Token objects give."""

from __future__ import annotations

import pytest

from oped_extract.nlp.pipeline import load_pipeline
from oped_extract.nlp.token_table import TokenTable
from oped_extract.settings import PROFILES

TEXT = ("“It is ‘unacceptable’,” Mr. Khan said on Tuesday, 12 May 2024.\n\nThe girls’ schools — 3,000 of them — "
        "remain shut; Kabul's rulers don't care. ¿Qué? 42%")


@pytest.mark.parametrize("profile", PROFILES)
def test_table_matches_the_tokens(profile):
    doc = load_pipeline(profile=profile)(TEXT)
    t = TokenTable(doc)
    assert t.n == len(doc)
    for tok in doc:
        i = tok.i
        assert (t.text[i], t.lower[i], t.lemma[i], t.lemma_lower[i], t.pos[i], t.tag[i], t.shape[i]) == (
            tok.text, tok.lower_, tok.lemma_, tok.lemma_.lower(), tok.pos_, tok.tag_, tok.shape_)
        assert (t.punct[i], t.space[i], t.quote[i], t.alpha[i], t.like_num[i], t.spaced[i]) == (
            tok.is_punct, tok.is_space, tok.is_quote, tok.is_alpha, tok.like_num, bool(tok.whitespace_))


def test_empty_doc():
    doc = load_pipeline(profile="fast")("")
    t = TokenTable(doc)
    assert t.n == 0 and t.text == [] and t.spaced == []
