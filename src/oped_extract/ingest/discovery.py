"""Discovery: which files and URLs a run reads, and the identity (-> article_id) each source gets."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from oped_extract.ingest.fetch import canonical_url
from oped_extract.paths import is_url
from oped_extract.settings import DEFAULTS

_KINDS = {
    "txt": "txt", "text": "txt", "": "txt",
    "html": "html", "htm": "html", "xhtml": "html",
    "json": "json",
    "jsonl": "jsonl", "ndjson": "jsonl",
}


@dataclass(frozen=True)
class Source:
    """Where an article comes from: `uri` to read it, `identity` to name it (-> article_id), `kind` to parse."""

    uri: str
    identity: str
    kind: str


def discover(
    paths: Sequence[str | os.PathLike[str]],
    include: Sequence[str] = DEFAULTS.include,
    exclude: Sequence[str] = (),
) -> Iterator[Source]:
    """Yield a source per file under `paths` (directories recursively, sorted) and per URL, each once.

    Globs match the path relative to the directory given, or the file name; case does not matter. Hidden
    files and directories (.git, .ipynb_checkpoints) are skipped: they hold copies, not new articles."""
    seen: set[str] = set()
    for source in _walk(paths, include, exclude):
        # One page under two spellings is fetched once.
        key = source.identity if source.kind == "url" else source.uri
        if key not in seen:
            seen.add(key)
            yield source


def _walk(
    paths: Sequence[str | os.PathLike[str]], include: Sequence[str], exclude: Sequence[str]
) -> Iterator[Source]:
    for raw in paths:
        text = os.fspath(raw)
        if is_url(text):
            yield url_source(text)
            continue
        root = Path(text)
        if not root.is_dir():
            yield file_source(root, root.name)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                file = Path(folder, name)
                rel = file.relative_to(root).as_posix()
                if _matches(rel, include) and not _matches(rel, exclude):
                    yield file_source(file, rel)


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    rel = rel.lower()
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p.lower()) or fnmatch.fnmatchcase(name, p.lower()) for p in patterns)


def file_source(file: Path, rel: str) -> Source:
    """`rel` is the path relative to the input root named by the user: it is the identity, so moving the
    whole folder keeps every article_id."""
    suffix = file.suffix.lower().lstrip(".")
    return Source(uri=os.path.abspath(file), identity=f"file:{rel}", kind=_KINDS.get(suffix, suffix))


def url_source(url: str) -> Source:
    return Source(uri=url.strip(), identity=f"url:{canonical_url(url)}", kind="url")
