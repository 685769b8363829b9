"""Stance scoring: the per-slice gold report, holder matching, the evaluate command's JSON, the CheckThat! reader and
mapping, and a floor on dev_test_en.tsv."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oped_extract.cli import app
from oped_extract.errors import ConfigError
from oped_extract.evaluation.checkthat import format_checkthat_report, read_checkthat, score_checkthat
from oped_extract.evaluation.gold import load_gold
from oped_extract.evaluation.stance import EVERY_SENTENCE, VADER, format_stance_report, holder_matches, score_stance
from oped_extract.nlp.pipeline import load_pipeline

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CHECKTHAT_DIR = SHARED / "checkthat2025_task1_en"
DEVSET = SHARED / "devset"
GOLD_DIR = Path(__file__).resolve().parents[1] / "data" / "gold"
runner = CliRunner()


def test_gold_report_has_ours_and_both_baselines(nlp, gold_articles):
    report = score_stance(nlp, gold_articles)
    assert report["n_sentences"] == len(gold_articles[0].sentences) == report["n_exact_boundaries"]
    assert list(report["slices"]) == ["sample"]  # one slice: no separate overall group
    group = report["slices"]["sample"]
    every = group["baselines"][EVERY_SENTENCE]
    assert every["pos"]["recall"] == 1.0 and every["neg"]["recall"] == 0.0
    assert every["macro_f1"] == pytest.approx(0.46, abs=0.01)  # the figure quoted in the issue
    ours = group["ours"]
    assert ours["n_attribution"] == 2 and sum(sum(row.values()) for row in ours["confusion"].values()) == 36
    assert sum(b["n"] for b in ours["reliability"]) == report["n_sentences"]
    assert 0.0 <= ours["brier"] < 0.25  # better than a constant 0.5
    assert report["model_version"] == nlp.get_pipe("oped_stance").model_version
    text = format_stance_report(report)
    for part in ("oped_stance", "VADER", EVERY_SENTENCE, "type confusion", "reliability", "holders 1.000"):
        assert part in text


@pytest.mark.parametrize("predicted, gold, loose, exact", [
    ("Taliban spokesman", "Taliban spokesman", True, True),
    ("the Foreign Office", "Foreign Office", True, True),
    ("Tehrik-i-Taliban Pakistan", "Tehrik-i-Taliban Pakistan, or TTP", True, True),
    ("Taliban spokesman Zabihullah Mujahid", "Zabihullah Mujahid", True, False),
    ("Pakistan", "Pakistani leaders", False, False),
    ("author", "author", False, False),
    (None, "Islamabad", False, False),
])
def test_holder_matching(predicted, gold, loose, exact):
    assert holder_matches(predicted, gold) is loose
    assert holder_matches(predicted, gold, exact=True) is exact


def test_corpus_report_is_per_slice_and_overall(nlp):
    if not (DEVSET / "devset.jsonl").is_file():
        pytest.skip(reason=f"the annotated corpus is not at {DEVSET}")
    articles = load_gold(DEVSET)
    report = score_stance(nlp, articles)
    assert list(report["slices"]) == ["pakistan-opinion", "region-commentary", "region-news", "general", "all"]
    assert [g["n_articles"] for g in report["slices"].values()] == [10, 10, 10, 10, 40]
    overall = report["slices"]["all"]
    assert overall["ours"]["n"] == 446 and overall["ours"]["n_attribution"] == 147
    # In-sample (the shipped weights were fitted on these articles): well above both baselines.
    assert overall["ours"]["macro_f1"] > overall["baselines"][EVERY_SENTENCE]["macro_f1"] + 0.3


def test_evaluate_command_writes_every_figure_as_json(tmp_path):
    out = tmp_path / "scores.json"
    result = runner.invoke(app, ["evaluate", "--gold", str(GOLD_DIR), "--json", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "stance sentences" in result.output and "entities" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    stance = data["stance"]["slices"]["sample"]
    assert stance["ours"]["pos"]["f1"] > 0.9 and set(stance["baselines"]) == {EVERY_SENTENCE, VADER}
    entities = data["entities"]["sample"]
    assert entities["ours"]["overall"]["f1"] > entities["plain model"]["overall"]["f1"]
    assert "GPE" in entities["ours"]["per_label"]


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


@pytest.mark.parametrize("profile, floor", [("default", 0.69), ("fast", 0.665)])
def test_dev_test_floor(profile, floor):
    """Measured: default 0.709, fast 0.689; always OBJ 0.428, VADER 0.434."""
    tsv = CHECKTHAT_DIR / "dev_test_en.tsv"
    if not tsv.exists():
        pytest.skip(reason=f"CheckThat! data not found at {tsv} (the ../shared folder is not beside this checkout)")
    report = score_checkthat(load_pipeline(profile=profile), tsv)
    assert report["n"] == 484
    assert report["ours"]["macro_f1"] >= floor
    assert report["ours"]["macro_f1"] > max(b["macro_f1"] for b in report["baselines"].values()) + 0.2
