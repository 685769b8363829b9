"""Chunks: read sources into chunks of new or changed articles, and run a chunk through spaCy.

Reading streams: memory holds at most one chunk of articles waiting, whatever the size of an input file. One
article's fault - in a spaCy component, in building its rows, in rows the store would refuse - costs that
article a failures row, never the chunk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
from spacy.language import Language
from spacy.tokens import Doc

from oped_extract.batch.identity import Identities
from oped_extract.errors import ArticleTooLong, OpedError, raise_interrupt
from oped_extract.ingest.discovery import Source
from oped_extract.ingest.readers import ReadOptions, dedupe, read_all
from oped_extract.ingest.records import Article, Failure
from oped_extract.settings import DEFAULTS, Settings
from oped_extract.store.parquet import Stored, validate_article_tables
from oped_extract.store.rows import RunContext, article_rows, tables_from_rows
from oped_extract.store.runs import RunSummary, select_changed
from oped_extract.store.schema import ARTICLE_TABLES

Reader = Callable[[Sequence[Source], ReadOptions], Iterable[Article | Failure]]


def article_chunks(
    sources: Sequence[Source], settings: Settings, summary: RunSummary, stored: dict[str, Stored],
    read: Reader = read_all, made_with: tuple | None = None,
) -> Iterator[list[Article]]:
    """Yield chunks of `chunk_size` new or changed articles, counting the rest (failures, warnings, unchanged,
    repeated) in `summary`. `stored` maps article_id -> what the store holds of it; an article is changed
    when its content, its source or `made_with` (profile, model, stance version) differ."""
    identities = Identities(stored)
    pending: list[Article] = []
    items = read(sources, ReadOptions.of(settings))
    for item in dedupe(identities.resolve_all(_counted(items, summary))):
        if isinstance(item, Failure):
            summary.add_failures([item])
            continue
        todo, skipped = select_changed([item], stored, settings.force, made_with)
        summary.n_skipped_unchanged += len(skipped)
        pending.extend(todo)
        if len(pending) >= settings.chunk_size:
            yield pending
            pending = []
    if pending:
        yield pending


def _counted(items: Iterable[Article | Failure], summary: RunSummary) -> Iterator[Article | Failure]:
    for item in items:
        if not (isinstance(item, Failure) and item.is_warning):
            summary.n_seen += 1
        yield item


@dataclass
class ChunkResult:
    """The rows of the articles of one chunk, and the articles that could not be processed."""

    tables: dict[str, pa.Table]
    article_ids: list[str]
    failures: list[Failure] = field(default_factory=list)
    n_words: int = 0


def process_chunk(
    articles: Sequence[Article], nlp: Language, ctx: RunContext, batch_size: int = DEFAULTS.batch_size,
    max_length: int | None = None,
) -> ChunkResult:
    """Stream the chunk through `nlp.pipe`; rows are built inside a memory zone so the string store stays bounded.

    `max_length` (characters; default nlp.max_length) rejects longer bodies with ArticleTooLong."""
    max_length = max_length or nlp.max_length
    nlp.max_length = max(nlp.max_length, max_length)
    failures: list[Failure] = []
    accepted: list[Article] = []
    for article in articles:
        if len(article.body_text) > max_length:
            failures.append(Failure.of(article.source_uri, too_long(article, max_length)))
        else:
            accepted.append(article)
    per_article = []
    n_words = 0
    with nlp.memory_zone():
        for article, doc in _docs(nlp, accepted, batch_size):
            try:
                if isinstance(doc, BaseException):
                    raise doc
                per_article.append((article, article_rows(article, doc, ctx)))
                n_words += len(doc)
            except Exception as exc:  # noqa: BLE001 - one article's fault costs that article only
                raise_interrupt(exc)
                failures.append(_nlp_failure(article, exc))
    tables, kept, refused = _tables(per_article)
    return ChunkResult(tables=tables, article_ids=kept, failures=failures + refused, n_words=n_words)


def too_long(article: Article, max_length: int) -> ArticleTooLong:
    return ArticleTooLong(
        f"body is {len(article.body_text):,} characters, over the {max_length:,}-character limit; split the "
        f"article, or raise --max-length (spaCy warns of ~1 GB of temporary memory per 100,000 characters): "
        f"{article.source_uri}"
    )


def _docs(nlp: Language, articles: Sequence[Article], batch_size: int) -> Iterator[tuple[Article, Doc | Exception]]:
    """(article, doc) in order; when a component raises, the batch it was in is redone one article at a time,
    so only the article that raises gets its exception instead of a doc."""
    i = 0
    while i < len(articles):
        try:
            for doc in nlp.pipe((a.body_text for a in articles[i:]), batch_size=batch_size):
                yield articles[i], doc
                i += 1
        except Exception as exc:  # noqa: BLE001
            raise_interrupt(exc)
            for article in articles[i:i + batch_size]:
                try:
                    doc = nlp(article.body_text)
                except Exception as exc:  # noqa: BLE001
                    doc = exc
                i += 1
                yield article, doc


def _nlp_failure(article: Article, exc: Exception) -> Failure:
    if isinstance(exc, OpedError):
        return Failure.of(article.source_uri, exc)
    return Failure.unexpected(article.source_uri, "nlp", exc)


def _tables(per_article: list) -> tuple[dict[str, pa.Table], list[str], list[Failure]]:
    """All articles' rows as tables the store accepts; articles whose rows it would refuse become failures
    (checked per article only when the chunk as a whole does not pass)."""
    try:
        return validate_article_tables(tables_from_rows(per_article)), [a.article_id for a, _ in per_article], []
    except Exception:  # noqa: BLE001 - find which article's rows
        pass
    parts, kept, refused = [], [], []
    for article, rows in per_article:
        try:
            parts.append(validate_article_tables(tables_from_rows([(article, rows)])))
            kept.append(article.article_id)
        except Exception as exc:  # noqa: BLE001
            refused.append(_nlp_failure(article, exc))
    if not parts:
        return validate_article_tables(tables_from_rows([])), [], refused
    return {t: pa.concat_tables([p[t] for p in parts]) for t in ARTICLE_TABLES}, kept, refused


def merge_results(results: Sequence[ChunkResult]) -> ChunkResult:
    """Several chunks as one, so the store is written once for many chunks."""
    return ChunkResult(
        tables={t: pa.concat_tables([r.tables[t] for r in results]) for t in ARTICLE_TABLES},
        article_ids=[a for r in results for a in r.article_ids],
        failures=[f for r in results for f in r.failures],
        n_words=sum(r.n_words for r in results),
    )
