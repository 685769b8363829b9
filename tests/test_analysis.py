"""The notebook API (oped_extract.connect / load) and the recipes of docs/analysis.md, run against a real store."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import oped_extract
from oped_extract.errors import ConfigError
from oped_extract.ingest.readers import ingest
from oped_extract.ingest.records import Article, make_article_id
from oped_extract.store.schema import COLUMNS, TABLES

from .conftest import ROOT, SAMPLES, write_store

DOC = ROOT / "docs" / "analysis.md"
VALUE_LABELS = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"}
TTP = "org:tehrik-i-taliban-pakistan"
EXTRA = [
    Article(make_article_id("extra/jan"), "extra/jan.json",
            "The TTP must be confronted, Islamabad said. Kabul should act against the TTP. Pakistan and Afghanistan "
            "will meet again in Doha.", publisher="Dawn", published_date=dt.date(2026, 1, 12)),
    Article(make_article_id("extra/mar"), "extra/mar.json",
            "Officials in Peshawar said the crossing at Torkham was closed. The Pakistani Taliban claimed the attack.",
            publisher="Pajhwok", published_date=dt.date(2026, 3, 2)),
]


@pytest.fixture(scope="module")
def store(nlp, tmp_path_factory) -> Path:
    """data/samples (three copies of one op-ed) and two more articles in other months, at <tmp>/data/parquet."""
    root = tmp_path_factory.mktemp("analysis") / "data" / "parquet"
    return write_store(root, nlp, list(ingest([str(SAMPLES)])) + EXTRA, "run-a",
                       dt.datetime(2026, 3, 5, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def frames(store) -> dict[str, pd.DataFrame]:
    out = {t: pd.read_parquet(store / t) for t in ("articles", "entities", "sentences")}
    for t in ("entities", "sentences"):
        out[t] = out[t].astype({"published_month": str})
    return out


@pytest.fixture(scope="module")
def recipes(store) -> dict:
    """Every python block of docs/analysis.md, run in order in one namespace from the store's parent folder."""
    import os

    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 8
    namespace: dict = {}
    cwd = Path.cwd()
    os.chdir(store.parent.parent)
    try:
        for block in blocks:
            assert len(block.strip().splitlines()) <= 10, block  # a few lines each
            exec(block, namespace)  # noqa: S102 - running the documented recipes is the point
    finally:
        os.chdir(cwd)
    return namespace


def test_top_entities_per_month(recipes, frames):
    ents = frames["entities"]
    named = ents[~ents["label"].isin(VALUE_LABELS)]
    counts = named.groupby(["published_month", "canonical_name"]).size().rename("mentions").reset_index()
    counts = counts.sort_values(["published_month", "mentions", "canonical_name"], ascending=[True, False, True])
    expected = counts.groupby("published_month").head(5).reset_index(drop=True)
    got = recipes["top_per_month"]
    assert set(got["published_month"]) == {"2026-01", "2026-02", "2026-03"}
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    # The samples' month: three copies of one op-ed, so Pakistan leads with three times its mentions in one.
    feb = got[got["published_month"] == "2026-02"].iloc[0]
    assert feb["canonical_name"] == "Pakistan" and feb["mentions"] % 3 == 0


def test_stance_sentences_by_holder(recipes, frames):
    sents = frames["sentences"]
    stance = sents[sents["is_stance"]]
    got = recipes["by_holder"].set_index("holder")
    assert got["sentences"].to_dict() == stance.groupby("holder").size().to_dict()
    assert got["articles"].to_dict() == stance.groupby("holder")["article_id"].nunique().to_dict()
    assert "author" in got.index and "Islamabad" in got.index


def test_ttp_sentences_by_stance_type(recipes, frames):
    ents, sents = frames["entities"], frames["sentences"]
    keys = ents[ents["entity_id"] == TTP][["article_id", "sentence_index"]].drop_duplicates()
    rows = keys.merge(sents, on=["article_id", "sentence_index"])
    expected = rows["stance_type"].where(rows["is_stance"] | rows["stance_type"].notna()).fillna("no stance")
    got = recipes["ttp_by_type"].set_index("stance_type")["n"].to_dict()
    assert got == expected.value_counts().to_dict()
    assert sum(got.values()) >= 4  # the sample's and both extra articles' TTP sentences


