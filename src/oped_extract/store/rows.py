"""Doc -> rows: pure functions that turn an Article and its processed Doc into table rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
from spacy.tokens import Doc

from oped_extract.ingest.records import Article
from oped_extract.nlp.sentences import trim_whitespace
from oped_extract.store.schema import ARTICLE_TABLES, COLUMNS, PARTITION_COLUMN, schema


@dataclass(frozen=True)
class RunContext:
    """What every row of one run shares."""

    run_id: str
    pipeline_version: str
    model_name: str
    model_version: str
    processed_at: dt.datetime
    profile: str = "default"
    stance_version: str | None = None

    @property
    def made_with(self) -> tuple[str, str, str, str | None]:
        """What, besides the content, decides an article's rows: a stored article made otherwise is "changed"."""
        return self.profile, self.model_name, self.model_version, self.stance_version


def article_rows(article: Article, doc: Doc, ctx: RunContext) -> dict[str, list[dict]]:
    """All rows of one article, keyed by table."""
    # Sentences without the paragraph-ending newline, so text and offsets are the sentence itself.
    sents = [t for t in (trim_whitespace(s) for s in doc.sents) if len(t)]
    sent_starts = [s.start_char for s in sents]
    entities = [_entity_row(article.article_id, i, ent, _sentence_of(ent.start_char, sent_starts))
                for i, ent in enumerate(doc.ents)]
    sentences = [_sentence_row(article.article_id, i, sent) for i, sent in enumerate(sents)]
    article_row = {
        "article_id": article.article_id,
        "source_uri": article.source_uri,
        **article.metadata_dict(),
        "body_text": article.body_text,
        "content_sha256": article.content_sha256,
        "n_sentences": len(sentences),
        "n_tokens": sum(1 for t in doc if not t.is_space),
        "n_entities": len(entities),
        "n_stance_sentences": sum(1 for s in sentences if s["is_stance"]),
        "pipeline_version": ctx.pipeline_version,
        "model_name": ctx.model_name,
        "model_version": ctx.model_version,
        "profile": ctx.profile,
        "stance_version": ctx.stance_version,
        "processed_at": ctx.processed_at,
        "run_id": ctx.run_id,
    }
    return {"articles": [article_row], "entities": entities, "sentences": sentences}


def _sentence_of(start_char: int, sent_starts: list[int]) -> int:
    from bisect import bisect_right

    return max(bisect_right(sent_starts, start_char) - 1, 0)


def _entity_row(article_id: str, index: int, ent, sentence_index: int) -> dict:
    x = ent._
    return {
        "article_id": article_id,
        "mention_index": index,
        "text": ent.text,
        "label": ent.label_,
        "start_char": ent.start_char,
        "end_char": ent.end_char,
        "sentence_index": sentence_index,
        "entity_id": x.entity_id,
        "canonical_name": x.canonical_name or ent.text,
        "kb_id": x.kb_id,
        "source": x.ent_source or "model",
        "latitude": x.latitude,
        "longitude": x.longitude,
        "country_code": x.country_code,
    }


def _sentence_row(article_id: str, index: int, sent) -> dict:
    stance = sent._.stance
    return {
        "article_id": article_id,
        "sentence_index": index,
        "text": sent.text,
        "start_char": sent.start_char,
        "end_char": sent.end_char,
        "is_stance": bool(stance and stance.is_stance),
        "stance_score": float(stance.score) if stance else 0.0,
        "stance_type": stance.stance_type if stance else None,
        "cues": list(stance.cues) if stance else [],
        "holder": stance.holder if stance else None,
        "holder_entity_id": stance.holder_entity_id if stance else None,
        "target_entity_ids": list(stance.target_entity_ids) if stance else [],
    }


def to_table(table: str, rows: Iterable[dict], months: Iterable[str] | None = None) -> pa.Table:
    """Rows -> a pyarrow Table of `table`'s schema; article tables get the `published_month` partition column."""
    rows = list(rows)
    columns = {c.name: [r[c.name] for r in rows] for c in COLUMNS[table]}
    out = pa.Table.from_pydict(columns, schema=schema(table))
    if table in ARTICLE_TABLES:
        out = out.append_column(PARTITION_COLUMN, pa.array(list(months or []), pa.string()))
    return out


def tables_from_rows(per_article: Iterable[tuple[Article, dict[str, list[dict]]]]) -> dict[str, pa.Table]:
    """Many articles' rows -> one Table per article table, with each row's published_month."""
    rows: dict[str, list[dict]] = {t: [] for t in ARTICLE_TABLES}
    months: dict[str, list[str]] = {t: [] for t in ARTICLE_TABLES}
    for article, article_tables in per_article:
        for table in ARTICLE_TABLES:
            rows[table].extend(article_tables[table])
            months[table].extend([article.published_month] * len(article_tables[table]))
    return {t: to_table(t, rows[t], months[t]) for t in ARTICLE_TABLES}
