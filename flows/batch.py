"""Batch flow: discover -> skip unchanged -> chunks through spaCy -> write Parquet -> record the run."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence

from oped_extract.flows.prefect_env import adopt_early_api
from oped_extract.flows.runner import make_task_runner
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from oped_extract import PIPELINE_VERSION
from oped_extract.batch.chunks import ChunkResult, merge_results, process_chunk
from oped_extract.ingest.discovery import DEFAULT_INCLUDE, DEFAULT_MAX_BYTES, Source, discover
from oped_extract.ingest.readers import dedupe, read_all
from oped_extract.ingest.records import Article, Failure
from oped_extract.nlp.pipeline import load_pipeline, model_info, warm_up_in_background
from oped_extract.settings import Settings
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.rows import RunContext
from oped_extract.store.runs import RunSummary, new_run_id, select_changed, utcnow


def _is_transient(task, task_run, state) -> bool:
    """Retry only I/O faults. Bad input never raises (it becomes a Failure record), so it is never retried."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - anything else is a bug or bad input: fail, don't retry
        return False
    return False


RETRIES = {"retries": 3, "retry_delay_seconds": [1, 4, 16], "retry_condition_fn": _is_transient}


@task(name="read-inputs", cache_policy=NO_CACHE, **RETRIES)
def read_with_retries(read: Callable, *args) -> list[Article | Failure]:
    return list(read(*args))


@task(name="nlp-chunk", cache_policy=NO_CACHE)
def nlp_chunk(articles: Sequence[Article], settings: Settings, ctx: RunContext) -> ChunkResult:
    # load_pipeline is cached per process: one model load per worker, not per chunk or article.
    nlp = load_pipeline(settings.model, settings.profile, settings.gazetteers)
    return process_chunk(articles, nlp, ctx, batch_size=settings.batch_size)


@task(name="write-chunk", cache_policy=NO_CACHE, **RETRIES)
def write_chunk(store: ParquetStore, result: ChunkResult) -> None:
    store.upsert(result.tables)


def start_run(settings: Settings) -> tuple[ParquetStore, RunSummary, RunContext]:
    model_name, model_version = model_info(load_pipeline(settings.model, settings.profile, settings.gazetteers))
    started = utcnow()
    summary = RunSummary(run_id=new_run_id(started), started_at=started, model_name=model_name)
    ctx = RunContext(summary.run_id, PIPELINE_VERSION, model_name, model_version, started)
    return ParquetStore(settings.out, storage_options=settings.storage_options), summary, ctx


def finish_run(store: ParquetStore, summary: RunSummary) -> None:
    """Append the run and its failures (append-only tables) and publish the summary artifact."""
    summary.finished_at = utcnow()
    store.append("runs", summary.runs_table())
    if summary.failures:
        store.append("failures", summary.failures_table())
    create_markdown_artifact(summary.as_markdown(), key="oped-run-summary", description="oped-extract run summary")


@flow(name="oped-batch")
def batch_flow(
    inputs: list[str],
    out: str = "data/parquet",
    model: str | None = None,
    profile: str = "default",
    gazetteers: list[str] | None = None,
    chunk_size: int = 200,
    batch_size: int = 64,
    force: bool = False,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    parallel_chunks: int = 1,
    write_batch: int = 2000,
    storage_options: dict | None = None,
) -> RunSummary:
    """Process new or changed articles under `inputs` into the Parquet store at `out`."""
    settings = Settings(
        inputs=tuple(inputs), out=out, model=model, profile=profile, gazetteers=tuple(gazetteers or ()),
        chunk_size=chunk_size, batch_size=batch_size,
        force=force, include=tuple(include or DEFAULT_INCLUDE), exclude=tuple(exclude or ()), max_bytes=max_bytes,
        workers=parallel_chunks, write_batch=write_batch, storage_options=storage_options or {},
    ).validated()
    logger = get_run_logger()
    store, summary, ctx = start_run(settings)
    sources = list(discover(settings.inputs, settings.include, settings.exclude))
    logger.info("run %s: %d inputs, model %s, out %s", summary.run_id, len(sources), summary.model_name, settings.out)
    with store.lock():
        writer = _BufferedWriter(store, summary, settings.write_batch)
        in_flight: deque = deque()
        for chunk in _article_chunks(sources, settings, summary, store.content_index()):
            if settings.workers == 1:  # in this thread: a worker thread would only add GIL hand-offs
                writer.add(nlp_chunk(chunk, settings, ctx))
                continue
            # At most `parallel_chunks` chunks in spaCy at once: bounded memory, and one nlp per thread.
            while len(in_flight) >= settings.workers:
                writer.add(in_flight.popleft().result())
            in_flight.append(nlp_chunk.submit(chunk, settings, ctx))
        while in_flight:
            writer.add(in_flight.popleft().result())
        writer.flush()
        finish_run(store, summary)
    logger.info("run %s done: %d processed, %d skipped unchanged, %d failed in %.1fs", summary.run_id,
                summary.n_processed, summary.n_skipped_unchanged, summary.n_failed, summary.seconds)
    return summary


