"""Stance scoring: the gold report, the CheckThat! reader and mapping, and a floor on dev_test_en.tsv."""

from __future__ import annotations

from pathlib import Path

import pytest

from oped_extract.errors import ConfigError
from oped_extract.evaluation.checkthat import format_checkthat_report, read_checkthat, score_checkthat
from oped_extract.evaluation.stance import format_stance_report, score_stance
from oped_extract.nlp.pipeline import load_pipeline

CHECKTHAT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "checkthat2025_task1_en"


def test_gold_report_has_ours_and_both_baselines(nlp, gold_articles):
    report = score_stance(nlp, gold_articles)
    assert report["n_sentences"] == len(gold_articles[0].sentences) == report["n_exact_boundaries"]
    every = report["baselines"]["every sentence is stance"]
    assert every["pos"]["recall"] == 1.0 and every["neg"]["recall"] == 0.0
    assert every["macro_f1"] == pytest.approx(0.46, abs=0.01)  # the figure quoted in the issue
    text = format_stance_report(report)
    assert "oped_stance" in text and "VADER" in text and "attribution holders correct: 2/2" in text


def _write_tsv(path: Path, header: list[str], rows: list[dict]) -> Path:
    lines = ["\t".join(header)] + ["\t".join(r[h] for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ROWS = [
    {"sentence_id": "a", "sentence": "The talks were held in Doha on Tuesday.", "label": "OBJ"},
    {"sentence_id": "b", "sentence": "This is a reckless, shameful policy.", "label": "SUBJ"},
    {"sentence_id": "c", "sentence": 'The minister said "we will not negotiate" and left.', "label": "OBJ"},
    {"sentence_id": "d", "sentence": "He called it a \"sham.", "label": "SUBJ"},  # unbalanced quote: QUOTE_NONE
]


@pytest.mark.parametrize("header", [["sentence_id", "sentence", "label"], ["sentence", "label", "sentence_id"]])
def test_reader_handles_both_column_orders_and_raw_quotes(tmp_path, header):
    records = read_checkthat(_write_tsv(tmp_path / "x.tsv", header, ROWS))
    assert [r[0] for r in records] == ["a", "b", "c", "d"]
    assert records[3][1] == 'He called it a "sham.'
    assert [r[2] for r in records] == [False, True, False, True]


def test_reader_rejects_a_file_that_is_not_checkthat(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\ttext\n1\thello\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'sentence' and 'label'"):
        read_checkthat(bad)
    with pytest.raises(ConfigError, match="not found"):
        read_checkthat(tmp_path / "nope.tsv")


def test_checkthat_mapping_on_own_sentences(nlp, tmp_path):
    report = score_checkthat(nlp, _write_tsv(tmp_path / "x.tsv", ["sentence_id", "sentence", "label"], ROWS))
    by_id = {r["sentence_id"]: r for r in report["sentences"]}
    assert not by_id["a"]["subj"]  # plain news
    assert by_id["b"]["subj"]  # the author's judgement
    assert not by_id["c"]["subj"]  # a reported position is objective in the task's guidelines
    assert report["baselines"]["always OBJ"]["pos"]["recall"] == 0.0
    assert "macro-F1" in format_checkthat_report(report)


@pytest.mark.parametrize("profile, floor", [("default", 0.69), ("fast", 0.65)])
def test_dev_test_floor(profile, floor):
    """Measured: default 0.714, fast 0.672; always OBJ 0.428, VADER 0.434."""
    tsv = CHECKTHAT_DIR / "dev_test_en.tsv"
    if not tsv.exists():
        pytest.skip(reason=f"CheckThat! data not found at {tsv} (the ../shared folder is not beside this checkout)")
    report = score_checkthat(load_pipeline(profile=profile), tsv)
    assert report["n"] == 484
    assert report["ours"]["macro_f1"] >= floor
    assert report["ours"]["macro_f1"] > max(b["macro_f1"] for b in report["baselines"].values()) + 0.2
