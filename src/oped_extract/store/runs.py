"""What a run did: run ids, the unchanged-article filter, the runs/failures rows and the summary."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from oped_extract import PIPELINE_VERSION
from oped_extract.errors import is_interrupt
from oped_extract.ingest.records import Article, Failure
from oped_extract.store.parquet import Stored
from oped_extract.store.rows import to_table

MAX_LISTED = 50  # failures listed in a summary; all of them are in the failures table


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def select_changed(
    articles: Iterable[Article], stored: Mapping[str, Stored | str], force: bool = False,
    made_with: tuple | None = None,
) -> tuple[list[Article], list[Article]]:
    """Split into (to_process, skipped): an article is skipped when the store holds it with the same content,
    from the same source, made with the same profile, model and stance version (`made_with`). `stored` maps
    article_id -> Stored (or just the content hash)."""
    todo: list[Article] = []
    skipped: list[Article] = []
    for article in articles:
        held = stored.get(article.article_id)
        if isinstance(held, str):
            unchanged = held == article.content_sha256
        else:
            unchanged = held is not None and held.content_sha256 == article.content_sha256 and (
                held.source_uri == article.source_uri) and (made_with is None or held.made_with == made_with)
        (skipped if unchanged and not force else todo).append(article)
    return todo, skipped


@dataclass
class RunSummary:
    """Counts of one run; printed by the CLI and published as a Prefect artifact."""

    run_id: str
    started_at: dt.datetime
    model_name: str
    finished_at: dt.datetime | None = None
    n_seen: int = 0
    n_processed: int = 0
    n_skipped_unchanged: int = 0
    n_failed: int = 0
    n_warnings: int = 0
    profile: str = "default"
    status: str = "completed"  # or "failed" / "interrupted", with `error`
    error: str | None = None
    error_type: str | None = None  # the exception class that stopped the run
    n_entities: int = 0
    n_sentences: int = 0
    n_stance_sentences: int = 0
    n_words: int = 0
    failures: list[Failure] = field(default_factory=list)
    changes: list = field(default_factory=list)  # reprocess: batch.diff.ArticleChanges per article written

    @property
    def seconds(self) -> float:
        end = self.finished_at or utcnow()
        return (end - self.started_at).total_seconds()

    @property
    def all_failed(self) -> bool:
        return self.n_failed > 0 and self.n_processed == 0 and self.n_skipped_unchanged == 0

    def add_chunk(self, tables: Mapping[str, pa.Table], n_words: int) -> None:
        self.n_processed += tables["articles"].num_rows
        self.n_entities += tables["entities"].num_rows
        self.n_sentences += tables["sentences"].num_rows
        self.n_stance_sentences += pc.sum(tables["sentences"]["is_stance"]).as_py() or 0
        self.n_words += n_words

    def add_failures(self, failures: Sequence[Failure]) -> None:
        """Failures and warnings: only failures count as failed inputs."""
        self.failures.extend(failures)
        warnings = sum(1 for f in failures if f.is_warning)
        self.n_warnings += warnings
        self.n_failed += len(failures) - warnings

    def stopped(self, exc: BaseException) -> None:
        """The run was stopped by `exc` (a store fault, an interrupt): say so in its runs row."""
        self.status = "interrupted" if is_interrupt(exc) else "failed"
        self.error_type = type(exc).__name__
        self.error = f"{self.error_type}: {exc}" if str(exc) else self.error_type

    def runs_table(self) -> pa.Table:
        return to_table("runs", [{
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at or utcnow(),
            "n_seen": self.n_seen,
            "n_processed": self.n_processed,
            "n_skipped_unchanged": self.n_skipped_unchanged,
            "n_failed": self.n_failed,
            "n_warnings": self.n_warnings,
            "pipeline_version": PIPELINE_VERSION,
            "model_name": self.model_name,
            "profile": self.profile,
            "status": self.status,
            "error": self.error,
        }])

    def failures_table(self) -> pa.Table:
        at = self.finished_at or utcnow()
        return to_table("failures", [
            {"run_id": self.run_id, "source_uri": f.source_uri, "stage": f.stage, "severity": f.severity,
             "error_type": f.error_type, "message": f.message, "at": at}
            for f in self.failures
        ])

    def as_markdown(self) -> str:
        rate = self.n_words / self.seconds if self.seconds else 0.0
        lines = [
            f"### oped-extract run `{self.run_id}`",
            "",
            "| articles processed | skipped (unchanged) | failed | entities | sentences | stance sentences "
            "| seconds | words/s |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            (f"| {self.n_processed} | {self.n_skipped_unchanged} | {self.n_failed} | {self.n_entities} | "
             f"{self.n_sentences} | {self.n_stance_sentences} | {self.seconds:.1f} | {rate:,.0f} |"),
        ]
        if self.failures:
            lines += ["", "| input | stage | severity | error | message |", "|---|---|---|---|---|"]
            lines += [f"| {f.source_uri} | {f.stage} | {f.severity} | {f.error_type} | {f.message} |"
                      for f in self.failures[:MAX_LISTED]]
            if len(self.failures) > MAX_LISTED:
                lines.append(f"\n… and {len(self.failures) - MAX_LISTED} more: see the failures table")
        if self.error:
            lines += ["", f"**Run {self.status}:** {self.error}"]
        return "\n".join(lines)
