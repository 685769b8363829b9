"""Prefect flows against a real local Prefect API: batch, incremental skip, reprocess, retries, deployment, Dask."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from oped_extract.settings import Settings

from .conftest import ROOT, SAMPLE_TXT

# Every test here runs flows against a real local Prefect API (started once per session, ~20 s).
pytestmark = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow, pytest.mark.integration]


def _run(inputs: Path, out: Path, **kw):
    from oped_extract.flows.batch import run_batch

    return run_batch(Settings(inputs=(str(inputs),), out=str(out), **kw).validated())


def _counts(out: Path) -> dict[str, int]:
    return {t: len(pd.read_parquet(out / t)) for t in ("articles", "entities", "sentences")}


def test_batch_flow_writes_tables_and_a_second_run_skips_everything(tmp_path, samples_copy):
    out = tmp_path / "parquet"
    first = _run(samples_copy, out)
    n = first.n_processed
    assert n >= 1 and first.n_failed == 0 and first.n_skipped_unchanged == 0
    entities = pd.read_parquet(out / "entities")
    assert ((entities.text == "Islamabad") & (entities.label == "GPE")).any()
    assert (entities.text == "TTP").any()
    counts = _counts(out)

    second = _run(samples_copy, out)
    assert (second.n_processed, second.n_skipped_unchanged) == (0, n)
    assert _counts(out) == counts
    runs = pd.read_parquet(out / "runs")
    assert list(runs.sort_values("started_at").n_processed) == [n, 0]


def test_run_summary_is_published_as_a_markdown_artifact(tmp_path, samples_copy):
    import asyncio

    from prefect.client.orchestration import get_client

    async def read_summaries() -> list[dict]:
        # Raw request: prefect 3.8.8's read_artifacts sends null filters that its own API rejects (422).
        async with get_client() as client:
            response = await client._client.post("/artifacts/filter", json={
                "artifacts": {"key": {"any_": ["oped-run-summary"]}}, "limit": 200, "offset": 0,
                "sort": "CREATED_DESC"})
            return response.json()

    summary = _run(samples_copy, tmp_path / "parquet")
    mine = [a for a in asyncio.run(read_summaries()) if summary.run_id in (a["data"] or "")]
    assert len(mine) == 1 and mine[0]["type"] == "markdown"
    assert "| articles processed |" in mine[0]["data"] and f"| {summary.n_processed} |" in mine[0]["data"]


def test_edited_article_replaces_its_rows_and_force_reprocesses(tmp_path, samples_copy):
    out = tmp_path / "parquet"
    _run(samples_copy, out)
    counts = _counts(out)
    txt = samples_copy / SAMPLE_TXT.name
    txt.write_text(txt.read_text(encoding="utf-8").replace("Such descriptions are incomplete and inaccurate. ", ""),
                   encoding="utf-8")
    edited = _run(samples_copy, out)
    assert edited.n_processed == 1
    after = _counts(out)
    assert after["articles"] == counts["articles"]
    assert after["sentences"] == counts["sentences"] - 1
    forced = _run(samples_copy, out, force=True)
    assert forced.n_skipped_unchanged == 0 and _counts(out) == after


def test_bad_inputs_land_in_failures_and_the_run_goes_on(tmp_path, samples_copy):
    (samples_copy / "empty.txt").write_bytes(b"")
    (samples_copy / "broken.json").write_text('{"text": "unterminated', encoding="utf-8")
    out = tmp_path / "parquet"
    summary = _run(samples_copy, out)
    assert summary.n_failed == 2 and summary.n_processed >= 1
    failures = pd.read_parquet(out / "failures")
    assert sorted(Path(u).name for u in failures.source_uri) == ["broken.json", "empty.txt"]
    assert set(failures.run_id) == {summary.run_id}


def test_reprocess_by_article_id_replaces_exactly_its_rows(tmp_path, samples_copy):
    from oped_extract.flows.reprocess import reprocess_flow

    out = tmp_path / "parquet"
    _run(samples_copy, out)
    counts = _counts(out)
    articles = pd.read_parquet(out / "articles")
    article_id = articles.article_id.iloc[0]
    summary = reprocess_flow(target=article_id, out=str(out))
    assert summary.n_processed == 1
    assert _counts(out) == counts
    again = pd.read_parquet(out / "articles").set_index("article_id")
    assert again.loc[article_id, "run_id"] == summary.run_id

    by_path = reprocess_flow(target=str(samples_copy / SAMPLE_TXT.name), out=str(out))
    assert by_path.n_processed == 1 and _counts(out) == counts


def test_transient_write_fault_is_retried(tmp_path, samples_copy, monkeypatch):
    from oped_extract.store import parquet as store_module

    calls = {"n": 0}
    real_upsert = store_module.ParquetStore.upsert

    def flaky_upsert(self, tables):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionResetError("injected: connection reset by peer")
        return real_upsert(self, tables)

    monkeypatch.setattr(store_module.ParquetStore, "upsert", flaky_upsert)
    summary = _run(samples_copy, tmp_path / "parquet")
    assert calls["n"] == 2
    assert summary.n_processed >= 1 and _counts(tmp_path / "parquet")["articles"] == summary.n_processed


def test_dask_runner_gives_exactly_the_same_rows(tmp_path, samples_copy):
    default_out, dask_out = tmp_path / "default", tmp_path / "dask"
    _run(samples_copy, default_out, chunk_size=1)
    _run(samples_copy, dask_out, chunk_size=1, runner="dask", workers=2)
    volatile = {"run_id", "processed_at"}
    for table in ("articles", "entities", "sentences"):
        a = pd.read_parquet(default_out / table)
        b = pd.read_parquet(dask_out / table)
        cols = [c for c in a.columns if c not in volatile]
        key = [c for c in ("article_id", "mention_index", "sentence_index") if c in a.columns]
        pd.testing.assert_frame_equal(
            a[cols].sort_values(key).reset_index(drop=True), b[cols].sort_values(key).reset_index(drop=True))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("display", ["pipe", "terminal"])
def test_cli_run_output_is_clean(tmp_path, samples_copy, display):
    """What `make run` prints: a summary, and no traceback or ERROR line (the CLI starts its own temporary API).
    Progress: piped (CI, logs), one plain line per chunk and no control codes; on a terminal, a progress bar with
    an ETA in their place."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TTY_", "FORCE_COLOR"))}
    if display == "terminal":  # what rich reads to treat the stream as an interactive terminal
        env |= {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "160"}
    cli = shutil.which("oped-extract", path=str(Path(sys.executable).parent)) or "oped-extract"
    proc = subprocess.run([cli, "run", str(samples_copy), "--out", str(tmp_path / "pq"), "--chunk-size", "1"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Traceback" not in output and "ERROR" not in output, output
    assert "stance sentences" in output
    assert "View at" not in output  # no link to the temporary server, which has no UI and is gone afterwards
    chunk_lines = re.findall(r"chunk (\d+): (\d+)/(\d+) inputs read", proc.stderr)
    if display == "pipe":
        assert chunk_lines == [("1", "1", "3"), ("2", "2", "3"), ("3", "3", "3")], output
        assert "\x1b[" not in output and "\r" not in output
    else:
        assert chunk_lines == [], output
        assert "3/3" in proc.stderr and "ETA" in proc.stderr, output


def test_progress_is_told_per_chunk_to_listeners_and_to_prefects_log(tmp_path, samples_copy):
    from oped_extract.flows.batch import run_batch
    from prefect import runtime
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    seen, flow_runs = [], set()

    def listener(progress):
        seen.append(progress)
        flow_runs.add(runtime.flow_run.id)

    summary = run_batch(Settings(inputs=(str(samples_copy),), out=str(tmp_path / "pq"), chunk_size=1).validated(),
                        on_chunk=listener)
    assert [(p.chunks, p.inputs_read, p.inputs_total, p.articles) for p in seen] == [
        (1, 1, 3, 1), (2, 2, 3, 2), (3, 3, 3, 3)]
    assert seen[-1].words == summary.n_words and seen[-1].failed == 0
    (flow_run_id,) = flow_runs

    def chunk_lines() -> list[str]:
        with get_client(sync_client=True) as client:
            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        return sorted(log.message for log in logs if log.message.startswith("chunk "))

    deadline = time.monotonic() + 60  # logs reach the API in batches
    while len(chunk_lines()) < 3 and time.monotonic() < deadline:
        time.sleep(1)
    assert [line.split(":")[0] for line in chunk_lines()] == ["chunk 1", "chunk 2", "chunk 3"]


def test_single_sentence_jsonl_records_each_become_an_article(tmp_path):
    """The CheckThat! shape: 300 one-sentence records in one JSONL file -> 300 articles, each with its sentence."""
    import json

    lines = (ROOT / "tests" / "data" / "stance_sentences.jsonl").read_text().splitlines()
    written = [json.loads(line) for line in lines]
    records = [{"id": f"s{i:03d}", "text": f"{written[i % len(written)]['text'][:-1]} (item {i})."} for i in range(300)]
    inputs = tmp_path / "sentences.jsonl"
    inputs.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    out = tmp_path / "pq"
    summary = _run(inputs, out)
    assert (summary.n_processed, summary.n_failed) == (300, 0)
    articles = pd.read_parquet(out / "articles")
    sentences = pd.read_parquet(out / "sentences")
    assert len(articles) == 300 and set(articles.body_text) == {r["text"] for r in records}
    assert set(sentences.article_id) == set(articles.article_id)
    rebuilt = sentences.sort_values(["article_id", "sentence_index"]).groupby("article_id").text.agg(" ".join)
    assert (rebuilt == articles.set_index("article_id").body_text.loc[rebuilt.index]).all()


def test_cli_run_exits_non_zero_with_the_reason_when_every_input_failed(tmp_path):
    from typer.testing import CliRunner

    from oped_extract.cli import app

    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 8)
    result = CliRunner().invoke(app, ["run", str(bad), "--out", str(tmp_path / "pq")], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "every input failed (2)" in result.output
    assert "empty.txt" in result.output and "binary.txt" in result.output
    assert len(pd.read_parquet(tmp_path / "pq" / "failures")) == 2
