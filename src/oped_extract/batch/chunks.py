"""Chunks: read sources group by group into chunks of new or changed articles, and run a chunk through spaCy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
from spacy.language import Language

from oped_extract.errors import ArticleTooLong
from oped_extract.ingest.discovery import Source
from oped_extract.ingest.readers import dedupe, read_all
from oped_extract.ingest.records import Article, Failure
from oped_extract.settings import DEFAULTS, Settings
from oped_extract.store.rows import RunContext, article_rows, tables_from_rows
from oped_extract.store.runs import RunSummary, select_changed
from oped_extract.store.schema import ARTICLE_TABLES

Reader = Callable[[Sequence[Source], int], Iterable[Article | Failure]]


def article_chunks(
    sources: Sequence[Source], settings: Settings, summary: RunSummary, stored: dict[str, str],
    read: Reader = read_all,
) -> Iterator[list[Article]]:
    """Read sources `chunk_size` at a time; yield chunks of `chunk_size` new or changed articles, counting the
    rest (failures, unchanged, repeated) in `summary`. `stored` maps article_id -> stored content_sha256;
    `read` is `read_all` or a wrapper of it (a flow's retried task)."""
    seen: set[str] = set()
    pending: list[Article] = []
    for start in range(0, len(sources), settings.chunk_size):
        items = list(read(sources[start:start + settings.chunk_size], settings.max_bytes))
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


@dataclass
class ChunkResult:
    """The rows of the articles of one chunk, and the articles that could not be processed."""

    tables: dict[str, pa.Table]
    article_ids: list[str]
    failures: list[Failure] = field(default_factory=list)
    n_words: int = 0


def process_chunk(
    articles: Sequence[Article], nlp: Language, ctx: RunContext, batch_size: int = DEFAULTS.batch_size
) -> ChunkResult:
    """Stream the chunk through `nlp.pipe`; rows are built inside a memory zone so the string store stays bounded."""
    failures: list[Failure] = []
    accepted: list[Article] = []
    for article in articles:
        if len(article.body_text) > nlp.max_length:
            exc = ArticleTooLong(
                f"body is {len(article.body_text):,} characters, over the model's max_length "
                f"{nlp.max_length:,}; split the article or raise nlp.max_length: {article.source_uri}"
            )
            failures.append(Failure.of(article.source_uri, exc))
        else:
            accepted.append(article)
    per_article = []
    n_words = 0
    with nlp.memory_zone():
        docs = nlp.pipe((a.body_text for a in accepted), batch_size=batch_size)
        for article, doc in zip(accepted, docs, strict=False):
            per_article.append((article, article_rows(article, doc, ctx)))
            n_words += len(doc)
    return ChunkResult(
        tables=tables_from_rows(per_article),
        article_ids=[a.article_id for a in accepted],
        failures=failures,
        n_words=n_words,
    )


def merge_results(results: Sequence[ChunkResult]) -> ChunkResult:
    """Several chunks as one, so the store is written once for many chunks."""
    return ChunkResult(
        tables={t: pa.concat_tables([r.tables[t] for r in results]) for t in ARTICLE_TABLES},
        article_ids=[a for r in results for a in r.article_ids],
        failures=[f for r in results for f in r.failures],
        n_words=sum(r.n_words for r in results),
    )
