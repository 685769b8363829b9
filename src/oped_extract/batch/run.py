"""A run's start and end without Prefect: its store, summary and row context; its runs and failures rows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from spacy.language import Language

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
    ctx: RunContext  # what every row of the run records (run id, versions, profile, time)


def start_run(settings: Settings) -> BatchRun:
    nlp = load_pipeline(settings.model, settings.profile, settings.gazetteers)
    model_name, model_version = model_info(nlp)
    started = utcnow()
    summary = RunSummary(run_id=new_run_id(started), started_at=started, model_name=model_name,
                         profile=settings.profile)
    ctx = RunContext(summary.run_id, PIPELINE_VERSION, model_name, model_version, started, settings.profile,
                     stance_version(nlp))
    store = ParquetStore(settings.out, storage_options=settings.storage_options, lock_timeout=settings.lock_timeout)
    return BatchRun(store, summary, ctx)


def stance_version(nlp: Language) -> str | None:
    """The version of what scores stance, read defensively: the stance model's version as the component or
    nlp.meta states it (with the cue lexicon's hash when given), else the cue file's version and hash."""
    if "oped_stance" not in nlp.pipe_names:
        return None
    component = nlp.get_pipe("oped_stance")
    meta = nlp.meta.get("oped_stance")
    meta = meta if isinstance(meta, dict) else {}
    for value in (getattr(component, "model_version", None), getattr(component, "version", None),
                  meta.get("model_version"), meta.get("version"), nlp.meta.get("oped_stance_version")):
        if isinstance(value, (str, int, float)) and str(value):
            cues = meta.get("cues_sha256")
            return f"{value}+cues-{cues[:8]}" if isinstance(cues, str) and cues else str(value)
    try:
        path = nlp.get_pipe_config("oped_stance").get("cues_path") or resources.files("oped_extract").joinpath(
            "data", "stance_cues.json")
        raw = Path(str(path)).read_bytes()
        return f"cues-{json.loads(raw).get('version', '?')}+{hashlib.sha256(raw).hexdigest()[:8]}"
    except (OSError, ValueError, AttributeError, KeyError):
        return None


def record_run(run: BatchRun) -> None:
    """Append the run and its failures to the append-only runs and failures tables; every table exists after."""
    run.summary.finished_at = utcnow()
    if run.summary.failures:
        run.store.append("failures", run.summary.failures_table())
    run.store.append("runs", run.summary.runs_table())
    run.store.ensure_tables()
