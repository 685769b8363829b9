"""Progress of a run, chunk by chunk: one log line per chunk, and listeners such as the CLI's progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from oped_extract.batch.chunks import ChunkResult
from oped_extract.store.runs import RunSummary

# Marks a log record as a per-chunk progress line (a console showing a progress bar can leave these out).
PROGRESS_RECORD = "oped_progress"


@dataclass(frozen=True)
class ChunkProgress:
    """Where a run stands once one more chunk has been through spaCy. Inputs are what discovery found (files,
    URLs; a JSONL file is one input of many articles), so `inputs_read / inputs_total` is the run's fraction."""

    chunks: int
    inputs_read: int
    inputs_total: int
    articles: int  # through spaCy in this run: written, or buffered for the next write
    skipped_unchanged: int
    failed: int
    words: int
    seconds: float  # since the run started

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (f"chunk {self.chunks}: {self.inputs_read}/{self.inputs_total} inputs read, {self.articles} articles "
                f"processed, {self.skipped_unchanged} skipped unchanged, {self.failed} failed, "
                f"{self.words_per_second:,.0f} words/s")


ChunkListener = Callable[[ChunkProgress], None]
_listeners: ContextVar[tuple[ChunkListener, ...]] = ContextVar("oped_chunk_listeners", default=())


@contextmanager
def chunk_listener(listener: ChunkListener) -> Iterator[None]:
    """Call `listener` after every chunk of the runs started inside this block (the CLI's progress bar)."""
    token = _listeners.set((*_listeners.get(), listener))
    try:
        yield
    finally:
        _listeners.reset(token)


class ChunkCounter:
    """Counts one run's chunks. `chunk_done` is the BufferedWriter's per-chunk callback: it logs the chunk's
    progress line through `log` and tells the listeners registered with `chunk_listener`."""

    def __init__(self, summary: RunSummary, inputs_total: int, log: Callable[[str], None] | None = None) -> None:
        self.summary, self.inputs_total, self.log = summary, inputs_total, log
        self.listeners = _listeners.get()  # those of the context the run started in
        self.chunks = self.articles = self.words = 0

    def chunk_done(self, result: ChunkResult) -> ChunkProgress:
        self.chunks += 1
        self.articles += len(result.article_ids)
        self.words += result.n_words
        s = self.summary
        progress = ChunkProgress(chunks=self.chunks, inputs_read=s.n_seen, inputs_total=self.inputs_total,
                                 articles=self.articles, skipped_unchanged=s.n_skipped_unchanged, failed=s.n_failed,
                                 words=self.words, seconds=s.seconds)
        if self.log is not None:
            self.log(progress.line())
        for listener in self.listeners:
            listener(progress)
        return progress
