"""Reprocess flow: re-run one article (path, URL or article_id) and replace exactly its rows."""

from __future__ import annotations

from oped_extract.flows.batch import RETRIES, finish_run, nlp_chunk, stop_run, write_or_raise
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from oped_extract.batch.diff import diff_articles, stored_rows
from oped_extract.batch.run import start_run
from oped_extract.batch.targets import articles_for_target
from oped_extract.ingest.readers import ReadOptions
from oped_extract.ingest.records import Article, Failure
from oped_extract.settings import DEFAULTS, Settings
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.runs import RunSummary


@task(name="read-target", cache_policy=NO_CACHE, **RETRIES)
def read_target(target: str, store: ParquetStore, options: ReadOptions) -> list[Article | Failure]:
    return articles_for_target(target, store, options)


@flow(name="oped-reprocess")
def reprocess_flow(target: str, out: str = DEFAULTS.out, model: str | None = DEFAULTS.model,
                   profile: str = DEFAULTS.profile, gazetteers: list[str] | None = None,
                   lock_timeout: float = DEFAULTS.lock_timeout, date_order: str = DEFAULTS.date_order,
                   max_length: int = DEFAULTS.max_length) -> RunSummary:
    settings = Settings.of(out=out, model=model, profile=profile, gazetteers=gazetteers, force=True,
                           lock_timeout=lock_timeout, date_order=date_order,
                           max_length=max_length).validated(require_inputs=False)
    logger = get_run_logger()
    run = start_run(settings)
    summary = run.summary
    try:
        with run.store.lock():
            items = read_target(target, run.store, ReadOptions.of(settings))
            articles = [i for i in items if isinstance(i, Article)]
            summary.n_seen = len(articles) + sum(1 for i in items if isinstance(i, Failure) and not i.is_warning)
            summary.add_failures([i for i in items if isinstance(i, Failure)])
            if articles:
                result = nlp_chunk(articles, settings, run.ctx)
                # Under the lock: the rows about to be replaced are exactly the ones compared.
                summary.changes = diff_articles(stored_rows(run.store, result.article_ids), result.tables)
                write_or_raise(run.store, result.tables)
                summary.add_chunk(result.tables, result.n_words)
                summary.add_failures(result.failures)
            finish_run(run)
    except BaseException as exc:  # noqa: BLE001 - recorded, then ended as Failed or raised on
        return stop_run(run, exc)
    logger.info("reprocessed %s: %d article(s) replaced, %d failed", target, summary.n_processed, summary.n_failed)
    return summary
