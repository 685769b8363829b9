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
