"""The Parquet store: layout, types seen by pandas/DuckDB/polars, upserts, crash safety, the lock, S3."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oped_extract.errors import SchemaMismatch, StoreError, StoreLocked, StoreWriteError
from oped_extract.store.parquet import ParquetStore, bucket_of
from oped_extract.store.schema import (
    ARTICLE_TABLES,
    LOG_TABLES,
    PARTITION_COLUMN,
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
    TABLES,
    schema,
)

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
TTP = "org:tehrik-i-taliban-pakistan"  # the gazetteer id the documented examples filter on


# ---- test data: version v of an article has 2 + v % 3 sentences and 1 + v % 2 entities, all tagged "v{v}" --


def make_tables(specs: list[tuple[str, str, int]]) -> dict[str, pa.Table]:
    """Rows of articles given as (article_id, published_month, version)."""
    arts, ents, sents = [], [], []
    for aid, month, v in specs:
        n_s, n_e = 2 + v % 3, 1 + v % 2
        date = None if month == "unknown" else dt.date.fromisoformat(f"{month}-15")
        arts.append(
            {
                "article_id": aid,
                "source_uri": f"/in/{aid}.txt",
                "title": f"v{v}",
                "author": "A. Writer",
                "author_handle": None,
                "author_bio": None,
                "published_date": date,
                "publisher": "The News",
                "site": None,
                "language": "en",
                "body_text": f"Body of {aid}. The TTP must be stopped.",
                "content_sha256": f"sha-{aid}-{v}",
                "n_sentences": n_s,
                "n_tokens": 12,
                "n_entities": n_e,
                "n_stance_sentences": 1,
                "pipeline_version": "0.1.0",
                "model_name": "en_core_web_sm",
                "model_version": "3.8.0",
                "profile": "default",
                "stance_version": "1",
                "processed_at": dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC),
                "run_id": f"v{v}",
                "published_month": month,
            }
        )
        for i in range(n_s):
            sents.append(
                {
                    "article_id": aid,
                    "sentence_index": i,
                    "text": f"v{v} sentence {i}",
                    "start_char": 10 * i,
                    "end_char": 10 * i + 9,
                    "is_stance": i == 0,
                    "stance_score": 0.875 if i == 0 else 0.125,
                    "stance_type": "obligation" if i == 0 else None,
                    "cues": ["must"] if i == 0 else [],
                    "holder": "author" if i == 0 else None,
                    "holder_entity_id": None,
                    "target_entity_ids": [TTP] if i == 0 else [],
                    "published_month": month,
                }
            )
        for i in range(n_e):
            ents.append(
                {
                    "article_id": aid,
                    "mention_index": i,
                    "text": f"v{v}",
                    "label": "ORG",
                    "start_char": 20,
                    "end_char": 23,
                    "sentence_index": 0,
                    "entity_id": TTP,
                    "canonical_name": "Tehrik-i-Taliban Pakistan",
                    "kb_id": None,
                    "source": "gazetteer",
                    "latitude": 33.5 if i else None,
                    "longitude": None,
                    "country_code": None,
                    "published_month": month,
                }
            )
    out = {}
    for table, rows in (("articles", arts), ("entities", ents), ("sentences", sents)):
        full = schema(table).append(pa.field(PARTITION_COLUMN, pa.string()))
        out[table] = pa.Table.from_pylist(rows, schema=full)
    return out


def run_rows(run_id: str) -> pa.Table:
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "started_at": t,
                "finished_at": t,
                "n_seen": 3,
                "n_processed": 2,
                "n_skipped_unchanged": 0,
                "n_failed": 1,
                "n_warnings": 0,
                "pipeline_version": "0.1.0",
                "model_name": "en_core_web_sm",
                "profile": "default",
                "status": "completed",
                "error": None,
            }
        ],
        schema=schema("runs"),
    )


def failure_rows(run_id: str) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "run_id": run_id,
                "source_uri": "/in/broken.bin",
                "stage": "ingest",
                "severity": "error",
                "error_type": "BinaryInput",
                "message": "file is binary, not text: /in/broken.bin",
                "at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            }
        ],
        schema=schema("failures"),
    )


def versions_by_article(store_root: Path, table: str) -> dict[str, Counter]:
    """article_id -> Counter of versions of its rows in `table`, read with pandas like a data scientist would."""
    df = pd.read_parquet(store_root / table)
    tag = df["title"] if table == "articles" else df["text"].str.split().str[0]
    out: dict[str, Counter] = defaultdict(Counter)
    for aid, v in zip(df["article_id"], tag.str[1:].astype(int), strict=False):
        out[aid][v] += 1
    return out


def expected_rows(table: str, v: int) -> int:
    return {"articles": 1, "sentences": 2 + v % 3, "entities": 1 + v % 2}[table]


def data_files(root: Path, table: str) -> list[Path]:
    return sorted(p for p in (root / table).rglob("*") if p.is_file())


# ---- layout and types --------------------------------------------------------------------------------------

MONTHS = ["2024-01", "2024-02", "unknown"]

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int32": "INTEGER",
    "double": "DOUBLE",
    "float": "FLOAT",
    "bool": "BOOLEAN",
    "date32[day]": "DATE",
    "timestamp[us, tz=UTC]": "TIMESTAMP WITH TIME ZONE",
    "list<item: string>": "VARCHAR[]",
}
POLARS_TYPES = {
    "string": pl.String,
    "int32": pl.Int32,
    "double": pl.Float64,
    "float": pl.Float32,
    "bool": pl.Boolean,
    "date32[day]": pl.Date,
    "timestamp[us, tz=UTC]": pl.Datetime("us", "UTC"),
    "list<item: string>": pl.List(pl.String),
}


@pytest.fixture
def filled(tmp_path) -> tuple[ParquetStore, Path]:
    root = tmp_path / "parquet"
    store = ParquetStore(str(root))
    store.upsert(make_tables([(f"art{i:03d}", MONTHS[i % 3], 1) for i in range(60)]))
    store.append("runs", run_rows("run-1"))
    store.append("failures", failure_rows("run-1"))
    return store, root


def test_layout_is_hive_partitioned_bucket_files_with_schema_version(filled):
    _store, root = filled
    for table in ARTICLE_TABLES:
        files = data_files(root, table)
        assert {f.parent.name for f in files} == {f"{PARTITION_COLUMN}={m}" for m in MONTHS}
        assert all(f.name.startswith("part-b") and f.suffix == ".parquet" for f in files)
        # Sensible sizes: 60 articles in 3 months with 8 buckets -> at most 24 files, most holding several articles.
        assert len(files) <= 24
        ids_per_file = [pq.read_table(f, columns=["article_id"])["article_id"].to_pylist() for f in files]
        assert max(len(set(ids)) for ids in ids_per_file) >= 3
        # Each article lives in exactly one file per table, and the file's bucket is its hash bucket.
        seen = Counter(a for ids in ids_per_file for a in set(ids))
        assert len(seen) == 60 and set(seen.values()) == {1}
        for f, ids in zip(files, ids_per_file, strict=False):
            assert {bucket_of(a, 8) for a in ids} == {int(f.stem[len("part-b") :])}
            meta = pq.read_metadata(f).metadata
            assert meta[SCHEMA_VERSION_KEY] == SCHEMA_VERSION.encode()
            assert PARTITION_COLUMN not in pq.read_schema(f).names
    for table in LOG_TABLES:
        [f] = data_files(root, table)
        assert f.parent == root / table and f.name.startswith("part-") and f.suffix == ".parquet"
    assert not any(p.name.endswith(".tmp") for p in root.rglob("*"))
    assert json.loads((root / "_dataset.json").read_text())["buckets"] == 8


@pytest.mark.parametrize("table", TABLES)
def test_every_table_reads_with_pandas_duckdb_and_polars_with_the_declared_types(filled, table):
    store, root = filled
    declared = schema(table)
    n = store.read(table).num_rows
    assert n > 0

    df = pd.read_parquet(root / table, dtype_backend="pyarrow")
    assert len(df) == n
    for f in declared:
        assert df[f.name].dtype.pyarrow_dtype == f.type, f.name
    plain = pd.read_parquet(root / table)
    assert str(plain["article_id" if table in ARTICLE_TABLES else "run_id"].dtype) == "object"

    rel = duckdb.sql(f"select * from read_parquet('{root / table}/**/*.parquet', hive_partitioning=true)")
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=False))
    assert rel.shape[0] == n
    for f in declared:
        assert types[f.name] == DUCKDB_TYPES[str(f.type)], f.name

    lf = pl.scan_parquet(f"{root / table}/**/*.parquet", hive_partitioning=True).collect()
    assert lf.height == n
    for f in declared:
        assert lf.schema[f.name] == POLARS_TYPES[str(f.type)], f.name

    if table in ARTICLE_TABLES:
        assert set(df[PARTITION_COLUMN].astype(str)) == set(MONTHS)
        assert types[PARTITION_COLUMN] == "VARCHAR"
        assert set(lf[PARTITION_COLUMN].cast(pl.String)) == set(MONTHS)
        assert pl.scan_parquet(root / table).collect().height == n  # a bare directory works too
        undated = df[df[PARTITION_COLUMN] == "unknown"]
        assert undated["published_date"].isna().all() if table == "articles" else len(undated) > 0


def test_read_returns_declared_schema_and_partition_column(filled):
    store, _ = filled
    for table in TABLES:
        got = store.read(table)
        names = schema(table).names + ([PARTITION_COLUMN] if table in ARTICLE_TABLES else [])
        assert got.column_names == names
        assert got.schema.remove_metadata().equals(
            pa.schema(
                list(schema(table))
                + ([pa.field(PARTITION_COLUMN, pa.string())] if table in ARTICLE_TABLES else [])
            )
        )
    empty = ParquetStore(str(filled[1].parent / "nothing-here"))
    assert empty.read("sentences").num_rows == 0 and empty.content_index() == {}


# ---- upsert semantics --------------------------------------------------------------------------------------


def test_reupsert_leaves_counts_unchanged_and_replaces_exactly_one_articles_rows(filled):
    store, root = filled
    before = {t: store.read(t).num_rows for t in ARTICLE_TABLES}
    store.upsert(make_tables([(f"art{i:03d}", MONTHS[i % 3], 1) for i in range(60)]))  # a second run
    assert {t: store.read(t).num_rows for t in ARTICLE_TABLES} == before

    target = "art004"  # month 2024-02
    bucket = bucket_of(target, 8)
    untouched = {
        f: f.stat().st_ino
        for t in ARTICLE_TABLES
        for f in data_files(root, t)
        if f.stem != f"part-b{bucket:02d}"
    }
    store.upsert(
        make_tables([(target, "2024-02", 2)])
    )  # version 2: 4 sentences instead of 3, 1 entity instead of 2
    for table in ARTICLE_TABLES:
        versions = versions_by_article(root, table)
        assert versions[target] == Counter({2: expected_rows(table, 2)})
        assert all(c == Counter({1: expected_rows(table, 1)}) for a, c in versions.items() if a != target)
    assert store.read("sentences").num_rows == before["sentences"] + 1
    assert store.read("entities").num_rows == before["entities"] - 1
    # Only the article's bucket files were rewritten.
    assert {f: f.stat().st_ino for f in untouched} == untouched
    assert store.content_index()[target] == f"sha-{target}-2"
    assert store.source_uri(target) == f"/in/{target}.txt" and store.source_uri("nope") is None


def test_article_that_changes_month_moves_partition_and_is_stored_once(tmp_path):
    root = tmp_path / "p"
    store = ParquetStore(str(root))
    store.upsert(make_tables([("moving", "2024-01", 1), ("staying", "2024-01", 1)]))
    store.upsert(make_tables([("moving", "2025-03", 2)]))
    for table in ARTICLE_TABLES:
        df = pd.read_parquet(root / table)
        moved = df[df.article_id == "moving"]
        assert set(moved[PARTITION_COLUMN].astype(str)) == {"2025-03"}
        assert len(moved) == expected_rows(table, 2)
    # A bucket emptied by the move stays as an empty file: no file ever vanishes under a reader.
    old = root / "articles" / f"{PARTITION_COLUMN}=2024-01" / f"part-b{bucket_of('moving', 8):02d}.parquet"
    assert pq.read_table(old).num_rows == (bucket_of("moving", 8) == bucket_of("staying", 8))
    assert len(pd.read_parquet(root / "articles")) == 2


def test_runs_and_failures_are_append_only(filled):
    store, root = filled
    store.append("runs", run_rows("run-2"))
    store.append("failures", pa.Table.from_pylist([], schema=schema("failures")))  # nothing to add: no file
    runs = pd.read_parquet(root / "runs")
    assert sorted(runs.run_id) == ["run-1", "run-2"]
    assert len(data_files(root, "runs")) == 2 and len(data_files(root, "failures")) == 1
    assert pd.read_parquet(root / "failures").message[0].startswith("file is binary")


@pytest.mark.parametrize(
    "breakage, error",
    [
        (lambda t: {**t, "sentences": t["sentences"].drop_columns(["cues"])}, "missing columns \\['cues'\\]"),
        (
            lambda t: {
                **t,
                "articles": t["articles"].set_column(0, "article_id", pa.array([None], pa.string())),
            },
            "article_id must not be null",
        ),
        (
            lambda t: {
                **t,
                "entities": t["entities"].set_column(
                    t["entities"].schema.get_field_index("start_char"), "start_char", pa.array(["x"] * 2)
                ),
            },
            "declared types",
        ),
        (
            lambda t: {
                **t,
                "articles": t["articles"].set_column(
                    t["articles"].schema.get_field_index(PARTITION_COLUMN),
                    PARTITION_COLUMN,
                    pa.array(["2024-13"]),
                ),
            },
            "YYYY-MM or 'unknown'",
        ),
        (
            lambda t: {**t, "articles": t["articles"].drop_columns([PARTITION_COLUMN])},
            "need a 'published_month'",
        ),
        (lambda t: {k: v for k, v in t.items() if k != "entities"}, "missing \\['entities'\\]"),
        (
            lambda t: {
                **t,
                "sentences": pa.concat_tables(
                    [t["sentences"], make_tables([("other", "2024-01", 1)])["sentences"]]
                ),
            },
            "missing from the articles rows",
        ),
    ],
)
def test_bad_rows_are_rejected_with_a_clear_error_and_nothing_is_written(tmp_path, breakage, error):
    store = ParquetStore(str(tmp_path / "p"))
    with pytest.raises((StoreError, SchemaMismatch), match=error):
        store.upsert(breakage(make_tables([("a1", "2024-01", 1)])))
    assert store.read("articles").num_rows == 0


def test_a_file_with_another_schema_version_is_refused(filled):
    store, root = filled
    path = data_files(root, "articles")[0]
    rows = pq.read_table(path)
    pq.write_table(rows.replace_schema_metadata({SCHEMA_VERSION_KEY: b"0"}), path)
    with pytest.raises(SchemaMismatch, match="schema version 0"):
        store.read("articles")


# ---- crash safety ------------------------------------------------------------------------------------------


def test_failure_before_commit_leaves_old_rows_and_no_staging_files(filled, monkeypatch):
    store, root = filled
    before = store.read("sentences")
    original_stage = type(store._files).stage
    calls = []

    def flaky_stage(self, data):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return original_stage(self, data)

    monkeypatch.setattr(type(store._files), "stage", flaky_stage)
    with pytest.raises(StoreWriteError, match="disk full"):
        store.upsert(make_tables([(f"art{i:03d}", MONTHS[i % 3], 2) for i in range(60)]))
    assert store.read("sentences").equals(before)
    assert not list((root / "_staging").iterdir()) and not (root / "_journal.json").exists()


def test_crash_after_commit_is_rolled_forward_by_the_next_writer(filled, monkeypatch):
    store, root = filled
    original_promote = type(store._files).promote
    calls = []

    def dying_promote(self, tmp, path):
        calls.append(path)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the process dies half-way through the renames
        return original_promote(self, tmp, path)

    monkeypatch.setattr(type(store._files), "promote", dying_promote)
    with pytest.raises(KeyboardInterrupt):
        store.upsert(make_tables([(f"art{i:03d}", MONTHS[i % 3], 2) for i in range(60)]))
    monkeypatch.setattr(type(store._files), "promote", original_promote)
    assert (root / "_journal.json").exists()
    # Before recovery a reader sees some articles old and some new, each one whole (checked in the SIGKILL test).
    assert {v for c in versions_by_article(root, "articles").values() for v in c} == {1, 2}
    assert {v for c in versions_by_article(root, "sentences").values() for v in c} == {1}

    ParquetStore(str(root)).recover()
    assert not (root / "_journal.json").exists()
    for table in ARTICLE_TABLES:
        versions = versions_by_article(root, table)
        assert len(versions) == 60
        assert all(c == Counter({2: expected_rows(table, 2)}) for c in versions.values())


WRITER = textwrap.dedent("""
    import datetime as dt, os, signal, sys
    sys.path.insert(0, {src!r})
    import pyarrow as pa
    from oped_extract.store import parquet as store_module
    from oped_extract.store.schema import PARTITION_COLUMN, schema
    TTP = {ttp!r}
    v, die_at = int(sys.argv[1]), int(sys.argv[2])
    if die_at:
        # SIGKILL ourselves just before the die_at-th rename, so some kills surely land between two renames.
        promote, renames = store_module._LocalFiles.promote, [0]
        def promote_or_die(self, tmp, path):
            renames[0] += 1
            if renames[0] == die_at:
                os.kill(os.getpid(), signal.SIGKILL)
            promote(self, tmp, path)
        store_module._LocalFiles.promote = promote_or_die
    store = store_module.ParquetStore({root!r})
    ids = [f"art{{i:03d}}" for i in range(40)]
    {make_tables}
    print("ready", flush=True)
    while True:
        v += 1
        # Articles 0-3 change month on every version; the rest keep theirs.
        month = lambda i: ["2024-01", "2024-02"][(v + i) % 2] if i < 4 else ["2024-01", "2024-02", "unknown"][i % 3]
        with store.lock():
            store.upsert(make_tables([(a, month(i), v) for i, a in enumerate(ids)]))
            store.upsert(make_tables([(ids[v % 40], month(v % 40), v)]))
        print(v, flush=True)
