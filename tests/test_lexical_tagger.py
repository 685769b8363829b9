"""The fast profile's lexical tagger: what it assigns, and how close it stays to the model's tagger."""

from __future__ import annotations

import pytest
import spacy

from oped_extract.evaluation import entities as entity_eval
from oped_extract.nlp.pipeline import load_model, load_pipeline


@pytest.fixture(scope="module")
def fast():
    return load_pipeline(profile="fast")


def _tokens(nlp, text: str) -> dict[str, tuple[str, str, str]]:
    return {t.text: (t.tag_, t.pos_, t.lemma_) for t in nlp(text)}


def test_fast_profile_runs_ner_without_the_tagger_stack(fast):
    assert not {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"} & set(fast.pipe_names)
    names = fast.pipe_names
    # NER first; our tags before the sentence rules and the entity trimming that consult them.
    assert names.index("ner") < names.index("oped_lexical_tags") < names.index("sentencizer") \
        < names.index("oped_entities") < names.index("oped_stance")


def test_verbs_modals_and_names(fast):
    toks = _tokens(fast, "Pakistan launched strikes on Kabul, and officials said they will respond.")
    assert toks["launched"] == ("VBD", "VERB", "launch")
    assert toks["said"] == ("VBD", "VERB", "say")
    assert toks["will"][:2] == ("MD", "AUX")
    assert toks["respond"][:2] == ("VB", "VERB")
    assert toks["Kabul"][1] == "PROPN"
    assert toks["strikes"][:2] == ("NNS", "NOUN") and toks["strikes"][2] == "strike"


@pytest.mark.parametrize("text, word, expected", [
    ("The strikes were calibrated to avoid civilians.", "calibrated", ("VBN", "VERB")),
    ("It is clear that the talks failed.", "clear", ("JJ", "ADJ")),
    ("They felt free to leave.", "free", ("JJ", "ADJ")),
    ("This is the most dangerous moment.", "most", ("RBS", "ADV")),
    ("It was the biggest attack in years.", "biggest", ("JJS", "ADJ")),
    ("The US and its allies objected.", "US", ("NNP", "PROPN")),
    ("We must act now.", "We", ("PRP", "PRON")),
    ("Afghan officials denied it.", "Afghan", ("JJ", "ADJ")),
    ("The army has repeatedly warned of reprisals.", "warned", ("VBN", "VERB")),
    ("Central banks are raising interest rates.", "raising", ("VBG", "VERB")),  # a progressive with its object
    ("Central banks are raising interest rates.", "interest", ("JJ", "ADJ")),  # not a superlative ("-est")
    ("The customer left.", "customer", ("NN", "NOUN")),
    ("Jamaat-i-Islami protested.", "i", ("NNP", "PROPN")),  # a name's link, not the pronoun
    # A verb with its object or clause where a clause may begin; a noun where a finite verb could not agree.
    ("The minister, however, merely notes that the talks failed.", "notes", ("VBZ", "VERB")),
    ("The report, he argues, tells us little.", "tells", ("VBZ", "VERB")),
    ("It was the immigration debate of the decade.", "debate", ("NN", "NOUN")),
    ("The envoys adopt and champion the plan.", "champion", ("VBP", "VERB")),
    ("Pakistan launched strikes on Kabul.", "strikes", ("NNS", "NOUN")),  # after a verb: its object
    ("Four years on, everything is not OK.", "OK", ("JJ", "ADJ")),  # capitals after a copula: an adjective
    ("The IMF is not NATO.", "NATO", ("NNP", "PROPN")),
])
def test_context_rules(fast, text, word, expected):
    assert _tokens(fast, text)[word][:2] == expected


@pytest.mark.parametrize("word, lemma", [("leaders", "leader"), ("years", "year"), ("officials", "official")])
def test_a_plural_the_word_lists_also_hold_as_a_base_is_a_plural(fast, word, lemma):
    """The lemma index lists some plurals as words of their own; the plural reading comes first."""
    assert _tokens(fast, f"Some {word} met.")[word] == ("NNS", "NOUN", lemma)


def test_close_to_the_models_tagger_on_the_gold_op_ed(gold_articles):
    """Coarse POS and lemmas against en_core_web_sm's tagger + attribute ruler + lemmatizer (measured 0.915 and
    0.971 on the gold op-ed's 760 words; 0.911 and 0.959 before plurals and verbs with their objects)."""
    text = gold_articles[0].body
    pairs = [(a, b) for a, b in zip(load_model(None, "default")(text), load_model(None, "fast")(text), strict=False)
             if not a.is_space]
    assert len(pairs) > 700
    assert sum(a.pos_ == b.pos_ for a, b in pairs) / len(pairs) >= 0.89
    assert sum(a.lemma_.lower() == b.lemma_.lower() for a, b in pairs) / len(pairs) >= 0.96


def test_entities_are_the_default_profiles(fast, gold_articles):
    """The model's NER does not use the tagger: the fast profile finds the same 23 gold mentions."""
    assert entity_eval.score_entities(fast, gold_articles)["overall"].f1 == 1.0


def test_without_lemmatizer_tables_it_warns_and_tags_by_suffix():
    nlp = spacy.blank("en")
    nlp.add_pipe("oped_lexical_tags")
    with pytest.warns(UserWarning, match="no lemmatizer tables"):  # once, on first use
        doc = nlp("They quickly rejected the dangerous proposals.")
    assert [t.pos_ for t in doc][:4] == ["PRON", "ADV", "VERB", "DET"]
    assert doc[5].tag_ == "NNS"
    assert [t.tag_ for t in nlp("the settlement")] == ["DT", "NN"]  # "-ment" is a noun, not an "-ent" adjective
