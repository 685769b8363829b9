"""Reprocess flow: re-run one article (path, URL or article_id) and replace exactly its rows."""

from __future__ import annotations

from oped_extract.flows.batch import finish_run, nlp_chunk, read_with_retries, start_run, write_chunk
from prefect import flow, get_run_logger

from oped_extract.batch.targets import articles_for_target
from oped_extract.ingest.records import Article, Failure
from oped_extract.settings import Settings
from oped_extract.store.runs import RunSummary


@flow(name="oped-reprocess")
def reprocess_flow(target: str, out: str = "data/parquet", model: str | None = None, profile: str = "default",
                   gazetteers: list[str] | None = None) -> RunSummary:
    settings = Settings(out=out, model=model, profile=profile, gazetteers=tuple(gazetteers or ()),
                        force=True).validated(require_inputs=False)
    logger = get_run_logger()
    store, summary, ctx = start_run(settings)
    with store.lock():
        items = read_with_retries(articles_for_target, target, store, settings.max_bytes)
        articles = [i for i in items if isinstance(i, Article)]
        summary.n_seen = len(items)
        summary.add_failures([i for i in items if isinstance(i, Failure)])
        if articles:
            result = nlp_chunk(articles, settings, ctx)
            write_chunk(store, result)
            summary.add_chunk(result.tables, result.n_words)
            summary.add_failures(result.failures)
        finish_run(store, summary)
    logger.info("reprocessed %s: %d article(s) replaced, %d failed", target, summary.n_processed, summary.n_failed)
    return summary
