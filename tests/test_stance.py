"""The oped_stance component: floors on the gold op-ed and on our own sentences, holders, cues, configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy

from oped_extract.errors import ConfigError
from oped_extract.evaluation.stance import score_stance
from oped_extract.nlp.pipeline import load_pipeline
from oped_extract.nlp.stance import STANCE_TYPES, Stance, load_stance_cues
from oped_extract.settings import PROFILES

OWN_SENTENCES = Path(__file__).parent / "data" / "stance_sentences.jsonl"


def _only_stance(doc):
    (sent,) = doc.sents  # each of these texts is exactly one sentence
    return sent._.stance


def _own_sentences() -> list[dict]:
    return [json.loads(line) for line in OWN_SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("profile", PROFILES)
def test_gold_op_ed_floor(gold_articles, profile):
    report = score_stance(load_pipeline(profile=profile), gold_articles)
    ours = report["ours"]
    assert ours["pos"]["f1"] >= 0.90
    assert ours["neg"]["recall"] >= 0.5
    assert ours["macro_f1"] >= 0.75
    assert report["type_accuracy"] >= 0.7
    assert report["attribution_holders_correct"] == report["attribution_holders_total"] == 2
    # and well clear of the naive baselines printed beside it
    for baseline in report["baselines"].values():
        assert ours["macro_f1"] > baseline["macro_f1"] + 0.2


@pytest.mark.parametrize("profile", PROFILES)
def test_own_sentences_floor(profile):
    rows = _own_sentences()
    assert len(rows) >= 40
    assert {r["stance_type"] for r in rows} == set(STANCE_TYPES) | {None}
    docs = list(load_pipeline(profile=profile).pipe(r["text"] for r in rows))
    stances = [_only_stance(doc) for doc in docs]
    correct = sum(s.is_stance == r["is_stance"] for s, r in zip(stances, rows, strict=False))
    typed = sum(s.stance_type == r["stance_type"] for s, r in zip(stances, rows, strict=False))
    holders = [(s.holder, r["holder"]) for s, r in zip(stances, rows, strict=True)
               if r["stance_type"] == "attribution"]
    assert correct / len(rows) >= 0.92
    assert typed / len(rows) >= 0.85
    assert sum(h == g for h, g in holders) >= len(holders) - 1, holders


def test_every_sentence_gets_a_consistent_stance(nlp, sample_article):
    doc = nlp(sample_article.body_text)
    for sent in doc.sents:
        st = sent._.stance
        assert isinstance(st, Stance)
        assert 0.0 <= st.score <= 1.0
        if st.stance_type == "attribution":
            assert st.is_stance and st.holder not in (None, "author")
        else:
            assert st.is_stance == (st.score >= 0.5)
        if st.is_stance:
            assert st.cues, sent.text  # the words behind every decision are shown
            assert st.stance_type in STANCE_TYPES
        else:
            assert st.stance_type is None and st.holder is None


def test_attribution_holder_is_linked_to_its_entity(nlp):
    doc = nlp("Over the past year, Islamabad has repeatedly stated that the TTP regroups in Afghanistan.")
    st = _only_stance(doc)
    assert (st.stance_type, st.holder) == ("attribution", "Islamabad")
    islamabad = next(e for e in doc.ents if e.text == "Islamabad")
    assert st.holder_entity_id == islamabad._.entity_id
    assert st.holder_entity_id not in st.target_entity_ids
    others = [e._.entity_id for e in doc.ents if e.text != "Islamabad"]
    assert st.target_entity_ids == list(dict.fromkeys(others))
    assert "stated" in st.cues


@pytest.mark.parametrize("text", ["I think the government is wrong.", "We must not repeat this mistake."])
def test_first_person_is_the_author_not_an_attribution(nlp, text):
    st = _only_stance(nlp(text))
    assert st.is_stance and st.holder == "author" and st.stance_type != "attribution"


def test_quoted_opinion_is_the_speakers_not_the_authors(nlp):
    st = _only_stance(nlp('"This is a shameful and reckless decision," the opposition leader said.'))
    assert st.stance_type == "attribution" and st.holder == "opposition leader"
    assert "shameful" not in st.cues


def test_factual_paragraphs_stay_non_stance(nlp):
    text = ("The talks were held in Doha on Tuesday.\nThe delegation travelled to Kabul by road.\n"
            "Police arrested four suspects in Quetta on Sunday night.")
    assert not any(s._.stance.is_stance for s in nlp(text).sents)


def test_cue_lexicon_is_a_factory_argument(tmp_path):
    cues = tmp_path / "cues.json"
    cues.write_text(json.dumps({"bias": -1.0, "categories": {
        "house_words": {"type": "evaluation", "weight": 3.0, "cap": 1, "words": ["splendid"]}}}))
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("oped_stance", config={"cues_path": str(cues)})
    first, second = nlp("The plan is splendid. The plan was published.").sents
    assert first._.stance.is_stance and first._.stance.cues == ["splendid"]
    assert not second._.stance.is_stance


def test_bad_cue_file_fails_fast(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_stance_cues(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"bias": -1, "categories": {"x": {"weight": 1, "detector": "telepathy"}}}')
    with pytest.raises(ConfigError, match="unknown detector"):
        load_stance_cues(broken)
