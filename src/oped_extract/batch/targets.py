"""What `reprocess` re-reads: a path, a URL or a stored article_id, mapped back onto the stored article_id."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from oped_extract.batch.identity import Identities
from oped_extract.errors import NotInStore
from oped_extract.ingest.readers import ReadOptions, ingest, read_uri
from oped_extract.ingest.records import Article, Failure
from oped_extract.paths import is_url
from oped_extract.store.parquet import ParquetStore


def check_target(target: str, store: ParquetStore) -> None:
    """Raise NotInStore unless `target` is a file, a URL or an article_id the store holds (reads one bucket)."""
    if not (is_url(target) or Path(target).exists() or store.source_uri(target) is not None):
        raise NotInStore(f"{target!r} is neither a file, a URL nor an article_id in the store at {store.uri}")


def articles_for_target(
    target: str, store: ParquetStore, options: ReadOptions | None = None, **overrides
) -> list[Article | Failure]:
    """Re-read the target. An article already stored keeps its article_id, wherever the new read says it
    comes from, so its rows are replaced rather than duplicated; a new one gets an id no other file holds."""
    index = store.article_index()
    if is_url(target) or Path(target).exists():
        items = list(ingest([target], include=("*",), options=options, **overrides))
    elif target in index:
        items = read_uri(index[target].source_uri, options, **overrides)
    else:
        raise NotInStore(f"{target!r} is neither a file, a URL nor an article_id in the store at {store.uri}")
    id_by_source = {held.source_uri: article_id for article_id, held in index.items()}
    identities = Identities(index)
    out: list[Article | Failure] = []
    for item in items:
        if isinstance(item, Article):
            known = id_by_source.get(item.source_uri)
            item = replace(item, article_id=known) if known else identities.resolve(item)
        out.append(item)
    return out
