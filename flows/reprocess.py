"""Reprocess flow: re-run one article (path, URL or article_id) and replace exactly its rows."""

from __future__ import annotations

from oped_extract.flows.batch import RETRIES, finish_run, nlp_chunk, write_tables
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from oped_extract.batch.diff import diff_articles, stored_rows
from oped_extract.batch.run import start_run
from oped_extract.batch.targets import articles_for_target
from oped_extract.ingest.records import Article, Failure
from oped_extract.settings import DEFAULTS, Settings
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.runs import RunSummary


@task(name="read-target", cache_policy=NO_CACHE, **RETRIES)
def read_target(target: str, store: ParquetStore, max_bytes: int) -> list[Article | Failure]:
    return articles_for_target(target, store, max_bytes)


@flow(name="oped-reprocess")
def reprocess_flow(target: str, out: str = DEFAULTS.out, model: str | None = DEFAULTS.model,
                   profile: str = DEFAULTS.profile, gazetteers: list[str] | None = None) -> RunSummary:
    settings = Settings.of(out=out, model=model, profile=profile, gazetteers=gazetteers,
                           force=True).validated(require_inputs=False)
    logger = get_run_logger()
    run = start_run(settings)
    summary = run.summary
    with run.store.lock():
        items = read_target(target, run.store, settings.max_bytes)
        articles = [i for i in items if isinstance(i, Article)]
        summary.n_seen = len(items)
        summary.add_failures([i for i in items if isinstance(i, Failure)])
        if articles:
            result = nlp_chunk(articles, settings, run.ctx)
            # Under the lock: the rows about to be replaced are exactly the ones compared.
            summary.changes = diff_articles(stored_rows(run.store, result.article_ids), result.tables)
            write_tables(run.store, result.tables)
            summary.add_chunk(result.tables, result.n_words)
            summary.add_failures(result.failures)
        finish_run(run)
    logger.info("reprocessed %s: %d article(s) replaced, %d failed", target, summary.n_processed, summary.n_failed)
    return summary