def _article_chunks(
    sources: Sequence[Source], settings: Settings, summary: RunSummary, stored: dict[str, str]
) -> Iterator[list[Article]]:
    """Read sources group by group; yield chunks of `chunk_size` new or changed articles, counting the rest."""
    seen: set[str] = set()
    pending: list[Article] = []
    for start in range(0, len(sources), settings.chunk_size):
        items = read_with_retries(read_all, sources[start:start + settings.chunk_size], settings.max_bytes)
        summary.add_failures([i for i in items if isinstance(i, Failure)])
        articles = [i for i in dedupe(items, seen) if isinstance(i, Article)]
        summary.n_seen += len(items)
        todo, skipped = select_changed(articles, stored, settings.force)
        summary.n_skipped_unchanged += len(skipped)
        pending.extend(todo)
        while len(pending) >= settings.chunk_size:
            yield pending[:settings.chunk_size]
            pending = pending[settings.chunk_size:]
    if pending:
        yield pending


class _BufferedWriter:
    """Collects processed chunks and upserts them `write_batch` articles at a time: an upsert rewrites the
    bucket files it touches, so fewer, larger writes keep a big backfill from rewriting the store per chunk."""

    def __init__(self, store: ParquetStore, summary: RunSummary, write_batch: int) -> None:
        self.store, self.summary, self.write_batch = store, summary, write_batch
        self.pending: list[ChunkResult] = []

    def add(self, result: ChunkResult) -> None:
        self.pending.append(result)
        self.summary.add_failures(result.failures)
        if sum(len(r.article_ids) for r in self.pending) >= self.write_batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        merged = merge_results(self.pending)
        self.pending = []
        write_chunk(self.store, merged)
        self.summary.add_chunk(merged.tables, merged.n_words)
        get_run_logger().info(
            "progress: %d inputs read, %d articles written, %d skipped unchanged, %d failed, %.0f words/s",
            self.summary.n_seen, self.summary.n_processed, self.summary.n_skipped_unchanged, self.summary.n_failed,
            self.summary.n_words / max(self.summary.seconds, 1e-9))


def run_batch(settings: Settings) -> RunSummary:
    """Run the batch flow with the task runner the settings ask for (what `oped-extract run` calls)."""
    runner = make_task_runner(settings.runner, settings.workers, settings.dask_address)
    # Load the model while Prefect starts its temporary API (a subprocess): seconds saved on every run.
    warm_up_in_background(settings.model, settings.profile, settings.gazetteers)
    adopt_early_api()  # the temporary API the CLI started early, if it did; else prefect starts one as usual
    return batch_flow.with_options(task_runner=runner)(
        inputs=list(settings.inputs), out=settings.out, model=settings.model, profile=settings.profile,
        gazetteers=list(settings.gazetteers), chunk_size=settings.chunk_size, batch_size=settings.batch_size,
        force=settings.force,
        include=list(settings.include), exclude=list(settings.exclude), max_bytes=settings.max_bytes,
        parallel_chunks=settings.workers if settings.runner == "dask" else 1, write_batch=settings.write_batch,
        storage_options=settings.storage_options or None,
    )
