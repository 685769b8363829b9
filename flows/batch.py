"""Batch flow: discover -> skip unchanged -> chunks through spaCy -> write Parquet -> record the run."""

from __future__ import annotations

import contextlib
from collections import deque

import pyarrow as pa
from oped_extract.flows.prefect_env import adopt_early_api
from oped_extract.flows.runner import make_task_runner
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from oped_extract.batch.chunks import ChunkResult, article_chunks, process_chunk
from oped_extract.batch.progress import PROGRESS_RECORD, ChunkCounter, ChunkListener, chunk_listener
from oped_extract.batch.run import BatchRun, record_run, start_run
from oped_extract.batch.writer import BufferedWriter
from oped_extract.errors import StoreError, StoreLocked, is_transient, stop_behind
from oped_extract.ingest.discovery import discover
from oped_extract.ingest.records import Article
from oped_extract.nlp.pipeline import load_pipeline, warm_up_in_background
from oped_extract.settings import DEFAULTS, Settings
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.rows import RunContext
from oped_extract.store.runs import RunSummary


def _is_transient(task, task_run, state) -> bool:
    """Retry only faults that may pass (a dropped connection, a busy device): never bad input (it becomes a
    failures row and never raises), and never ENOSPC, EACCES, ENOENT, ELOOP or a schema mismatch."""
    try:
        state.result()
    except Exception as exc:  # noqa: BLE001
        return is_transient(exc)
    return False


RETRIES = {"retries": 3, "retry_delay_seconds": [1, 4, 16], "retry_condition_fn": _is_transient}


@task(name="nlp-chunk", cache_policy=NO_CACHE)
def nlp_chunk(articles: list[Article], settings: Settings, ctx: RunContext) -> ChunkResult:
    # load_pipeline is cached per process: one model load per worker, not per chunk or article.
    nlp = load_pipeline(settings.model, settings.profile, settings.gazetteers)
    return process_chunk(articles, nlp, ctx, batch_size=settings.batch_size, max_length=settings.max_length)


@task(name="write-tables", cache_policy=NO_CACHE, **RETRIES)
def write_tables(store: ParquetStore, tables: dict[str, pa.Table]) -> StoreError | None:
    """Upsert; a store fault that retrying cannot cure comes back as a value, so the flow reports it in one
    line instead of the task logging a traceback (transient faults still raise, to be retried)."""
    try:
        store.upsert(tables)
    except StoreError as exc:
        return exc
    return None


def write_or_raise(store: ParquetStore, tables: dict[str, pa.Table]) -> None:
    fault = write_tables(store, tables)
    if fault is not None:
        raise fault


def finish_run(run: BatchRun) -> None:
    """Record the run in the store and publish its summary as a Prefect artifact."""
    try:
        record_run(run)
    finally:
        create_markdown_artifact(run.summary.as_markdown(), key="oped-run-summary",
                                 description="oped-extract run summary")


def stop_run(run: BatchRun, exc: BaseException, flush=None):
    """A run stopped by `exc`: keep what can be kept (the buffered rows, unless the store itself failed), record
    the runs row saying what happened, and end the flow as Failed - with the summary, not a traceback, for
    a store fault; anything else (an interrupt, a bug of ours) is raised on."""
    logger = get_run_logger()
    exc = stop_behind(exc) or exc  # an interrupt that came back wrapped in a library's error is the interrupt
    run.summary.stopped(exc)
    if flush is not None and not isinstance(exc, StoreError):
        try:
            flush()
        except Exception as flush_exc:  # noqa: BLE001 - the run is failing already; say why, keep going
            logger.warning("could not write the buffered rows: %s: %s", type(flush_exc).__name__, flush_exc)
    if not isinstance(exc, StoreLocked):  # without the lock, nothing may be written
        try:
            finish_run(run)
        except Exception as record_exc:  # noqa: BLE001
            logger.warning("could not record the run: %s: %s", type(record_exc).__name__, record_exc)
    if isinstance(exc, StoreError):
        return Failed(message=f"{type(exc).__name__}: {exc}", data=run.summary)
    raise exc


