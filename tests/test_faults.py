"""Fault injection, one test per class of fault (issue 17): a bad input costs itself a failures row, the good
articles of the same run land, and the command exits with its documented code (docs/inputs.md).

Real files, FIFOs, symlink loops, a real full disk (a small tmpfs when the test runs as root), real HTTP
servers on 127.0.0.1 and the real CLI in a subprocess where the exit code matters."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest
from typer.testing import CliRunner

from oped_extract.cli import EXIT_LOCKED, EXIT_NOTHING, EXIT_OK, EXIT_STORE, EXIT_USAGE, app
from oped_extract.ingest.discovery import url_source
from oped_extract.ingest.fetch import FetchPolicy
from oped_extract.ingest.readers import ingest, read_all, read_source
from oped_extract.ingest.records import Article, Failure
from oped_extract.settings import Settings
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.schema import TABLES

from .conftest import ROOT, SAMPLE_TXT

# Tests that run the pipeline (in process or through the CLI) talk to the session's real Prefect API, so they are
# marked slow and integration; the reader-level tests of each class stay in the quick set.
RUNS = [pytest.mark.usefixtures("prefect_api"), pytest.mark.slow, pytest.mark.integration]


def runs_pipeline(test):
    for mark in RUNS:
        test = mark(test)
    return test
GOOD = "Officials in Peshawar said the Torkham crossing was closed on Monday. Traders expect losses to grow."


# --- helpers ------------------------------------------------------------------------------------------------
def good_folder(path: Path) -> Path:
    """A folder holding the sample op-ed, a good article every run below must still write."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE_TXT, path / "good.txt")
    return path


