"""Which article_id a file-named article gets, so that two different files never share one.

An article named by its JSON `id` or its URL keeps that identity: the producer said which article it is. One
named by its path (a file, or a record without id or url) starts from the path relative to the folder given
on the command line, so moving the whole folder keeps its ids. When that id already belongs to another
file - stored from a file that still exists, or with other content, or met earlier in this run - the article
takes the next name: the input folder's name plus the relative path, then the absolute path. A stored id
whose file is gone and whose content is the same is the same article, moved. See docs/inputs.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace

from oped_extract.ingest.records import Article, Failure, make_article_id
from oped_extract.store.parquet import Stored

FILE = "file:"


class Identities:
    """Resolves the article_id of each article of one run against the store and the run so far."""

    def __init__(self, stored: Mapping[str, Stored]) -> None:
        self.stored = stored
        self.claimed: dict[str, str] = {}  # article_id -> source_uri, in this run

    def resolve_all(self, items: Iterable[Article | Failure]) -> Iterator[Article | Failure]:
        for item in items:
            yield self.resolve(item) if isinstance(item, Article) else item

    def resolve(self, article: Article) -> Article:
        if not article.identity.startswith(FILE):
            return article
        for identity in candidates(article):
            article_id = make_article_id(identity)
            if self._free_for(article_id, article):
                self.claimed.setdefault(article_id, article.source_uri)
                if article_id == article.article_id:
                    return article
                return replace(article, article_id=article_id, identity=identity)
        raise AssertionError("the absolute path is always free")  # pragma: no cover

    def _free_for(self, article_id: str, article: Article) -> bool:
        claimed = self.claimed.get(article_id)
        if claimed is not None:
            return claimed == article.source_uri
        held = self.stored.get(article_id)
        if held is None or held.source_uri == article.source_uri:
            return True
        # The same article moved: its old file is gone and the content is the same.
        return held.content_sha256 == article.content_sha256 and not os.path.exists(file_of(held.source_uri))


def candidates(article: Article) -> list[str]:
    """file:<relative path>, file:<input folder name>/<relative path>, file:<absolute path> (each with the
    record locator, e.g. #line=3, of a JSONL record)."""
    rel, _, locator = article.identity[len(FILE):].partition("#")
    suffix = f"#{locator}" if locator else ""
    path = file_of(article.source_uri)
    names = [f"{FILE}{rel}{suffix}"]
    if path.endswith(rel):
        root = os.path.basename(path[: len(path) - len(rel)].rstrip("/"))
        if root:
            names.append(f"{FILE}{root}/{rel}{suffix}")
    names.append(f"{FILE}{path}{suffix}")
    return names


def file_of(source_uri: str) -> str:
    """The file part of a source_uri ('/in/feed.jsonl#line=3' -> '/in/feed.jsonl')."""
    if "#" in source_uri and not os.path.exists(source_uri):
        return source_uri.rpartition("#")[0]
    return source_uri