@flow(name="oped-batch")
def batch_flow(
    inputs: list[str],
    out: str = DEFAULTS.out,
    model: str | None = DEFAULTS.model,
    profile: str = DEFAULTS.profile,
    gazetteers: list[str] | None = None,
    chunk_size: int = DEFAULTS.chunk_size,
    batch_size: int = DEFAULTS.batch_size,
    force: bool = DEFAULTS.force,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    max_bytes: int = DEFAULTS.max_bytes,
    runner: str = DEFAULTS.runner,
    workers: int = DEFAULTS.workers,
    dask_address: str | None = DEFAULTS.dask_address,
    write_batch: int = DEFAULTS.write_batch,
    storage_options: dict | None = None,
    max_length: int = DEFAULTS.max_length,
    date_order: str = DEFAULTS.date_order,
    fetch_workers: int = DEFAULTS.fetch_workers,
    lock_timeout: float = DEFAULTS.lock_timeout,
) -> RunSummary:
    """Process new or changed articles under `inputs` into the Parquet store at `out`.

    One bad input costs itself a failures row; only a store fault stops the run (then the flow ends Failed,
    returning the summary, and the runs row says what happened)."""
    settings = Settings.of(
        inputs=inputs, out=out, model=model, profile=profile, gazetteers=gazetteers, chunk_size=chunk_size,
        batch_size=batch_size, force=force, include=include, exclude=exclude, max_bytes=max_bytes, runner=runner,
        workers=workers, dask_address=dask_address, write_batch=write_batch, storage_options=storage_options,
        max_length=max_length, date_order=date_order, fetch_workers=fetch_workers, lock_timeout=lock_timeout,
    ).validated()
    logger = get_run_logger()
    run = start_run(settings)
    sources = list(discover(settings.inputs, settings.include, settings.exclude))
    logger.info("run %s: %d inputs, model %s, out %s", run.summary.run_id, len(sources), run.summary.model_name,
                settings.out)
    counter = ChunkCounter(run.summary, len(sources), log=lambda line: logger.info(line, extra={PROGRESS_RECORD: True}))
    writer = BufferedWriter(run.store, run.summary, settings.write_batch, write=write_or_raise,
                            on_chunk=counter.chunk_done)
    try:
        # The task runner comes from the parameters, so `run`, `serve` and a worker's deployment run alike.
        with run.store.lock(), make_task_runner(settings.runner, settings.workers, settings.dask_address) as runner:
            chunks = article_chunks(sources, settings, run.summary, run.store.article_index(),
                                    made_with=run.ctx.made_with)
            in_flight: deque = deque()
            for chunk in chunks:
                if settings.chunks_in_flight == 1:
                    writer.add(nlp_chunk(chunk, settings, run.ctx))
                    continue
                while len(in_flight) >= settings.chunks_in_flight:  # bounded memory, one pipeline per worker
                    writer.add(in_flight.popleft().result())
                in_flight.append(runner.submit(nlp_chunk, {"articles": chunk, "settings": settings, "ctx": run.ctx}))
            while in_flight:
                writer.add(in_flight.popleft().result())
            writer.flush()
            finish_run(run)
    except BaseException as exc:  # noqa: BLE001 - recorded, then ended as Failed or raised on
        return stop_run(run, exc, writer.flush)
    s = run.summary
    logger.info("run %s done: %d processed, %d skipped unchanged, %d failed in %.1fs", s.run_id, s.n_processed,
                s.n_skipped_unchanged, s.n_failed, s.seconds)
    return s


def flow_parameters(settings: Settings) -> dict:
    """The batch flow's parameters for these settings (a direct call, or a deployment's parameters)."""
    return {
        "inputs": list(settings.inputs), "out": settings.out, "model": settings.model, "profile": settings.profile,
        "gazetteers": list(settings.gazetteers), "chunk_size": settings.chunk_size,
        "batch_size": settings.batch_size, "force": settings.force, "include": list(settings.include),
        "exclude": list(settings.exclude), "max_bytes": settings.max_bytes, "runner": settings.runner,
        "workers": settings.workers, "dask_address": settings.dask_address, "write_batch": settings.write_batch,
        "storage_options": settings.storage_options or None, "max_length": settings.max_length,
        "date_order": settings.date_order, "fetch_workers": settings.fetch_workers,
        "lock_timeout": settings.lock_timeout,
    }


def run_batch(settings: Settings, on_chunk: ChunkListener | None = None) -> RunSummary:
    """Run the batch flow in this process (what `oped-extract run` calls); `on_chunk` is told of every chunk."""
    # Load the model while Prefect starts its temporary API (a subprocess): seconds saved on every run.
    warm_up_in_background(settings.model, settings.profile, settings.gazetteers)
    adopt_early_api()  # the temporary API the CLI started early, if it did; else prefect starts one as usual
    with chunk_listener(on_chunk) if on_chunk else contextlib.nullcontext():
        return summary_of(batch_flow(**flow_parameters(settings), return_state=True))


def summary_of(state) -> RunSummary:
    """The RunSummary a flow run returned, also when a store fault ended it Failed; other failures raise."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        raise result
    return result
