"""Articles -> tables: run a chunk of articles through spaCy and collect their rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
from spacy.language import Language

from oped_extract.errors import ArticleTooLong
from oped_extract.ingest.records import Article, Failure
from oped_extract.store.rows import RunContext, article_rows, tables_from_rows
from oped_extract.store.schema import ARTICLE_TABLES

DEFAULT_BATCH_SIZE = 64


@dataclass
class ChunkResult:
    """The rows of the articles of one chunk, and the articles that could not be processed."""

    tables: dict[str, pa.Table]
    article_ids: list[str]
    failures: list[Failure] = field(default_factory=list)
    n_words: int = 0


def process_chunk(
    articles: Sequence[Article], nlp: Language, ctx: RunContext, batch_size: int = DEFAULT_BATCH_SIZE
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
            failures.append(Failure(article.source_uri, exc.stage, exc.error_type, str(exc)))
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