def read_table(out: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(out / table)


def failures(out: Path) -> pd.DataFrame:
    return read_table(out, "failures")


def assert_good_landed(out: Path) -> pd.DataFrame:
    articles = read_table(out, "articles")
    assert any(uri.endswith("good.txt") for uri in articles.source_uri), list(articles.source_uri)
    return articles


def one_row_for(out: Path, name: str, severity: str = "error") -> pd.Series:
    rows = failures(out)
    hits = rows[rows.source_uri.str.contains(name, regex=False) & (rows.severity == severity)]
    assert len(hits) == 1, rows[["source_uri", "severity", "error_type", "message"]].to_dict("records")
    return hits.iloc[0]


def cli_in_process(*args: str):
    result = CliRunner().invoke(app, list(args), terminal_width=250)
    _repoint_prefect_console()
    assert "Traceback" not in result.output, result.output
    return result


def _repoint_prefect_console() -> None:
    """Prefect's console log handler keeps the stream it was made with: after a CliRunner invocation that is
    the runner's closed buffer, and the next invocation would print a logging error (a test artefact)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(v for v in logging.root.manager.loggerDict.values()
                                      if isinstance(v, logging.Logger))]
    for handler in (h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)):
        if getattr(handler.stream, "closed", False):
            handler.stream = handler.console.file = sys.stderr


@pytest.fixture(scope="module")
def cli_env(prefect_api):
    """The environment of a CLI subprocess: the session's Prefect API (no temporary server per command)."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "OPED_"))}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return env


def cli(env: dict, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    exe = shutil.which("oped-extract", path=str(Path(sys.executable).parent)) or "oped-extract"
    proc = subprocess.run([*prefix, exe, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)
    proc.output = proc.stdout + proc.stderr
    assert "Traceback" not in proc.output, proc.output
    return proc


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error")]


# --- 1. any exception on one input is one failures row ------------------------------------------------------
@runs_pipeline
def test_years_below_1000_become_warnings_and_the_articles_land(tmp_path):
    inputs = good_folder(tmp_path / "in")
    (inputs / "dateline.txt").write_text(f"February 27, 0999\n{GOOD}\n", encoding="utf-8")
    (inputs / "records.jsonl").write_text(json.dumps({"id": "r1", "text": GOOD, "published_date": "0001-01-01"})
                                          + "\n", encoding="utf-8")
    out = tmp_path / "pq"
    result = cli_in_process("run", str(inputs), "--out", str(out))
    assert result.exit_code == EXIT_OK, result.output
    articles = assert_good_landed(out)
    assert len(articles) == 3
    undated = articles[articles.source_uri.str.contains("dateline.txt|records.jsonl")]
    assert undated.published_date.isna().all() and len(undated) == 2
    for name in ("dateline.txt", "records.jsonl#id=r1"):
        row = one_row_for(out, name, "warning")
        assert row.error_type == "UnreadDate" and "not a plausible publication date" in row.message


@runs_pipeline
def test_deep_json_symlink_loops_and_bad_file_names_cost_only_themselves(tmp_path, cli_env):
    inputs = good_folder(tmp_path / "in")
    deep = "[" * 100_000 + "]" * 100_000
    (inputs / "deep.json").write_text(deep, encoding="utf-8")
    (inputs / "feed.jsonl").write_text(json.dumps({"id": "ok", "text": GOOD}) + "\n" + deep + "\n",
                                       encoding="utf-8")
    os.symlink("loop-b.txt", inputs / "loop-a.txt")
    os.symlink("loop-a.txt", inputs / "loop-b.txt")
    os.symlink(".", inputs / "again")  # a folder that leads back to itself
    (inputs / os.fsdecode(b"caf\xe9-latin1-name.txt")).write_text(GOOD, encoding="utf-8")
    out = tmp_path / "pq"
    started = time.monotonic()
    proc = cli(cli_env, "run", str(inputs), "--out", str(out))
    assert proc.returncode == EXIT_OK, proc.output
    articles = assert_good_landed(out)
    assert sorted(Path(u.split("#")[0]).name for u in articles.source_uri) == ["feed.jsonl", "good.txt"]
    assert one_row_for(out, "deep.json").error_type == "MalformedRecord"
    assert "nested too deeply" in one_row_for(out, "feed.jsonl#line=2").message
    for name in ("loop-a.txt", "loop-b.txt"):
        row = one_row_for(out, name)
        assert row.error_type == "UnreadableInput" and "symbolic links" in row.message
    assert "leads back" in one_row_for(out, "/again").message
    row = one_row_for(out, "caf\\xe9-latin1-name.txt")
    assert row.error_type == "UnreadableInput" and "not valid UTF-8" in row.message
    runs = read_table(out, "runs")
    assert list(runs.status) == ["completed"] and list(runs.n_failed) == [6]
    assert time.monotonic() - started < 300  # ELOOP is not retried (it was 3 retries with 1+4+16 s waits)


@runs_pipeline
def test_an_exception_in_a_spacy_component_costs_only_that_article(tmp_path, monkeypatch):
    from oped_extract.flows.batch import run_batch

    from oped_extract.nlp.stance import StanceTagger

    real_call = StanceTagger.__call__

    def fragile(self, doc):
        if "EXPLODE" in doc.text:
            raise ValueError("injected: the stance component failed on this article")
        return real_call(self, doc)

    monkeypatch.setattr(StanceTagger, "__call__", fragile)
    inputs = good_folder(tmp_path / "in")
    records = [{"id": f"n{i}", "text": f"{GOOD} Item {i}." + (" EXPLODE." if i == 3 else "")} for i in range(8)]
    (inputs / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "pq"
    # Small batches and writes: the bad article sits mid-chunk, between buffered writes.
    summary = run_batch(Settings(inputs=(str(inputs),), out=str(out), chunk_size=4, batch_size=2,
                                 write_batch=3).validated())
    assert (summary.n_processed, summary.n_failed, summary.status) == (8, 1, "completed")
    articles = assert_good_landed(out)
    assert len(articles) == 8 and not articles.body_text.str.contains("EXPLODE").any()
    row = one_row_for(out, "feed.jsonl#id=n3")
    assert (row.stage, row.error_type) == ("nlp", "ValueError") and "injected" in row.message
    assert list(read_table(out, "runs").n_processed) == [8]



def _wrapped_by_pydantic(interrupt: BaseException) -> Exception:
    """`interrupt` raised inside a pydantic serializer, as a signal's exception lands when the main thread is
    there (Prefect serializes its context as a task is submitted): it comes back as a PydanticSerializationError."""
    from pydantic import BaseModel, model_serializer

    class Context(BaseModel):
        @model_serializer
        def serialize(self):
            raise interrupt

    try:
        Context().model_dump()
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("pydantic did not raise")


def test_the_interrupt_behind_a_library_error_is_found():
    from prefect.exceptions import TerminationSignal

    from oped_extract.errors import stop_behind
    from oped_extract.store.runs import RunSummary

    sigterm = TerminationSignal(signal=15)
    wrapped = _wrapped_by_pydantic(sigterm)
    assert type(wrapped).__name__ == "PydanticSerializationError" and stop_behind(wrapped) is sigterm
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise OSError(errno.EIO, "while stopping")  # noqa: B904 - an error raised while handling it
    except OSError as during:
        assert isinstance(stop_behind(during), KeyboardInterrupt)
    async def too_slow():
        await asyncio.wait_for(asyncio.sleep(10), timeout=0.01)

    try:
        asyncio.run(too_slow())
    except TimeoutError as timeout:  # raised from a CancelledError: a BaseException, yet no interrupt
        assert isinstance(timeout.__cause__ or timeout.__context__, asyncio.CancelledError)
        assert stop_behind(timeout) is None
    looped = ValueError("a")
    looped.__context__ = ValueError("b")
    looped.__context__.__context__ = looped
    assert stop_behind(looped) is None and stop_behind(_wrapped_by_pydantic(ValueError("x"))) is None
    for stop, status in ((sigterm, "interrupted"), (KeyboardInterrupt(), "interrupted"), (OSError(), "failed")):
        summary = RunSummary(run_id="r", started_at=dt.datetime.now(dt.UTC), model_name="m")
        summary.stopped(stop)
        assert summary.status == status, stop


def test_an_interrupt_inside_the_html_parser_is_no_failures_row(tmp_path, monkeypatch):
    """Ctrl-C while trafilatura parses a page stops the reading; a real parser crash is that page's failure."""
    import trafilatura

    page = tmp_path / "page.html"
    page.write_text(f"<html><body><article><p>{GOOD}</p></article></body></html>", encoding="utf-8")
    raised: list[BaseException] = [ValueError("a parser bug")]

    def crashing(*args, **kwargs):
        raise raised[0]

    monkeypatch.setattr(trafilatura, "bare_extraction", crashing)
    [row] = list(ingest([str(page)]))
    assert isinstance(row, Failure) and "a parser bug" in row.message
    raised[0] = _wrapped_by_pydantic(KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        list(ingest([str(page)]))


@runs_pipeline
def test_an_interrupt_wrapped_by_a_library_stops_the_run_instead_of_failing_an_article(tmp_path, monkeypatch):
    """Ctrl-C landing inside a library's callback during one article: the run stops as interrupted (the rows
    written so far kept, the runs row says so) - it is not that article's failure, and the run does not go on."""
    from oped_extract.flows.batch import run_batch

    from oped_extract.nlp.stance import StanceTagger

    real_call = StanceTagger.__call__

    def interrupted(self, doc):
        if "INTERRUPT" in doc.text:
            raise _wrapped_by_pydantic(KeyboardInterrupt())
        return real_call(self, doc)

    monkeypatch.setattr(StanceTagger, "__call__", interrupted)
    inputs = tmp_path / "in"
    inputs.mkdir()
    records = [{"id": f"n{i}", "text": f"{GOOD} Item {i}." + (" INTERRUPT." if i == 5 else "")} for i in range(8)]
    (inputs / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "pq"
    with pytest.raises(KeyboardInterrupt):
        run_batch(Settings(inputs=(str(inputs),), out=str(out), chunk_size=4, batch_size=2,
                           write_batch=1).validated())
    runs = read_table(out, "runs")
    assert list(runs.status) == ["interrupted"] and list(runs.error) == ["KeyboardInterrupt"]
    assert list(runs.n_processed) == [4] and list(runs.n_failed) == [0]
    assert sorted(read_table(out, "articles").source_uri.str[-2:]) == ["n0", "n1", "n2", "n3"]
    assert not (out / "failures").exists() or read_table(out, "failures").empty


# --- 2. no silent overwrite ------------------------------------------------------------------------------------
@runs_pipeline
def test_two_scrape_folders_with_the_same_layout_never_share_an_article_id(tmp_path):
    from oped_extract.flows.batch import run_batch

    def page(text: str) -> str:
        return f"<html><body><article><p>{text}</p><p>{GOOD}</p></article></body></html>"

    day1, day2 = tmp_path / "scrape" / "2026-03-01", tmp_path / "scrape" / "2026-03-02"
    for day, text in ((day1, "Kabul reopened the border on Sunday, officials said."),
                      (day2, "Islamabad closed the border again on Monday, officials said.")):
        day.mkdir(parents=True)
        (day / "index.html").write_text(page(text), encoding="utf-8")
    out = tmp_path / "pq"

    def run(folder: Path):
        return run_batch(Settings(inputs=(str(folder),), out=str(out)).validated())

    assert run(day1).n_processed == 1
    assert run(day2).n_processed == 1  # not a replacement of day 1's article
    articles = read_table(out, "articles")
    assert len(articles) == 2 and articles.article_id.nunique() == 2
    assert sorted(Path(u).parent.name for u in articles.source_uri) == ["2026-03-01", "2026-03-02"]
    assert (run(day1).n_skipped_unchanged, run(day2).n_skipped_unchanged) == (1, 1)  # ids are stable
    # Moving a folder keeps its article: no duplicate, the source_uri follows the move.
    moved = tmp_path / "archive" / "2026-03-01"
    moved.parent.mkdir()
    shutil.move(day1, moved)
    assert run(moved).n_processed == 1
    after = read_table(out, "articles")
    assert len(after) == 2 and set(after.article_id) == set(articles.article_id)
    assert any(u.startswith(str(moved)) for u in after.source_uri)


# --- 3. no silent corruption: encodings ------------------------------------------------------------------------
ACCENTED = "The café owners in Zürich say the naïve plan to reopen the façade will fail, señor."
ENCODINGS = ["cp1252", "latin-1", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_accented_words_survive_every_encoding_in_txt_and_jsonl(tmp_path, encoding):
    (tmp_path / "a.txt").write_bytes(f"{ACCENTED}\nIt is wearing thin.\n".encode(encoding))
    records = [{"id": f"r{i}", "text": f"{ACCENTED} ({i})"} for i in range(3)]
    (tmp_path / "b.jsonl").write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                               for r in records).encode(encoding))
    items = list(ingest([tmp_path]))
    assert all(isinstance(i, Article) for i in items), items
    assert [i.body_text for i in items] == [f"{ACCENTED}\nIt is wearing thin.",
                                            *(r["text"] for r in records)]


@runs_pipeline
def test_a_run_stores_cp1252_and_utf16_text_uncorrupted(tmp_path):
    inputs = good_folder(tmp_path / "in")
    (inputs / "windows.txt").write_bytes(f"{ACCENTED} “Quoted”, they said.".encode("cp1252"))
    (inputs / "wide.jsonl").write_bytes((json.dumps({"id": "w", "text": ACCENTED}, ensure_ascii=False) + "\n")
                                        .encode("utf-16-le"))
    out = tmp_path / "pq"
    result = cli_in_process("run", str(inputs), "--out", str(out))
    assert result.exit_code == EXIT_OK, result.output
    bodies = set(assert_good_landed(out).body_text)
    assert f"{ACCENTED} “Quoted”, they said." in bodies and ACCENTED in bodies
    assert failures(out).empty


# --- 4. bounded memory, caps while reading, non-regular files ----------------------------------------------------
def _peak_mib_while(fn) -> float:
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_a_large_jsonl_streams_in_memory_bounded_by_the_chunk(tmp_path):
    from oped_extract.batch.chunks import article_chunks
    from oped_extract.ingest.discovery import discover
    from oped_extract.store.runs import RunSummary, utcnow

    feed = tmp_path / "big.jsonl"
    with feed.open("w", encoding="utf-8") as fh:
        for i in range(30_000):
            fh.write(json.dumps({"id": f"a{i}", "text": f"{GOOD} Number {i} of many; the border stays shut."}) + "\n")
    settings = Settings(inputs=(str(feed),), chunk_size=200)
    summary = RunSummary("r", utcnow(), "m")
    counted = []

    def consume():
        for chunk in article_chunks(list(discover([feed])), settings, summary, {}):
            counted.append(len(chunk))

    peak = _peak_mib_while(consume)
    assert sum(counted) == 30_000 and max(counted) == 200
    file_mib = feed.stat().st_size / 2**20
    assert file_mib > 3
    # Held whole, 30,000 Article objects take ~40 MiB; streamed, one chunk of 200 and the seen-id set.
    assert peak < 12, f"peak {peak:.1f} MiB reading a {file_mib:.1f} MiB file"


def test_caps_apply_while_reading_and_fifos_are_refused(tmp_path):
    inputs = good_folder(tmp_path / "in")
    line = inputs / "one-huge-line.jsonl"
    with line.open("wb") as fh:
        fh.write(json.dumps({"id": "small", "text": GOOD}).encode() + b"\n")
        fh.write(b'{"id": "huge", "text": "' + b"x" * (40 * 2**20) + b'"}\n')
        fh.write(json.dumps({"id": "after", "text": GOOD + " After."}).encode() + b"\n")
    os.mkfifo(inputs / "pipe.txt")
    items = []
    peak = _peak_mib_while(lambda: items.extend(ingest([inputs], max_bytes=1_000_000)))
    assert peak < 8, f"peak {peak:.1f} MiB: the 40 MiB line was read whole"  # a 1 MB cap, one line held
    articles = {i.source_uri.rsplit("/", 1)[1] for i in items if isinstance(i, Article)}
    assert articles == {"good.txt", "one-huge-line.jsonl#id=small", "one-huge-line.jsonl#id=after"}
    fails = {i.source_uri.rsplit("/", 1)[1]: i for i in items if isinstance(i, Failure)}
    assert fails["one-huge-line.jsonl#line=2"].error_type == "OversizedInput"
    assert "41,943,0" in fails["one-huge-line.jsonl#line=2"].message
    assert fails["pipe.txt"].error_type == "UnreadableInput" and "a FIFO" in fails["pipe.txt"].message


@runs_pipeline
@pytest.mark.timeout(300)
def test_a_fifo_in_a_run_gets_a_failures_row_instead_of_hanging(tmp_path):
    inputs = good_folder(tmp_path / "in")
    os.mkfifo(inputs / "pipe.txt")
    out = tmp_path / "pq"
    result = cli_in_process("run", str(inputs), "--out", str(out))
    assert result.exit_code == EXIT_OK, result.output
    assert_good_landed(out)
    assert "not a regular file (a FIFO)" in one_row_for(out, "pipe.txt").message


# --- 5. unreadable sub-folders -----------------------------------------------------------------------------------
@runs_pipeline
def test_an_unreadable_sub_folder_gets_a_failures_row(tmp_path, cli_env):
    inputs = good_folder(tmp_path / "in")
    locked = inputs / "locked"
    locked.mkdir()
    (locked / "hidden-from-us.txt").write_text(GOOD, encoding="utf-8")
    locked.chmod(0)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root reads any folder; in a user namespace of its own it is bound by the mode bits
        unshare = shutil.which("unshare")
        if unshare is None or subprocess.run([unshare, "-U", "true"], check=False).returncode != 0:
            pytest.skip(reason="running as root without `unshare -U`: cannot make a folder unreadable")
        prefix = (unshare, "-U")
    out = tmp_path / "pq"
    try:
        proc = cli(cli_env, "run", str(inputs), "--out", str(out), prefix=prefix)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == EXIT_OK, proc.output
    assert_good_landed(out)
    row = one_row_for(out, "in/locked")
    assert row.error_type == "UnreadableInput" and "cannot list the folder" in row.message
    assert "Permission denied" in row.message


# --- 6. record dates -----------------------------------------------------------------------------------------
@runs_pipeline
def test_record_dates_in_common_forms_are_read_and_unreadable_ones_warned(tmp_path):
    inputs = good_folder(tmp_path / "in")
    given = {"slash-dmy": "27/02/2026", "slash-mdy": "02/27/2026", "dots": "27.02.2026", "ymd": "2026/02/27",
             "epoch": 1772150400, "ambiguous": "03/04/2026", "nonsense": "around teatime"}
    (inputs / "feed.jsonl").write_text("".join(json.dumps({"id": k, "text": f"{GOOD} ({k})", "published_date": v})
                                               + "\n" for k, v in given.items()), encoding="utf-8")
    for order, ambiguous in (("DMY", "2026-04-03"), ("MDY", "2026-03-04")):
        out = tmp_path / order
        result = cli_in_process("run", str(inputs), "--out", str(out), "--date-order", order)
        assert result.exit_code == EXIT_OK, result.output
        articles = read_table(out, "articles")
        dates = {u.rsplit("=", 1)[1]: d for u, d in zip(articles.source_uri, articles.published_date, strict=True)
                 if "#id=" in u}
        assert {k: str(dates[k]) for k in ("slash-dmy", "slash-mdy", "dots", "ymd", "epoch")} == dict.fromkeys(
            ("slash-dmy", "slash-mdy", "dots", "ymd", "epoch"), "2026-02-27")
        assert str(dates["ambiguous"]) == ambiguous
        assert dates["nonsense"] is None or pd.isna(dates["nonsense"])
        row = one_row_for(out, "#id=nonsense", "warning")
        assert row.error_type == "UnreadDate" and "around teatime" in row.message
        assert list(read_table(out, "runs").n_warnings) == [1]


# --- 8. expected errors: one line, a documented exit code, no temp files ------------------------------------------
def _hold_lock(store_dir: Path) -> tuple[threading.Event, threading.Thread]:
    held, release = threading.Event(), threading.Event()

    def hold():
        with ParquetStore(str(store_dir)).lock():
            held.set()
            release.wait(120)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(30)
    return release, thread


@runs_pipeline
def test_a_locked_store_is_one_line_and_exit_3_naming_lock_timeout(tmp_path, cli_env):
    inputs = good_folder(tmp_path / "in")
    out = tmp_path / "pq"
    release, thread = _hold_lock(out)
    try:
        proc = cli(cli_env, "run", str(inputs), "--out", str(out), "--lock-timeout", "1")
    finally:
        release.set()
        thread.join()
    assert proc.returncode == EXIT_LOCKED, proc.output
    [line] = error_lines(proc.output)
    assert "StoreLocked" in line and "waited 1s" in line and "--lock-timeout" in line
    assert not list((out / "_staging").glob("*")) if (out / "_staging").exists() else True
    assert "articles" not in os.listdir(out)


@runs_pipeline
def test_reprocess_of_an_unknown_id_and_report_to_a_folder_are_one_line_exit_2(tmp_path):
    inputs = good_folder(tmp_path / "in")
    out = tmp_path / "pq"
    assert cli_in_process("run", str(inputs), "--out", str(out)).exit_code == EXIT_OK
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    result = cli_in_process("reprocess", "0123456789abcdef", "--out", str(out))
    assert result.exit_code == EXIT_USAGE, result.output
    assert len(result.output.strip().splitlines()) == 1 and "NotInStore" in result.output
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    result = cli_in_process("report", "--store", str(out), "--out", str(report_dir))
    assert result.exit_code == EXIT_USAGE, result.output
    assert "is a folder" in result.output and len(result.output.strip().splitlines()) == 1
    assert list(report_dir.iterdir()) == [] and not list(tmp_path.glob(".*.tmp"))
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    path.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                           capture_output=True, check=False).returncode != 0:
        pytest.skip(reason="needs root and tmpfs to make a real full disk")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while os.write(fd, b"\0" * 65536):
                pass
    finally:
        os.close(fd)


@runs_pipeline
def test_a_full_disk_is_one_line_exit_4_not_retried_and_earlier_rows_stay(tmp_path, cli_env):
    with small_disk(tmp_path / "disk", "8m") as disk:
        out = disk / "pq"
        first = cli(cli_env, "run", str(good_folder(tmp_path / "in1")), "--out", str(out))
        assert first.returncode == EXIT_OK, first.output
        stored = read_table(out, "articles")
        second_in = tmp_path / "in2"
        second_in.mkdir()
        (second_in / "new.txt").write_text(f"{GOOD} A new article.\n", encoding="utf-8")
        _fill(disk)
        started = time.monotonic()
        proc = cli(cli_env, "run", str(second_in), "--out", str(out))
        elapsed = time.monotonic() - started
        assert proc.returncode == EXIT_STORE, proc.output
        [line] = error_lines(proc.output)
        assert "StoreWriteError" in line and "No space left on device" in line
        assert elapsed < 120  # not retried with 1 + 4 + 16 s waits
        assert not any((out / "_staging").iterdir())  # no temp files left
        pd.testing.assert_frame_equal(read_table(out, "articles"), stored)  # nothing written is lost


@runs_pipeline
def test_show_on_an_article_over_max_length_is_one_line(tmp_path):
    big = tmp_path / "long.txt"
    paragraph = " ".join([GOOD] * 10)
    big.write_text("\n".join([paragraph] * 1300), encoding="utf-8")
    assert 1_000_000 < big.stat().st_size < 5_000_000
    result = cli_in_process("show", str(big))
    assert result.exit_code == EXIT_NOTHING, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "ArticleTooLong" in result.output and "--max-length" in result.output


# --- 9. all five tables from the first run -------------------------------------------------------------------
@runs_pipeline
@pytest.mark.parametrize("bad_only", [False, True])
def test_all_five_tables_read_with_pandas_duckdb_and_polars_from_the_first_run(tmp_path, bad_only):
    inputs = tmp_path / "in"
    if bad_only:
        inputs.mkdir()
        (inputs / "empty.txt").write_bytes(b"")
    else:
        good_folder(inputs)
    out = tmp_path / "pq"
    result = cli_in_process("run", str(inputs), "--out", str(out))
    assert result.exit_code == (EXIT_NOTHING if bad_only else EXIT_OK), result.output
    for table in TABLES:
        n = len(pd.read_parquet(out / table))
        assert duckdb.sql(f"select count(*) from read_parquet('{out / table}/**/*.parquet', "
                          "hive_partitioning=true)").fetchall() == [(n,)]
        assert pl.scan_parquet(out / table / "**/*.parquet").collect().height == n
        expected = {"runs": 1, "failures": int(bad_only), "articles": int(not bad_only)}.get(table)
        if expected is not None:
            assert n == expected, table


# --- 10. URLs -------------------------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    hits: dict = {}
    active = 0
    peak = 0
    lock = threading.Lock()

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        page = self.path.startswith("/page/")
        with cls.lock:
            cls.hits[self.path] = cls.hits.get(self.path, 0) + 1
            cls.active += page
            cls.peak = max(cls.peak, cls.active)
        try:
            self._serve()
        finally:
            with cls.lock:
                cls.active -= page

    def _serve(self) -> None:
        if self.path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(200):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
        else:  # /page/N: a good page, a little slow, so fetches overlap
            time.sleep(0.3)
            body = f"<html><body><article><p>{GOOD} Page {self.path}.</p></article></body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture
def web():
    _Handler.hits, _Handler.active, _Handler.peak = {}, 0, 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_urls_redirect_to_file_is_not_retried_one_deadline_per_url_and_bounded_concurrency(web):
    policy = FetchPolicy(connect_timeout=1, read_timeout=1, total_timeout=1.5, attempts=4, backoff=0.01)
    [redirect] = read_source(url_source(f"{web}/to-file"), policy=policy)
    assert (redirect.stage, redirect.error_type) == ("fetch", "FetchError") and "file" in redirect.message
    assert _Handler.hits["/to-file"] == 1
    [drip] = read_source(url_source(f"{web}/drip"), policy=policy)
    assert drip.error_type == "TransientFetchError" and "1.5" in drip.message
    assert _Handler.hits["/drip"] == 1  # one deadline for the URL: no second attempt after it passed
    pages = [url_source(f"{web}/page/{i}") for i in range(12)]
    items = list(read_all(pages, policy=policy, fetch_workers=4))
    assert [i.source_uri for i in items] == [p.uri for p in pages]  # input order kept
    assert all(isinstance(i, Article) for i in items)
    assert 1 < _Handler.peak <= 4


@runs_pipeline
def test_a_run_over_urls_lands_the_good_pages_and_records_the_bad(tmp_path, web):
    out = tmp_path / "pq"
    result = cli_in_process("run", f"{web}/page/1", f"{web}/to-file", f"{web}/page/2", "--out", str(out))
    assert result.exit_code == EXIT_OK, result.output
    assert len(read_table(out, "articles")) == 2
    assert one_row_for(out, "/to-file").error_type == "FetchError"


# --- 11. the profile is recorded and counts as a change ---------------------------------------------------------
@runs_pipeline
def test_a_change_of_profile_reprocesses_and_is_recorded(tmp_path):
    inputs = good_folder(tmp_path / "in")
    (inputs / "second.txt").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "pq"
    assert cli_in_process("run", str(inputs), "--out", str(out)).exit_code == EXIT_OK
    result = cli_in_process("run", str(inputs), "--out", str(out), "--profile", "fast")
    assert result.exit_code == EXIT_OK, result.output
    assert "2 articles processed (0 unchanged" in result.output
    articles = read_table(out, "articles")
    assert set(articles.profile) == {"fast"} and articles.stance_version.notna().all()
    again = cli_in_process("run", str(inputs), "--out", str(out), "--profile", "fast")
    assert "0 articles processed (2 unchanged" in again.output
    runs = read_table(out, "runs").sort_values("started_at")
    assert list(runs.profile) == ["default", "fast", "fast"]


def test_errno_classes_are_retried_only_when_transient():
    from oped_extract.errors import UndecodableText, is_transient

    for code in (errno.ELOOP, errno.ENOENT, errno.EACCES, errno.EISDIR, errno.ENOSPC, errno.EROFS):
        assert not is_transient(OSError(code, os.strerror(code))), errno.errorcode[code]
    for code in (errno.EIO, errno.ETIMEDOUT, errno.ECONNRESET, errno.EAGAIN):
        assert is_transient(OSError(code, os.strerror(code))), errno.errorcode[code]
    assert not is_transient(UndecodableText("x")) and not is_transient(UnicodeDecodeError("utf-8", b"", 0, 1, "x"))


# --- a whole run on generated folders (hypothesis) ----------------------------------------------------------------
SENTENCES = [GOOD, "Kabul must act against the TTP, the minister said on Tuesday.",
             "The café owners in Zürich say the naïve plan will fail.", "February 27, 2026",
             "The writer is a journalist. He tweets @ab_c", "Islamabad should reopen talks with the Afghan Taliban."]
DATES = ["2026-02-27", "27/02/2026", "02/27/2026", 1772150400, "0999-01-01", "soon", None, 7, ["2026"]]


def _txt_content():
    from hypothesis import strategies as st

    prose = st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4).map("\n".join)
    encoded = st.tuples(prose, st.sampled_from(["utf-8", "cp1252", "utf-16", "utf-16-le", "utf-8-sig"])).map(
        lambda pe: pe[0].encode(pe[1]))
    raw = st.one_of(encoded, st.binary(max_size=200), st.text(max_size=120).map(lambda t: t.encode("utf-8")))
    return raw.map(lambda data: (data, 1))  # (bytes, inputs in it)


def _jsonl_content():
    from hypothesis import strategies as st

    good = st.fixed_dictionaries({"text": st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=3)
                                  .map(" ".join)}, optional={"published_date": st.sampled_from(DATES),
                                                             "title": st.sampled_from(["T", "", 3])})
    bad = st.sampled_from(['{"text": "cut', "[" * 3000 + "]" * 3000, '"a string"', '{"body": "x"}',
                           '{"text": "\\ud800 lone surrogate in an article"}', '{"text": "   "}'])
    line = st.one_of(good.map(lambda r: json.dumps(r, ensure_ascii=False)), bad)
    return st.tuples(st.lists(line, min_size=1, max_size=5), st.sampled_from(["utf-8", "utf-16"])).map(
        lambda le: (("\n".join(le[0]) + "\n").encode(le[1]), len(le[0])))


@runs_pipeline
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_whole_run_on_generated_folders_accounts_for_every_input(tmp_path_factory):
    """Every generated input ends as articles rows or error rows in `failures` (one per file, or one per JSONL
    line), never as a crashed or silent run; a second run finds everything unchanged."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from oped_extract.flows.batch import run_batch

    names = st.text(alphabet="abcdefgh-_ ", min_size=1, max_size=8).map(str.strip).filter(bool)
    files = st.lists(st.tuples(st.sampled_from(["", "sub/", "sub/deeper/"]), names,
                               st.one_of(st.tuples(st.just(".txt"), _txt_content()),
                                         st.tuples(st.just(".jsonl"), _jsonl_content()))),
                     min_size=1, max_size=6, unique_by=lambda f: f[1])

    @given(files)
    # No shrinking: a failing folder is reported as generated (shrinking whole runs would take many minutes).
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    def check(spec):
        root = tmp_path_factory.mktemp("gen")
        inputs, out = root / "in", root / "pq"
        units: dict[str, int] = {}
        for folder, name, (suffix, (data, n_inputs)) in spec:
            path = inputs / folder / f"{name}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            units[str(path)] = n_inputs
        summary = run_batch(Settings(inputs=(str(inputs),), out=str(out), chunk_size=3, write_batch=4).validated())
        assert summary.status == "completed"
        articles, fails = read_table(out, "articles"), failures(out)
        errors = fails[fails.severity == "error"]
        assert set(fails[fails.severity == "warning"].error_type) <= {"UnreadDate"}
        by_file = {p: (0, 0) for p in units}
        for uri in articles.source_uri:
            a, f = by_file[uri.split("#")[0]]
            by_file[uri.split("#")[0]] = (a + 1, f)
        for uri in errors.source_uri:
            a, f = by_file[uri.split("#")[0]]
            by_file[uri.split("#")[0]] = (a, f + 1)
        for path, (n_articles, n_errors) in by_file.items():
            whole_file_failed = (errors.source_uri == path).any()
            if whole_file_failed:
                assert (n_articles, n_errors) == (0, 1), path
            else:
                assert n_articles + n_errors == units[path], (path, n_articles, n_errors)
        assert summary.n_processed == len(articles) and summary.n_failed == len(errors)
        for table in TABLES:
            pd.read_parquet(out / table)
        again = run_batch(Settings(inputs=(str(inputs),), out=str(out)).validated())
        assert (again.n_processed, again.n_skipped_unchanged) == (0, len(articles))

    check()
