"""A run's start and end without Prefect: its store, summary and row context; its runs and failures rows."""

from __future__ import annotations

from dataclasses import dataclass

from oped_extract import PIPELINE_VERSION
from oped_extract.nlp.pipeline import load_pipeline, model_info
from oped_extract.settings import Settings
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.rows import RunContext
from oped_extract.store.runs import RunSummary, new_run_id, utcnow


@dataclass
class BatchRun:
    store: ParquetStore
    summary: RunSummary
    ctx: RunContext  # what every row of the run records (run id, versions, time)


def start_run(settings: Settings) -> BatchRun:
    model_name, model_version = model_info(load_pipeline(settings.model, settings.profile, settings.gazetteers))
    started = utcnow()
    summary = RunSummary(run_id=new_run_id(started), started_at=started, model_name=model_name)
    ctx = RunContext(summary.run_id, PIPELINE_VERSION, model_name, model_version, started)
    return BatchRun(ParquetStore(settings.out, storage_options=settings.storage_options), summary, ctx)


def record_run(run: BatchRun) -> None:
    """Append the run and its failures to the append-only runs and failures tables."""
    run.summary.finished_at = utcnow()
    run.store.append("runs", run.summary.runs_table())
    if run.summary.failures:
        run.store.append("failures", run.summary.failures_table())
