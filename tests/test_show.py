"""`oped-extract show`: readable at 80 columns (wrapped, never cut), entities grouped with counts, --json."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from oped_extract.cli import app

from .conftest import SAMPLE_TXT

runner = CliRunner()


@pytest.fixture(scope="module")
def text80() -> str:
    result = runner.invoke(app, ["show", str(SAMPLE_TXT)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def view() -> dict:
    result = runner.invoke(app, ["show", str(SAMPLE_TXT), "--json", "--all"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1  # one JSON object per article
    return json.loads(lines[0])


def _words(text: str) -> list[str]:
    return text.split()


def test_text_fits_80_columns_and_nothing_is_cut(text80, view, sample_article):
    lines = text80.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text80
    assert len(lines) < 200  # was 467 lines with one row per mention
    # Every stance sentence appears whole: its words in order, wherever the lines break.
    flat = _words(text80)
    joined = " ".join(flat)
    for s in view["sentences"]:
        if s["is_stance"]:
            assert " ".join(_words(s["text"])) in joined, s["text"]
    assert sample_article.author_bio.split()[-1] in joined and "@umarwrites" in joined


def test_entities_are_grouped_with_counts(text80, view, sample_article, nlp):
    doc = nlp(sample_article.body_text)
    counts = Counter(ent._.entity_id for ent in doc.ents)
    groups = {g["entity_id"]: g for g in view["entities"]}
    assert {k: g["count"] for k, g in groups.items()} == dict(counts)
    assert [g["count"] for g in view["entities"]] == sorted(counts.values(), reverse=True)
    # One line per entity in the text, with its count: "Pakistan" once, not once per mention.
    pakistan = [line for line in text80.splitlines() if "· gpe:pakistan" in line]
    assert len(pakistan) == 1 and f"{counts['gpe:pakistan']}× Pakistan" in pakistan[0]
    ttp = groups["org:tehrik-i-taliban-pakistan"]
    assert "as TTP" in text80 and [m["text"] for m in ttp["mentions"]] == ["TTP"]
    assert f"Entities: {len(doc.ents)} mentions of {len(counts)} entities" in text80


def test_json_holds_what_the_store_would(view, sample_article):
    a = view["article"]
    assert (a["article_id"], a["published_date"], a["author_handle"]) == (
        sample_article.article_id, "2026-02-27", "@umarwrites")
    assert a["n_sentences"] == len(view["sentences"])  # --all: every sentence
    assert a["n_stance_sentences"] == sum(s["is_stance"] for s in view["sentences"])
    body = sample_article.body_text
    for s in view["sentences"]:
        assert body[s["start_char"]:s["end_char"]] == s["text"]
    for g in view["entities"]:
        for m in g["mentions"]:
            assert body[m["start_char"]:m["end_char"]] == m["text"]
    isl = next(g for g in view["entities"] if g["entity_id"] == "gpe:islamabad")
    assert isl["latitude"] == pytest.approx(33.72, abs=0.01) and isl["country_code"] == "PK"


def test_narrow_terminal_and_long_words_still_lose_nothing(tmp_path):
    url = "https://example.org/" + "a" * 120
    article = tmp_path / "a.txt"
    article.write_text(f"March 3, 2026\nOfficials in Islamabad must read {url} today. Kabul should respond.\n",
                       encoding="utf-8")
    result = runner.invoke(app, ["show", str(article), "--all"], env={"COLUMNS": "50"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 50
    assert url in "".join(line.strip() for line in lines)  # broken across lines, every character kept
