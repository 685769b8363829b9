"""Buffered writing: processed chunks collected and upserted into the store `write_batch` articles at a time."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from oped_extract.batch.chunks import ChunkResult, merge_results
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.runs import RunSummary


class BufferedWriter:
    """An upsert rewrites the bucket files it touches, so fewer, larger writes keep a big backfill from rewriting
    the store once per chunk. `write` is `store.upsert` or a wrapper of it (a flow's retried task); `on_chunk`
    is told of every chunk as it arrives (progress: see batch.progress.ChunkCounter)."""

    def __init__(
        self, store: ParquetStore, summary: RunSummary, write_batch: int,
        write: Callable[[ParquetStore, dict[str, pa.Table]], None] | None = None,
        on_chunk: Callable[[ChunkResult], object] | None = None,
    ) -> None:
        self.store, self.summary, self.write_batch = store, summary, write_batch
        self.write = write or (lambda store, tables: store.upsert(tables))
        self.on_chunk = on_chunk
        self.pending: list[ChunkResult] = []

    def add(self, result: ChunkResult) -> None:
        self.pending.append(result)
        self.summary.add_failures(result.failures)
        if self.on_chunk is not None:
            self.on_chunk(result)
        if sum(len(r.article_ids) for r in self.pending) >= self.write_batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        merged = merge_results(self.pending)
        self.pending = []
        self.write(self.store, merged.tables)
        self.summary.add_chunk(merged.tables, merged.n_words)
