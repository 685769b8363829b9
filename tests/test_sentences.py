"""Sentence boundaries for op-ed prose (oped_sentence_bounds before the parser or senter)."""

from __future__ import annotations

import pytest

from oped_extract.nlp.pipeline import load_pipeline
from oped_extract.nlp.sentences import trim_whitespace
from oped_extract.settings import PROFILES


def _sentences(text: str, profile: str) -> list[str]:
    doc = load_pipeline(profile=profile)(text)
    return [trim_whitespace(s).text for s in doc.sents if trim_whitespace(s).text]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(("text", "expected"), [
    # titles and initialisms do not end sentences
    ("The U.S. Army said on Tuesday that Gen. Asim Munir met Dr. Ali in Washington. He left at 5 p.m. on Friday.",
     ["The U.S. Army said on Tuesday that Gen. Asim Munir met Dr. Ali in Washington.",
      "He left at 5 p.m. on Friday."]),
    ("Mr. Khan and Mrs. Bhutto arrived with Sen. Smith, Prof. Iqbal and Lt. Col. Ahmed at St. Mary's.",
     ["Mr. Khan and Mrs. Bhutto arrived with Sen. Smith, Prof. Iqbal and Lt. Col. Ahmed at St. Mary's."]),
    ("The U.N. Security Council met at 10 a.m. Officials did not comment.",
     ["The U.N. Security Council met at 10 a.m.", "Officials did not comment."]),
    # semicolons and colons join clauses of one sentence
    ("The Durand Line has long been more than a demarcation; it is a corridor. Trade follows it.",
     ["The Durand Line has long been more than a demarcation; it is a corridor.", "Trade follows it."]),
    ("The lesson is plain: deterrence without diplomacy fails; diplomacy without deterrence stalls.",
     ["The lesson is plain: deterrence without diplomacy fails; diplomacy without deterrence stalls."]),
    # quotes: the closing mark stays with its sentence, a reporting clause after ?/! continues the sentence
    ('Critics call it "a disaster." They are wrong.', ['Critics call it "a disaster."', "They are wrong."]),
    ("“Why now?” he asked. Nobody answered.", ["“Why now?” he asked.", "Nobody answered."]),
    ('"We will not back down," the minister said. "Never."',
     ['"We will not back down," the minister said.', '"Never."']),
    # a newline is a paragraph break even without end punctuation (headings, bullet-like lines)
    ("Border diplomacy\nThe talks resumed on Monday.", ["Border diplomacy", "The talks resumed on Monday."]),
])
def test_op_ed_sentence_boundaries(text, expected, profile):
    assert _sentences(text, profile) == expected


@pytest.mark.parametrize("profile", PROFILES)
def test_sample_boundaries_match_gold_exactly(gold_articles, profile):
    article = gold_articles[0]
    doc = load_pipeline(profile=profile)(article.body)
    predicted = [(t.start_char, t.end_char) for t in map(trim_whitespace, doc.sents)]
    assert predicted == [(s.start, s.end) for s in article.sentences]


def test_paragraph_newline_stays_out_of_the_next_sentence():
    doc = load_pipeline()("First paragraph ends here.\n\nSecond one starts here.")
    sents = list(doc.sents)
    assert len(sents) == 2
    assert sents[1].text == "Second one starts here."
    assert trim_whitespace(sents[0]).text == "First paragraph ends here."


def test_bounds_after_the_parse_are_refused(nlp):
    """The component presets boundaries for the parser; on a parsed doc it would overwrite the parse's, so it
    refuses as Token.is_sent_start does."""
    from oped_extract.nlp.sentences import SentenceBounds

    doc = nlp("The border is closed. Trade suffers.")
    with pytest.raises(ValueError, match="E043"):
        SentenceBounds()(doc)


def test_bounds_keep_what_they_do_not_decide():
    """Only the tokens a rule speaks for change; a preset boundary elsewhere stays, and tiny docs pass."""
    import spacy

    from oped_extract.nlp.sentences import SentenceBounds

    nlp = spacy.blank("en")
    doc = nlp("He came. she left\n\nNext part")
    doc[4].is_sent_start = True  # "left": a word after a word, no rule applies
    SentenceBounds()(doc)
    assert [t.is_sent_start for t in doc] == [True, None, False, None, True, False, True, None]
    assert SentenceBounds()(nlp("Hi")).text == "Hi"
    assert len(SentenceBounds()(nlp(""))) == 0