""")


@pytest.mark.slow
@pytest.mark.integration
def test_sigkill_mid_write_leaves_old_or_new_rows_of_each_article(tmp_path):
    root = tmp_path / "p"
    script = tmp_path / "writer.py"
    # The writer builds its rows with this module's make_tables, without importing the test's readers.
    script.write_text(
        WRITER.format(src=str(SRC), root=str(root), make_tables=inspect.getsource(make_tables), ttp=TTP)
    )
    store = ParquetStore(str(root))
    store.upsert(
        make_tables([(f"art{i:03d}", ["2024-01", "2024-02", "unknown"][i % 3], 1) for i in range(40)])
    )
    all_ids = {f"art{i:03d}" for i in range(40)}
    moving = {f"art{i:03d}" for i in range(4)}
    jitter = random.Random(7)
    version, journals_left = 1, 0
    for round_ in range(8):
        # Even rounds: killed by us after a random delay. Odd rounds: killed at a random rename.
        die_at = 0 if round_ % 2 == 0 else jitter.randint(2, 90)
        writer = subprocess.Popen(
            [sys.executable, str(script), str(version), str(die_at)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout.readline().strip() == "ready"
        if die_at:
            writer.wait(timeout=60)
        else:
            time.sleep(jitter.uniform(0.1, 0.9))
            os.kill(writer.pid, signal.SIGKILL)
        out, _ = writer.communicate()
        assert writer.returncode == -signal.SIGKILL
        if out.split():
            version = max(version, int(out.split()[-1]))
        journals_left += (root / "_journal.json").exists()

        # Before any recovery, as a reader sees it: every file reads, each article's rows in each table are one
        # whole version; a month-moving article may be missing but is never there twice.
        for table in ARTICLE_TABLES:
            versions = versions_by_article(root, table)
            for aid, counts in versions.items():
                assert len(counts) == 1, (round_, table, aid, counts)
                [(v, n)] = counts.items()
                assert n == expected_rows(table, v), (round_, table, aid, counts)
            assert all_ids - set(versions) <= moving, (round_, table, all_ids - set(versions))

        # After the next writer's recovery: every article once, with the same version in all three tables.
        ParquetStore(str(root)).recover()
        per_table = {t: versions_by_article(root, t) for t in ARTICLE_TABLES}
        for table, versions in per_table.items():
            assert set(versions) == all_ids, (round_, table)
            for aid, counts in versions.items():
                [(v, n)] = counts.items()
                assert n == expected_rows(table, v)
                assert per_table["articles"][aid].keys() == counts.keys(), (round_, aid, table)
        assert not list((root / "_staging").iterdir()) and not (root / "_journal.json").exists()
        version = max(version, max(v for c in per_table["articles"].values() for v in c))
    assert version >= 4, "the writer never got going; the kills did not land mid-run"
    assert journals_left >= 2, "no kill landed between the commit and the last rename"


@pytest.mark.slow
@pytest.mark.integration
def test_readers_during_a_write_see_each_article_whole(tmp_path):
    """pandas (pyarrow) reads each file once, so a read during a write sees every article old or new, whole.
    DuckDB re-opens a file within one query: if the file is replaced in between, the query fails (rerun it);
    it never returns mixed rows. An article moving month in that very write may be read in both or neither."""
    root = tmp_path / "p"
    script = tmp_path / "writer.py"
    script.write_text(
        WRITER.format(src=str(SRC), root=str(root), make_tables=inspect.getsource(make_tables), ttp=TTP)
    )
    ParquetStore(str(root)).upsert(
        make_tables([(f"art{i:03d}", ["2024-01", "2024-02", "unknown"][i % 3], 1) for i in range(40)])
    )
    staying = {f"art{i:03d}" for i in range(4, 40)}
    writer = subprocess.Popen([sys.executable, str(script), "1", "0"], stdout=subprocess.PIPE, text=True)
    pandas_reads = duckdb_reads = 0
    rounds: list[str] = []  # one line per finished write round, read as the writer goes
    try:
        assert writer.stdout.readline().strip() == "ready"
        threading.Thread(target=lambda: rounds.extend(writer.stdout), daemon=True).start()
        # Read until the writer has replaced the files several times under us, however busy the machine is.
        deadline = time.monotonic() + 300
        while (len(rounds) < 3 or pandas_reads <= 10 or duckdb_reads <= 3) and time.monotonic() < deadline:
            for table in ARTICLE_TABLES:
                versions = versions_by_article(root, table)
                assert staying <= set(versions), table
                for aid in staying:
                    [(v, n)] = versions[aid].items()
                    assert n == expected_rows(table, v), (table, aid, versions[aid])
                pandas_reads += 1
            try:
                rows = duckdb.sql(
                    f"select article_id, text from read_parquet('{root}/sentences/**/*.parquet', "
                    "hive_partitioning=true)"
                ).fetchall()
            except duckdb.Error:
                continue
            duckdb_reads += 1
            seen: dict[str, Counter] = defaultdict(Counter)
            for aid, text in rows:
                seen[aid][int(text.split()[0][1:])] += 1
            for aid in staying:
                [(v, n)] = seen[aid].items()
                assert n == expected_rows("sentences", v), (aid, seen[aid])
    finally:
        writer.kill()
        writer.wait()
    assert pandas_reads > 10 and duckdb_reads > 3
    assert len(rounds) >= 3, "the writer finished fewer than 3 rounds while we read"


# ---- the lock ----------------------------------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import pathlib, sys, time
    sys.path.insert(0, {src!r})
    from oped_extract.store.parquet import ParquetStore
    with ParquetStore({root!r}).lock():
        print("locked", flush=True)
        time.sleep(float(sys.argv[1]))
        pathlib.Path({root!r}, "holder-done").touch()  # still holding the lock
""")


