"""The attribute ruler's tables without its Matcher: the default profile must tag exactly as the model does."""

from __future__ import annotations

import spacy

from oped_extract.nlp.pipeline import load_model, resolve_model


def test_default_profile_assigns_what_the_attribute_ruler_would(gold_articles):
    text = gold_articles[0].body + "\nThere are risks. I ain't sure we're gonna win, but they'd said so."
    plain = spacy.load(resolve_model())(text)
    ours_nlp = load_model(None, "default")
    assert "attribute_ruler" not in ours_nlp.pipe_names and "oped_pos_from_tags" in ours_nlp.pipe_names
    ours = ours_nlp(text)
    assert len(plain) == len(ours) > 700
    differing = [(a.text, a.pos_, b.pos_, a.lemma_, b.lemma_, str(a.morph), str(b.morph))
                 for a, b in zip(plain, ours, strict=True)
                 if (a.pos_, a.lemma_, str(a.morph)) != (b.pos_, b.lemma_, str(b.morph))]
    assert differing == []


def test_copula_auxiliary_and_marker(nlp):
    doc = nlp("There are risks that Kabul is ignoring, and the talks were not held.")
    by_text = {t.text: t for t in doc}
    assert by_text["are"].pos_ == "VERB"  # "there are": the ruler's two-token pattern
    assert (by_text["is"].pos_, by_text["is"].lemma_) == ("AUX", "be")
    assert (by_text["were"].pos_, by_text["were"].lemma_) == ("AUX", "be")
    assert by_text["not"].pos_ == "PART"
