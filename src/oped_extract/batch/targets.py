"""What `reprocess` re-reads: a path, a URL or a stored article_id, mapped back onto the stored article_id."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from oped_extract.errors import ConfigError
from oped_extract.ingest.readers import ingest, read_uri
from oped_extract.ingest.records import Article, Failure
from oped_extract.paths import is_url
from oped_extract.settings import DEFAULTS
from oped_extract.store.parquet import ParquetStore


def articles_for_target(
    target: str, store: ParquetStore, max_bytes: int = DEFAULTS.max_bytes
) -> list[Article | Failure]:
    """Re-read the target. An article already stored keeps its article_id, wherever the new read says it
    comes from, so its rows are replaced rather than duplicated."""
    stored_sources = store.source_index()
    if is_url(target) or Path(target).exists():
        items = list(ingest([target], include=("*",), max_bytes=max_bytes))
    elif target in stored_sources:
        items = read_uri(stored_sources[target], max_bytes=max_bytes)
    else:
        raise ConfigError(f"{target!r} is neither a file, a URL nor an article_id in the store at {store.uri}")
    id_by_source = {uri: article_id for article_id, uri in stored_sources.items()}
    return [
        replace(item, article_id=id_by_source.get(item.source_uri, item.article_id))
        if isinstance(item, Article) else item
        for item in items
    ]