def _hold_lock(tmp_path: Path, root: Path, seconds: float) -> subprocess.Popen:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER.format(src=str(SRC), root=str(root)))
    holder = subprocess.Popen([sys.executable, str(script), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_second_writer_gets_store_locked_with_a_clear_message(filled, tmp_path):
    _store, root = filled
    holder = _hold_lock(tmp_path, root, 30)
    try:
        impatient = ParquetStore(str(root), lock_timeout=0.5)
        with pytest.raises(
            StoreLocked, match=f"another writer is using the store at {root} \\(pid {holder.pid} "
        ):
            impatient.upsert(make_tables([("art000", "2024-01", 2)]))
    finally:
        holder.kill()
        holder.wait()
    # A killed holder's lock is released by the OS: the next writer goes ahead.
    ParquetStore(str(root), lock_timeout=5).upsert(make_tables([("art000", "2024-01", 2)]))
    assert versions_by_article(root, "articles")["art000"] == Counter({2: 1})


def test_second_writer_waits_for_the_first_to_finish(filled, tmp_path):
    _store, root = filled
    holder = _hold_lock(tmp_path, root, 1.5)
    with ParquetStore(str(root), lock_timeout=60).lock():
        assert (root / "holder-done").exists()  # we got the lock only after the first writer was done
    holder.wait()


# ---- speed -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_reprocessing_one_article_in_a_20000_article_store_rewrites_one_file_per_table(tmp_path):
    """What keeps a reprocess fast in a big store (timed by `make bench`): only the article's bucket file of its
    month is rewritten in each table."""
    root = tmp_path / "p"
    store = ParquetStore(str(root))
    months = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
    specs = [(f"a{i:05d}", months[i % 24], 1) for i in range(20_000)]
    store.upsert(make_tables(specs))
    assert len(store.content_index()) == 20_000
    before = {t: {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in data_files(root, t)} for t in ARTICLE_TABLES}
    store.upsert(make_tables([("a12345", months[12345 % 24], 2)]))
    for table in ARTICLE_TABLES:
        after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in data_files(root, table)}
        changed = [p for p in after if before[table].get(p) != after[p]]
        assert len(changed) == 1 and months[12345 % 24] in str(changed[0]), (table, changed)
    assert len(data_files(root, "sentences")) <= 24 * 8
    assert versions_by_article(root, "sentences")["a12345"] == Counter({2: expected_rows("sentences", 2)})


# ---- S3 (moto server on 127.0.0.1) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.mark.slow
@pytest.mark.integration
def test_s3_round_trip(s3_endpoint):
    import s3fs

    options = {
        "endpoint_url": s3_endpoint,
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    fs = s3fs.S3FileSystem(**options)
    fs.mkdir("oped-test")
    uri = "s3://oped-test/datasets/parquet"
    store = ParquetStore(uri, storage_options=options, lock_timeout=1)
    store.upsert(make_tables([(f"art{i:03d}", MONTHS[i % 3], 1) for i in range(12)]))
    store.upsert(make_tables([("art001", "unknown", 2)]))  # replaced, and moved from 2024-02
    store.upsert(make_tables([("art002", "unknown", 2)]))
    store.append("runs", run_rows("run-1"))
    store.append("failures", failure_rows("run-1"))

    fresh = ParquetStore(uri, storage_options=options)
    assert len(fresh.content_index()) == 12 and fresh.content_index()["art001"] == "sha-art001-2"
    assert fresh.source_uri("art005") == "/in/art005.txt"
    keys = fs.find(uri)
    assert any(
        k.endswith(f"sentences/{PARTITION_COLUMN}=unknown/part-b{bucket_of('art001', 8):02d}.parquet")
        for k in keys
    )
    assert not any(k.endswith((".tmp", "_journal.json", "_lock")) for k in keys)

    for table in TABLES:
        df = pd.read_parquet(f"{uri}/{table}", storage_options=options, dtype_backend="pyarrow")
        assert len(df) == fresh.read(table).num_rows > 0
        assert all(df[f.name].dtype.pyarrow_dtype == f.type for f in schema(table))
    sentences = pd.read_parquet(f"{uri}/sentences", storage_options=options)
    moved = sentences[sentences.article_id == "art001"]
    assert len(moved) == expected_rows("sentences", 2) and set(moved[PARTITION_COLUMN].astype(str)) == {
        "unknown"
    }

    con = duckdb.connect()
    con.register_filesystem(fs)
    n = con.sql(
        f"select count(*) from read_parquet('{uri}/entities/**/*.parquet', hive_partitioning=true)"
    ).fetchall()
    assert n[0][0] == fresh.read("entities").num_rows

    # The lock is an object created only if absent: a second writer is refused while the first holds it.
    with store.lock(), pytest.raises(StoreLocked, match="delete s3://oped-test/datasets/parquet/_lock"):
        ParquetStore(uri, storage_options=options, lock_timeout=0.3).append("runs", run_rows("run-2"))
    ParquetStore(uri, storage_options=options, lock_timeout=1).append("runs", run_rows("run-2"))
    assert sorted(fresh.read("runs")["run_id"].to_pylist()) == ["run-1", "run-2"]


@pytest.mark.slow
@pytest.mark.integration
def test_s3_writer_dying_after_commit_is_rolled_forward(s3_endpoint, monkeypatch):
    import s3fs

    options = {
        "endpoint_url": s3_endpoint,
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"region_name": "eu-west-1"},
    }
    s3fs.S3FileSystem(**options).mkdir("oped-crash")
    uri = "s3://oped-crash/parquet"
    store = ParquetStore(uri, storage_options=options)
    store.upsert(make_tables([(f"art{i:03d}", MONTHS[i % 3], 1) for i in range(12)]))
    promote, calls = type(store._files).promote, []

    def dying_promote(self, tmp, path):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return promote(self, tmp, path)

    monkeypatch.setattr(type(store._files), "promote", dying_promote)
    monkeypatch.setattr(
        type(store._files), "release_lock", lambda self: None
    )  # a dead process cleans nothing
    with pytest.raises(KeyboardInterrupt):
        store.upsert(make_tables([(f"art{i:03d}", MONTHS[i % 3], 2) for i in range(12)]))
    monkeypatch.undo()
    # The dead writer's lock object is still there: the next writer is told how to clear it.
    with pytest.raises(StoreLocked, match="if that writer is gone, delete s3://oped-crash/parquet/_lock"):
        ParquetStore(uri, storage_options=options, lock_timeout=0.2).recover()
    s3fs.S3FileSystem(**options).rm_file(f"{uri}/_lock")
    ParquetStore(uri, storage_options=options).recover()
    for table in ARTICLE_TABLES:
        rows = ParquetStore(uri, storage_options=options).read(table)
        tags = rows["title" if table == "articles" else "text"].to_pylist()
        assert {t.split()[0] for t in tags} == {"v2"}, table
        assert rows.num_rows == 12 * expected_rows(table, 2)


# ---- the documented examples (docs/tables.md) ------------------------------------------------------------


def test_documented_examples_count_stance_sentences_mentioning_ttp_by_month(tmp_path, monkeypatch):
    store = ParquetStore(str(tmp_path / "data" / "parquet"))
    # Version 1: 3 sentences, the first a stance sentence; 2 TTP mentions, both in sentence 0 (counted once).
    # Version 2: 4 sentences, 1 mention. Undated articles land in 'unknown'.
    store.upsert(
        make_tables([("a", "2024-01", 1), ("b", "2024-01", 2), ("c", "2024-03", 1), ("d", "unknown", 1)])
    )
    monkeypatch.chdir(tmp_path)
    page = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    assert len(blocks) == 2
    for block in blocks:
        assert len(block.strip().splitlines()) <= 5
        namespace: dict = {}
        exec(block, namespace)  # noqa: S102 - running the documented snippets is the point
        result = namespace["ttp_by_month"]
        counts = dict(result.items()) if isinstance(result, pd.Series) else dict(result.fetchall())
        assert {str(k): v for k, v in counts.items()} == {"2024-01": 2, "2024-03": 1, "unknown": 1}
