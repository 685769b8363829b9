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
    """Where an article comes from: `uri` to read it, `identity` to name it (-> article_id), `kind` to parse.

    A folder that could not be listed is a Source too, with the reason in `error`: it becomes a failures row."""

    uri: str
    identity: str
    kind: str
    error: str | None = None


def discover(
    paths: Sequence[str | os.PathLike[str]],
    include: Sequence[str] = DEFAULTS.include,
    exclude: Sequence[str] = (),
) -> Iterator[Source]:
    """Yield a source per file under `paths` (directories recursively, sorted, symlinked folders followed) and
    per URL, each once.

    Globs match the path relative to the directory given, or the file name; case does not matter. Hidden
    files and directories (.git, .ipynb_checkpoints) are skipped: they hold copies, not new articles. A folder
    that cannot be listed, or a symlink that leads back to a folder above it, is yielded as an error source."""
    seen: set[str] = set()
    for source, key in _walk(paths, include, exclude):
        # One page under two spellings is fetched once; one file named twice, or reached through a symlink,
        # is read once.
        if key not in seen:
            seen.add(key)
            yield source


def _walk(
    paths: Sequence[str | os.PathLike[str]], include: Sequence[str], exclude: Sequence[str]
) -> Iterator[tuple[Source, str]]:
    """(source, the key that tells whether it was seen already: canonical URL or real path)."""
    for raw in paths:
        text = os.fspath(raw)
        if is_url(text):
            source = url_source(text)
            yield source, source.identity
            continue
        root = Path(text)
        if not root.is_dir():
            yield file_source(root, root.name), os.path.realpath(root)
            continue
        yield from _walk_folder(root, include, exclude)


def _walk_folder(root: Path, include: Sequence[str], exclude: Sequence[str]) -> Iterator[tuple[Source, str]]:
    """Depth first, files before sub-folders, each level sorted by name (os.walk would drop listing errors
    silently and not follow symlinked folders)."""
    # Keys are real paths; only paths through a symlink pay for os.path.realpath.
    stack = [(os.path.abspath(root), "", frozenset({_folder_key(root)}), os.path.realpath(root))]
    while stack:
        folder, rel, ancestors, real = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as exc:
            if not rel or not _matches(rel + "/", exclude):
                yield folder_error(folder, rel, f"cannot list the folder {folder}: {exc.strerror or exc}"), folder
            continue
        subfolders = []
        for entry in entries:
            entry_rel = f"{rel}/{entry.name}" if rel else entry.name
            if _is_folder(entry):
                subfolders.append((entry, entry_rel))
            elif _matches(entry_rel, include) and not _matches(entry_rel, exclude):
                key = os.path.realpath(entry.path) if _is_link(entry) else os.path.join(real, entry.name)
                yield file_source(Path(entry.path), entry_rel), key
        for entry, entry_rel in reversed(subfolders):
            key = _folder_key(entry.path)
            if key in ancestors:
                if not _matches(entry_rel + "/", exclude):
                    yield folder_error(entry.path, entry_rel, f"the symlink {entry.path} leads back to a folder "
                                       f"above it ({os.path.realpath(entry.path)}); not followed"), entry.path
                continue
            sub_real = os.path.realpath(entry.path) if _is_link(entry) else os.path.join(real, entry.name)
            stack.append((entry.path, entry_rel, ancestors | {key}, sub_real))


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symlinks
    except OSError:
        return False


def _is_link(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:  # vanished while we listed: the reader will say so
        return False


def _folder_key(path: str | os.PathLike[str]) -> tuple[int, int]:
    try:
        st = os.stat(path)
        return st.st_dev, st.st_ino
    except OSError:
        return -1, hash(os.fspath(path))


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    rel = rel.lower()
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p.lower()) or fnmatch.fnmatchcase(name, p.lower()) for p in patterns)


def file_source(file: Path, rel: str) -> Source:
    """`rel` is the path relative to the input root named by the user: it is the identity, so moving the
    whole folder keeps every article_id (see docs/inputs.md for what happens when two files share it)."""
    suffix = file.suffix.lower().lstrip(".")
    return Source(uri=os.path.abspath(file), identity=f"file:{rel}", kind=_KINDS.get(suffix, suffix))


def folder_error(folder: str, rel: str, message: str) -> Source:
    return Source(uri=os.path.abspath(folder), identity=f"file:{rel}/", kind="folder", error=message)


def url_source(url: str) -> Source:
    return Source(uri=url.strip(), identity=f"url:{canonical_url(url)}", kind="url")
