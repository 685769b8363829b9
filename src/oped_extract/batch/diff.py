"""What a reprocess changes: an article's stored rows against its new rows, as entities and stance sentences
added, removed or relabelled. `preview_reprocess` computes it without writing anything (`reprocess --dry-run`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from oped_extract import PIPELINE_VERSION
from oped_extract.ingest.records import Article, Failure
from oped_extract.settings import Settings
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.schema import ARTICLE_TABLES


@dataclass(frozen=True)
class EntityChange:
    """Mentions that changed the same way: `kind` is added, removed or relabelled (label, entity_id or span)."""

    kind: str
    before: tuple[str, str, str] | None  # (mention text, label, entity_id)
    after: tuple[str, str, str] | None
    count: int = 1


@dataclass(frozen=True)
class StanceChange:
    """A sentence whose stance changed: added (now stance), removed (no longer) or relabelled (type or holder)."""

    kind: str
    sentence_index: int
    text: str
    before: tuple[str, str] | None  # (stance type, holder)
    after: tuple[str, str] | None


@dataclass
class ArticleChanges:
    article_id: str
    source_uri: str
    stored: bool  # the store held the article before
    body_changed: bool
    mentions: tuple[int, int]  # before, after
    stance_sentences: tuple[int, int]
    entities: list[EntityChange] = field(default_factory=list)
    stance: list[StanceChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return self.stored and not (self.body_changed or self.entities or self.stance)


def diff_articles(old: dict[str, pa.Table], new: dict[str, pa.Table]) -> list[ArticleChanges]:
    """Changes per article of `new` (the rows a reprocess writes) against `old` (the stored rows of the same
    articles, e.g. `stored_rows`). Mentions and sentences are matched by offsets when the body is unchanged, else
    by their text (and occurrence)."""
    old_rows = {t: _by_article(old[t]) for t in ARTICLE_TABLES}
    new_rows = {t: _by_article(new[t]) for t in ARTICLE_TABLES}
    out = []
    for article_id, (article,) in new_rows["articles"].items():
        before = old_rows["articles"].get(article_id)
        same_body = bool(before) and before[0]["content_sha256"] == article["content_sha256"]
        old_e, new_e = old_rows["entities"].get(article_id, []), new_rows["entities"].get(article_id, [])
        old_s, new_s = old_rows["sentences"].get(article_id, []), new_rows["sentences"].get(article_id, [])
        out.append(ArticleChanges(
            article_id=article_id, source_uri=article["source_uri"], stored=bool(before),
            body_changed=bool(before) and not same_body,
            mentions=(len(old_e), len(new_e)),
            stance_sentences=(sum(s["is_stance"] for s in old_s), sum(s["is_stance"] for s in new_s)),
            entities=_entity_changes(old_e, new_e, same_body),
            stance=_stance_changes(old_s, new_s, same_body),
        ))
    return out


def stored_rows(store: ParquetStore, article_ids: list[str]) -> dict[str, pa.Table]:
    """The stored rows of `article_ids` in every article table (only their buckets' files are read)."""
    return {t: store.read_articles(t, article_ids) for t in ARTICLE_TABLES}


def preview_reprocess(target: str, settings: Settings) -> tuple[list[ArticleChanges], list[Failure]]:
    """What `reprocess TARGET` would change, computed without writing anything (no lock, no run row)."""
    from oped_extract.batch.chunks import process_chunk
    from oped_extract.batch.run import stance_version
    from oped_extract.batch.targets import articles_for_target
    from oped_extract.ingest.readers import ReadOptions
    from oped_extract.nlp.pipeline import load_pipeline, model_info
    from oped_extract.store.rows import RunContext

    store = ParquetStore(settings.out, storage_options=settings.storage_options)
    items = articles_for_target(target, store, ReadOptions.of(settings))
    articles = [i for i in items if isinstance(i, Article)]
    failures = [i for i in items if isinstance(i, Failure)]
    if not articles:
        return [], failures
    nlp = load_pipeline(settings.model, settings.profile, settings.gazetteers)
    ctx = RunContext("dry-run", PIPELINE_VERSION, *model_info(nlp), dt.datetime.now(dt.UTC), settings.profile,
                     stance_version(nlp))
    result = process_chunk(articles, nlp, ctx, batch_size=settings.batch_size, max_length=settings.max_length)
    old = stored_rows(store, result.article_ids)
    return diff_articles(old, result.tables), failures + result.failures


# ---- matching ----------------------------------------------------------------------------------------------


def _by_article(rows: pa.Table) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows.to_pylist():
        out.setdefault(row["article_id"], []).append(row)
    return out


def _keys(rows: list[dict], by_offsets: bool) -> dict[tuple, dict]:
    """Each row under (start, end) offsets, or under (text, n-th occurrence of that text) when bodies differ."""
    if by_offsets:
        return {(r["start_char"], r["end_char"]): r for r in rows}
    seen: Counter = Counter()
    out = {}
    for r in sorted(rows, key=lambda r: r["start_char"]):
        seen[r["text"]] += 1
        out[(r["text"], seen[r["text"]])] = r
    return out


def _entity_changes(old: list[dict], new: list[dict], same_body: bool) -> list[EntityChange]:
    before, after = _keys(old, same_body), _keys(new, same_body)
    changes: list[tuple[str, tuple | None, tuple | None]] = []
    for key in before.keys() & after.keys():
        o, n = _ent_key(before[key]), _ent_key(after[key])
        if o != n:
            changes.append(("relabelled", o, n))
    gone = [before[k] for k in sorted(before.keys() - after.keys(), key=str)]
    came = [after[k] for k in sorted(after.keys() - before.keys(), key=str)]
    if same_body:  # a span that grew or shrank ("The Durand Line" -> "Durand Line") is one relabelled mention
        for o in list(gone):
            n = next((n for n in came if n["start_char"] < o["end_char"] and o["start_char"] < n["end_char"]), None)
            if n is not None:
                gone.remove(o)
                came.remove(n)
                changes.append(("relabelled", _ent_key(o), _ent_key(n)))
    changes += [("removed", _ent_key(o), None) for o in gone] + [("added", None, _ent_key(n)) for n in came]
    counted = Counter(changes)
    order = {"removed": 0, "added": 1, "relabelled": 2}
    return sorted((EntityChange(kind, b, a, n) for (kind, b, a), n in counted.items()),
                  key=lambda c: (order[c.kind], -c.count, str(c.before or c.after)))


def _ent_key(row: dict) -> tuple[str, str, str]:
    return row["text"], row["label"], row["entity_id"]


def _stance_changes(old: list[dict], new: list[dict], same_body: bool) -> list[StanceChange]:
    before, after = _keys(old, same_body), _keys(new, same_body)
    out = []
    for key, n in after.items():
        o = before.get(key)
        was, now = bool(o and o["is_stance"]), bool(n["is_stance"])
        if now and not was:
            out.append(StanceChange("added", n["sentence_index"], n["text"], None, _stance_key(n)))
        elif was and not now:
            out.append(StanceChange("removed", n["sentence_index"], n["text"], _stance_key(o), None))
        elif was and now and _stance_key(o) != _stance_key(n):
            out.append(StanceChange("relabelled", n["sentence_index"], n["text"], _stance_key(o), _stance_key(n)))
    for key in before.keys() - after.keys():  # a stance sentence that no longer exists as such
        o = before[key]
        if o["is_stance"]:
            out.append(StanceChange("removed", o["sentence_index"], o["text"], _stance_key(o), None))
    return sorted(out, key=lambda s: s.sentence_index)


def _stance_key(row: dict) -> tuple[str, str]:
    return row["stance_type"] or "stance", row["holder"] or "—"