def test_places_on_a_map(recipes, frames):
    ents = frames["entities"]
    placed = ents.dropna(subset=["latitude"])
    got = recipes["places"].set_index("canonical_name")
    assert got["mentions"].to_dict() == placed.groupby("canonical_name").size().to_dict()
    assert got.loc["Islamabad", "lat"] == pytest.approx(placed[placed["text"] == "Islamabad"]["latitude"].iloc[0])
    ax = recipes["ax"]
    outlines = ax.collections[0]
    assert len(outlines.get_paths()) > 150  # the world's countries (and their islands)
    assert len(ax.collections[1].get_offsets()) == len(got)


def test_distinct_texts_and_polars(recipes, frames):
    arts = frames["articles"]
    distinct = recipes["distinct"]
    assert len(arts) == 5 and len(distinct) == arts["content_sha256"].nunique() == 3
    per_label = recipes["per_label"]
    assert dict(per_label.iter_rows()) == frames["entities"]["label"].value_counts().to_dict()
    assert type(recipes["entities"]).__module__.startswith("pandas")


def test_column_meanings_travel_in_the_files(recipes, store):
    import pyarrow.parquet as pq

    meaning = {c.name: c.meaning for c in COLUMNS["sentences"]}
    field = recipes["ds"].dataset(store / "sentences").schema.field("stance_type")  # as the doc reads it
    assert field.metadata[b"description"].decode() == meaning["stance_type"]
    for table in TABLES:
        files = sorted((store / table).rglob("*.parquet"))
        if table != "failures":
            assert files, table
        for path in files:
            schema = pq.read_schema(path)
            for column in COLUMNS[table]:
                meta = schema.field(column.name).metadata
                assert meta[b"description"].decode() == column.meaning, (path, column.name)
                assert meta[b"example"].decode() == column.example


def test_views_and_frames(store, frames):
    con = oped_extract.connect(store)
    assert {r[0] for r in con.sql("show tables").fetchall()} == {*TABLES, "sentence_entities"}
    assert con.sql("select count(*) from sentence_entities").fetchall()[0][0] == len(frames["entities"])
    holder = con.sql("select count(*) from sentence_entities where is_holder").fetchall()[0][0]
    assert holder >= 1  # e.g. "Islamabad has repeatedly stated …": the mention that holds the stance
    assert con.sql("select count(*) from failures").fetchall()[0][0] == 0  # no files: empty, with its columns
    assert [c[0] for c in con.sql("describe failures").fetchall()] == [c.name for c in COLUMNS["failures"]]
    month = con.sql("select distinct published_month from articles order by 1").fetchall()
    assert [m[0] for m in month] == ["2026-01", "2026-02", "2026-03"]
    every = oped_extract.load(store)
    assert set(every) == {*TABLES, "sentence_entities"} and len(every["articles"]) == 5
    by_sql = oped_extract.load(store, sql="select entity_id, count(*) n from entities group by 1", engine="arrow")
    assert dict(zip(*by_sql.to_pydict().values(), strict=True)) == frames["entities"]["entity_id"].value_counts(
        ).to_dict()


def test_bad_input_is_a_clear_error(store, tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="no Parquet store"):
        oped_extract.connect(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="unknown table 'entitys'"):
        oped_extract.load(store, "entitys")
    with pytest.raises(ConfigError, match="engine must be one of"):
        oped_extract.load(store, "entities", engine="spark")
    monkeypatch.setitem(sys.modules, "polars", None)  # as if polars were not installed
    with pytest.raises(ConfigError, match="pip install polars"):
        oped_extract.load(store, "entities", engine="polars")


def test_import_is_cheap():
    code = ("import sys, oped_extract; heavy = ('duckdb', 'pandas', 'pyarrow', 'spacy', 'polars', 'prefect'); "
            "print(sorted(m for m in heavy if m in sys.modules)); print(callable(oped_extract.connect))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "True"]
