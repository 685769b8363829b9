"""What a run did: run ids, the unchanged-article filter, the runs/failures rows and the summary."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from oped_extract import PIPELINE_VERSION
from oped_extract.ingest.records import Article, Failure
from oped_extract.store.rows import to_table


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def select_changed(
    articles: Iterable[Article], stored: Mapping[str, str], force: bool = False
) -> tuple[list[Article], list[Article]]:
    """Split into (to_process, skipped): an article is skipped when its stored content hash is unchanged."""
    todo: list[Article] = []
    skipped: list[Article] = []
    for article in articles:
        unchanged = stored.get(article.article_id) == article.content_sha256
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
        self.failures.extend(failures)
        self.n_failed += len(failures)

    def runs_table(self) -> pa.Table:
        return to_table("runs", [{
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at or utcnow(),
            "n_seen": self.n_seen,
            "n_processed": self.n_processed,
            "n_skipped_unchanged": self.n_skipped_unchanged,
            "n_failed": self.n_failed,
            "pipeline_version": PIPELINE_VERSION,
            "model_name": self.model_name,
        }])

    def failures_table(self) -> pa.Table:
        at = self.finished_at or utcnow()
        return to_table("failures", [
            {"run_id": self.run_id, "source_uri": f.source_uri, "stage": f.stage, "error_type": f.error_type,
             "message": f.message, "at": at}
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
            lines += ["", "| failed input | stage | error | message |", "|---|---|---|---|"]
            lines += [f"| {f.source_uri} | {f.stage} | {f.error_type} | {f.message} |" for f in self.failures]
        return "\n".join(lines)
