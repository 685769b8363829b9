"""Shared fixtures: the real model loaded once, the sample article and its gold annotation, a local Prefect API."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from oped_extract.flows.prefect_env import configure_prefect_env

configure_prefect_env()

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = ROOT / "data" / "samples"
SAMPLE_TXT = SAMPLES / "000_0c9b78742a5f1fc9.txt"
# The sample's hand annotation ships with the repository (data/gold), so CI holds the quality floors.
GOLD_DIR = ROOT / "data" / "gold"
GOLD_FILE = GOLD_DIR / "000_0c9b78742a5f1fc9.json"
CHECKTHAT_DIR = SHARED / "checkthat2025_task1_en"


@pytest.fixture(scope="session")
def nlp():
    from oped_extract.nlp.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def gold_articles():
    from oped_extract.evaluation.gold import load_gold

    return load_gold(GOLD_FILE)


@pytest.fixture(scope="session")
def sample_article():
    from oped_extract.ingest.readers import ingest
    from oped_extract.ingest.records import Article

    items = list(ingest([SAMPLE_TXT]))
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


@pytest.fixture(scope="session")
def prefect_api():
    """One real local Prefect API for the whole session (starting one costs seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def samples_copy(tmp_path) -> Path:
    """A private copy of data/samples, so tests can add or edit inputs."""
    dest = tmp_path / "samples"
    shutil.copytree(SAMPLES, dest)
    return dest


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("OPED_"):
            monkeypatch.delenv(key)


def assert_sample_metadata(record, gold) -> None:
    """The sample op-ed's metadata, as the gold annotation states it (record: an Article or a Layout)."""
    assert record.body_text == gold.body
    assert record.published_date == dt.date(2026, 2, 27)
    assert str(record.published_date) == gold.metadata["published_date"]
    assert record.author_handle == "@umarwrites"
    assert record.author_bio == ("The writer is a non-resident fellow at the Consortium for Asia Pacific & "
                                 "Eurasian Studies.")
    assert (record.publisher, record.site, record.title) == ("The News", "Geo.tv", None)
    for key in ("author_handle", "author_bio", "publisher", "site", "title"):
        assert getattr(record, key) == gold.metadata[key], key


def write_store(root: Path, nlp, articles, run_id: str, started: dt.datetime, failures=(), n_seen=None) -> Path:
    """Write `articles` through the real pipeline into a Parquet store at `root` as one run would: their rows,
    a runs row (and failures rows). Calling it again with the same articles is a forced re-run."""
    from oped_extract.batch.chunks import process_chunk
    from oped_extract.nlp.pipeline import model_info
    from oped_extract.store.parquet import ParquetStore
    from oped_extract.store.rows import RunContext
    from oped_extract.store.runs import RunSummary

    name, version = model_info(nlp)
    result = process_chunk(articles, nlp, RunContext(run_id, "0.1.0", name, version, started))
    summary = RunSummary(run_id, started, name, n_seen=len(articles) + len(failures) if n_seen is None else n_seen)
    summary.add_chunk(result.tables, 0)
    summary.add_failures(list(failures))
    summary.finished_at = started + dt.timedelta(seconds=12)
    store = ParquetStore(str(root))
    store.upsert(result.tables)
    store.append("runs", summary.runs_table())
    if failures:
        store.append("failures", summary.failures_table())
    return root


@pytest.fixture(scope="session")
def sample_store(nlp, tmp_path_factory) -> Path:
    """data/samples (three copies of one op-ed: .txt, .html, .jsonl) through the real pipeline, at
    <tmp>/data/parquet."""
    from oped_extract.ingest.readers import ingest

    root = tmp_path_factory.mktemp("samples") / "data" / "parquet"
    return write_store(root, nlp, list(ingest([str(SAMPLES)])), "run-s", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
