"""Readers: one source (a .txt, .html, .json/.jsonl file or a URL) -> Article records, or Failure records.

Nothing a single input does escapes as an exception: bad bytes, unreadable paths (ELOOP, EACCES, FIFOs), JSON
nested too deeply, a parser crash - each becomes a Failure for that input and the next input is read."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from oped_extract.errors import (
    EmptyInput,
    IngestError,
    MalformedRecord,
    NoExtractableText,
    OversizedInput,
    UndecodableText,
    UnreadableInput,
    UnsupportedInput,
    is_transient,
    raise_interrupt,
)
from oped_extract.ingest.dates import implausible, read_date
from oped_extract.ingest.discovery import Source, discover, file_source, url_source
from oped_extract.ingest.fetch import DEFAULT_POLICY, FetchPolicy, canonical_url, fetch
from oped_extract.ingest.layout import Layout, parse_record_layout, parse_txt_layout
from oped_extract.ingest.records import (
    METADATA_FIELDS,
    Article,
    Failure,
    make_article_id,
    safe_text,
)
from oped_extract.ingest.text import decode_bytes, normalize_text, reject_binary, wide_encoding
from oped_extract.paths import is_url
from oped_extract.settings import DEFAULTS

Item = Article | Failure


@dataclass(frozen=True)
class ReadOptions:
    """How inputs are read: the size cap, how numeric dates are ordered, URL fetching."""

    max_bytes: int = DEFAULTS.max_bytes
    date_order: str = DEFAULTS.date_order
    fetch_workers: int = DEFAULTS.fetch_workers
    policy: FetchPolicy = DEFAULT_POLICY

    @classmethod
    def of(cls, settings) -> ReadOptions:
        return cls(max_bytes=settings.max_bytes, date_order=settings.date_order,
                   fetch_workers=settings.fetch_workers)


DEFAULT_READ = ReadOptions()


def _options(options: ReadOptions | None, overrides: dict) -> ReadOptions:
    return replace(options or DEFAULT_READ, **overrides) if overrides else options or DEFAULT_READ


# --- reading ------------------------------------------------------------------------------------------------
def read_source(source: Source, options: ReadOptions | None = None, **overrides) -> Iterator[Item]:
    """Read one source into articles. Bad input becomes a Failure, never an exception (a JSONL file yields
    one item per line, so one broken record costs only itself). Overrides: ReadOptions fields."""
    opts = _options(options, overrides)
    reader = _READERS.get(source.kind)
    try:
        if source.error is not None:
            raise UnreadableInput(source.error)
        if reader is None:
            raise UnsupportedInput(
                f"unsupported input type '.{source.kind}' (supported: .txt, .html, .json, .jsonl, http(s) URLs): "
                f"{source.uri}"
            )
        if source.kind != "url" and safe_text(source.uri) != source.uri:
            raise UnreadableInput(f"the file name is not valid UTF-8; rename the file: {safe_text(source.uri)}")
        yield from reader(source, opts)
    except IngestError as exc:
        yield Failure.of(source.uri, exc)
    except OSError as exc:
        yield Failure.of(source.uri, UnreadableInput(f"cannot read {source.uri}: {_os_reason(exc)}"))
    except Exception as exc:  # noqa: BLE001 - whatever one input does, it costs that input only
        raise_interrupt(exc)
        yield Failure.unexpected(source.uri, "ingest", exc)


def read_uri(uri: str, options: ReadOptions | None = None, **overrides) -> list[Item]:
    """Re-read one article from its stored `source_uri`: a URL, a file, or one record of a JSON/JSONL file
    (`file.jsonl#id=<id>`, `#line=<n>`, `file.json#index=<n>`)."""
    opts = _options(options, overrides)
    if is_url(uri):
        return list(read_source(url_source(uri), opts))
    path = Path(uri)
    if path.exists() or "#" not in uri:
        return list(read_source(file_source(path, path.name), opts))
    base, _, fragment = uri.rpartition("#")
    source = file_source(Path(base), Path(base).name)
    # Reading the whole file and keeping the one record guarantees the same article_id and source_uri as the
    # batch run gave it; re-reading one article is rare enough to afford it.
    matches = [item for item in read_source(source, opts) if item.source_uri == uri]
    if matches:
        return matches
    return [Failure.of(uri, UnreadableInput(f"no record '{fragment}' in {base} (was the file edited?)"))]


def ingest(
    paths: Sequence[str | os.PathLike[str]],
    include: Sequence[str] = DEFAULTS.include,
    exclude: Sequence[str] = (),
    options: ReadOptions | None = None,
    **overrides,
) -> Iterator[Item]:
    """Discover and read every input once; an article_id seen twice in one run is kept once."""
    yield from dedupe(read_all(discover(paths, include, exclude), _options(options, overrides)))


def read_all(sources: Iterable[Source], options: ReadOptions | None = None, **overrides) -> Iterator[Item]:
    """Read sources in order, streaming (a large JSONL file is never held whole). URLs are fetched up to
    `fetch_workers` at a time, their articles still yielded in input order."""
    opts = _options(options, overrides)
    if opts.fetch_workers <= 1:
        for source in sources:
            yield from read_source(source, opts)
        return
    pool: ThreadPoolExecutor | None = None
    pending: deque[Source | Future] = deque()  # files wait as Sources, URLs are fetched as Futures
    in_flight = 0
    try:
        for source in sources:
            if source.kind == "url":
                pool = pool or ThreadPoolExecutor(opts.fetch_workers, thread_name_prefix="oped-fetch")
                pending.append(pool.submit(_read_list, source, opts))
                in_flight += 1
            else:
                pending.append(source)
            # Yield what is ready at the head; wait for a fetch only when all workers are busy.
            while pending and (not isinstance(pending[0], Future) or pending[0].done()
                               or in_flight >= opts.fetch_workers):
                head = pending.popleft()
                if isinstance(head, Future):
                    in_flight -= 1
                    yield from head.result()
                else:
                    yield from read_source(head, opts)
        while pending:
            head = pending.popleft()
            yield from head.result() if isinstance(head, Future) else read_source(head, opts)
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def _read_list(source: Source, opts: ReadOptions) -> list[Item]:
    return list(read_source(source, opts))


def dedupe(items: Iterable[Item], seen: dict[str, str] | None = None) -> Iterator[Item]:
    """Keep the first article per article_id. The same source named twice is dropped quietly; another source
    with the same id (a JSON id repeated) is skipped with a DuplicateId warning, never silently.

    Pass `seen` (article_id -> source_uri) to carry the ids already kept across several calls."""
    seen = {} if seen is None else seen
    for item in items:
        if isinstance(item, Article):
            first = seen.get(item.article_id)
            if first is not None:
                if first != item.source_uri:
                    yield Failure.warning(item.source_uri, "ingest", "DuplicateId", (
                        f"{item.identity or 'its identity'} (article_id {item.article_id}) was already read in this "
                        f"run from {first}; this copy is skipped"))
                continue
            seen[item.article_id] = item.source_uri
        yield item


# --- files: regular files only, read within the cap, transient faults retried ----------------------------------
_ATTEMPTS = (0.05, 0.25)  # waits before the 2nd and 3rd try of a transient fault (EIO, ESTALE, EAGAIN, …)


@contextmanager
def _open_regular(path: str) -> Iterator[tuple[BinaryIO, int]]:
    """Open `path` for reading if it is a regular file: a FIFO, socket or device named *.txt is refused, not
    waited on (O_NONBLOCK: opening a FIFO never blocks)."""
    for attempt in range(len(_ATTEMPTS) + 1):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            break
        except OSError as exc:
            if not is_transient(exc) or attempt == len(_ATTEMPTS):
                raise
            time.sleep(_ATTEMPTS[attempt])
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableInput(f"not a regular file ({_file_kind(st.st_mode)}): {path}")
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield fh, st.st_size


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((what for test, what in kinds if test(mode)), "not a file")


def _os_reason(exc: OSError) -> str:
    name = os.strerror(exc.errno) if exc.errno else ""
    reason = exc.strerror or name or str(exc)
    return f"{reason}" + (" (still failing after retries)" if is_transient(exc) else "")


def _read_file(source: Source, max_bytes: int) -> bytes:
    with _open_regular(source.uri) as (fh, size):
        if size > max_bytes:
            raise OversizedInput(
                f"file is {size:,} bytes, over the {max_bytes:,}-byte cap (raise --max-bytes): {source.uri}"
            )
        data = fh.read(max_bytes + 1)  # the cap holds even if the file grows while we read it
    if len(data) > max_bytes:
        raise OversizedInput(f"file is over the {max_bytes:,}-byte cap (raise --max-bytes): {source.uri}")
    if not data.strip():
        raise EmptyInput(f"file is empty: {source.uri}")
    return data


def _read_txt(source: Source, opts: ReadOptions) -> Iterator[Item]:
    text = decode_bytes(_read_file(source, opts.max_bytes), source.uri)
    yield from _txt_article(text, source.uri, source.identity)


def _txt_article(text: str, uri: str, identity: str) -> list[Item]:
    layout = parse_txt_layout(normalize_text(text))
    if not layout.body_text:
        raise EmptyInput(f"file is empty apart from a dateline or footer lines (no body text): {uri}")
    return _article(identity, uri, layout)


def _read_html(source: Source, opts: ReadOptions) -> Iterator[Item]:
    data = _read_file(source, opts.max_bytes)
    yield from html_article(decode_bytes(data, source.uri, _meta_charset(data)), source.uri, source.identity)


def _read_url(source: Source, opts: ReadOptions) -> Iterator[Item]:
    page = fetch(source.uri, opts.max_bytes, opts.policy)
    if not page.body.strip():
        raise EmptyInput(f"the server sent an empty page: {source.uri}")
    head = page.body[:512].lstrip().lower()
    if page.media_type == "text/plain" and not head.startswith(b"<"):
        yield from _txt_article(decode_bytes(page.body, source.uri, page.charset), source.uri, source.identity)
    elif page.media_type in ("text/html", "application/xhtml+xml", "") or head.startswith((b"<!doctype", b"<html")):
        html = decode_bytes(page.body, source.uri, page.charset or _meta_charset(page.body))
        yield from html_article(html, source.uri, source.identity, url=page.url)
    else:
        raise UnsupportedInput(f"the URL returned {page.media_type}, not an HTML page: {source.uri}")


# --- HTML ---------------------------------------------------------------------------------------------------
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})\b", re.IGNORECASE)


def html_article(html: str, uri: str, identity: str, url: str | None = None) -> list[Item]:
    """Main text and metadata through trafilatura; dateline and footer lines of the text as for .txt."""
    extracted = _trafilatura_extract(html, url)
    lines = normalize_text(extracted.text or "").split("\n") if extracted is not None else []
    # On thin pages trafilatura falls back to every text node, menus included: menu items above the article
    # ('Home', 'Latest') go, and a page with no line of prose has no article.
    while lines and len(lines[0].split()) <= 3 and not re.search(r"[.!?…\"”’]$", lines[0]):
        lines.pop(0)
    text = "\n".join(lines)
    if not any(len(line.split()) >= 5 for line in lines):
        raise NoExtractableText(f"no article text found in the HTML (only menus, scripts or boilerplate): {uri}")
    layout = parse_txt_layout(text, read_title=False)
    if not layout.body_text:
        raise NoExtractableText(f"the HTML holds only a dateline or footer lines, no article text: {uri}")
    site = extracted.sitename or layout.site
    lang = _LANG.search(html[:5000])
    date, _ = read_date(extracted.date) if extracted.date else (None, None)
    page = {"title": extracted.title if extracted.title and extracted.title != site else None,
            "author": extracted.author, "published_date": date, "site": site,
            "language": lang.group(1).lower() if lang else None}
    return _article(identity, uri, layout, page)


def _trafilatura_extract(html: str, url: str | None):
    import logging

    import trafilatura  # imported here: .txt/.jsonl runs never pay for it

    # trafilatura logs every page it cannot parse at ERROR; the reason lands in the failures table instead.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        return trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True, favor_recall=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # noqa: BLE001 - a parser crash on hostile HTML is bad input, not a bug of ours
        raise_interrupt(exc)
        reason = f"{type(exc).__name__}: {exc}"
        raise NoExtractableText(f"trafilatura could not parse the HTML ({reason}): {url}") from None


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)


def _meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None


# --- JSON and JSONL records ---------------------------------------------------------------------------------
def _read_json(source: Source, opts: ReadOptions) -> Iterator[Item]:
    """A .json file holds one record or a list of them; it is read whole (within the size cap): use JSONL for
    large feeds, which is streamed."""
    doc = _load_json(decode_bytes(_read_file(source, opts.max_bytes), source.uri), source.uri)
    if isinstance(doc, dict):
        yield from record_items(doc, source.uri, source.identity, None, opts.date_order)
        return
    if not isinstance(doc, list):
        raise MalformedRecord(
            f"JSON must be an object or a list of objects, not {_json_type(doc)}: {source.uri}"
        )
    for index, record in enumerate(doc):
        locator = f"index={index}"
        yield from _record_or_failure(record, source, locator, opts)


def _read_jsonl(source: Source, opts: ReadOptions) -> Iterator[Item]:
    """One record per line, streamed: memory holds one line, and a line over the size cap is skipped without
    being read whole. UTF-16/32 files (with or without a byte-order mark) are read as text streams."""
    n_records = 0
    with _open_regular(source.uri) as (fh, _):
        head = fh.read(8192)
        reject_binary(head, source.uri)
        wide = wide_encoding(head)
        fh.seek(0)
        lines = _text_lines(fh, wide, opts.max_bytes, source.uri) if wide else _byte_lines(fh, opts.max_bytes)
        for line_no, line, size in lines:
            if line is not None and not line.strip():
                continue
            n_records += 1
            locator = f"line={line_no}"
            if line is None:
                exc = OversizedInput(f"record on line {line_no} is {size:,} bytes, over the {opts.max_bytes:,}-byte "
                                     "cap (raise --max-bytes)")
                yield Failure.of(f"{source.uri}#{locator}", exc)
                continue
            try:
                record = _load_json(line if isinstance(line, str) else _decode_line(line, source.uri),
                                    f"line {line_no}")
            except IngestError as exc:
                yield Failure.of(f"{source.uri}#{locator}", exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one line costs only itself
                raise_interrupt(exc)
                yield Failure.unexpected(f"{source.uri}#{locator}", "ingest", exc)
                continue
            yield from _record_or_failure(record, source, locator, opts)
    if n_records == 0:
        raise EmptyInput(f"file is empty: {source.uri}")


def _byte_lines(fh: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, line, size): the line is None when it is over `max_bytes` (then it is skipped in blocks,
    never held whole)."""
    line_no = 0
    while raw := fh.readline(max_bytes + 1):
        line_no += 1
        if len(raw) <= max_bytes:
            yield line_no, raw, len(raw)
            continue
        size = len(raw)
        while not raw.endswith(b"\n") and (raw := fh.readline(1 << 20)):
            size += len(raw)
        yield line_no, None, size


def _text_lines(fh: BinaryIO, encoding: str, max_bytes: int, uri: str) -> Iterator[tuple[int, str | None, int]]:
    unit = 4 if "32" in encoding else 2
    stream = io.TextIOWrapper(fh, encoding=encoding, newline=None)
    line_no = 0

    def readline(limit: int) -> str:
        try:
            return stream.readline(limit)
        except UnicodeDecodeError as exc:
            raise UndecodableText(f"file is not valid {encoding} ({exc.reason}; records read before it: "
                                  f"{line_no}); save it as UTF-8: {uri}") from None

    try:
        limit = max(1, max_bytes // unit)
        while line := readline(limit + 1):
            line_no += 1
            if len(line) <= limit:
                yield line_no, line.removeprefix("\ufeff"), len(line) * unit
                continue
            size = len(line) * unit
            while not line.endswith("\n") and (line := readline(1 << 20)):
                size += len(line) * unit
            yield line_no, None, size
    finally:
        stream.detach()


def _decode_line(raw: bytes, uri: str) -> str:
    """One line of a byte-oriented JSONL file (its head was checked already): UTF-8 on the fast path."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return decode_bytes(raw, uri)


def _load_json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedRecord(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}; "
                              "truncated?)") from None
    except RecursionError:
        raise MalformedRecord(f"{where}: JSON nested too deeply to read (over ~1,000 levels)") from None


def _record_or_failure(record: object, source: Source, locator: str, opts: ReadOptions) -> list[Item]:
    uri = f"{source.uri}#{locator}"
    try:
        return record_items(record, uri, f"{source.identity}#{locator}", source.uri, opts.date_order)
    except IngestError as exc:
        return [Failure.of(uri, exc)]
    except Exception as exc:  # noqa: BLE001 - one record costs only itself
        raise_interrupt(exc)
        return [Failure.unexpected(uri, "ingest", exc)]


def record_article(record: object, uri: str, identity: str, file_uri: str | None = None) -> Article:
    """One JSON record -> its Article (see `record_items`; warnings are dropped)."""
    return next(i for i in record_items(record, uri, identity, file_uri) if isinstance(i, Article))


def record_items(
    record: object, uri: str, identity: str, file_uri: str | None = None, date_order: str = DEFAULTS.date_order
) -> list[Item]:
    """One JSON record -> [Article, warnings…]. `text` is required; id, url and the metadata fields (title,
    author, author_handle, author_bio, published_date, publisher, site, language) are optional. The JSON `id`,
    else the `url`, names the article; a record with neither is named by its place in the file."""
    if not isinstance(record, dict):
        raise MalformedRecord(f"record is {_json_type(record)}, not an object with a 'text' field")
    text = record.get("text")
    if text is None:
        fields = ", ".join(sorted(map(str, record))[:12]) or "none"
        raise MalformedRecord(
            f"record has no 'text' field (its fields: {fields}); put the article text in 'text'"
        )
    if not isinstance(text, str):
        raise MalformedRecord(f"record 'text' must be a string, not {_json_type(text)}")
    record_id = record.get("id")
    usable_id = isinstance(record_id, (str, int)) and not isinstance(record_id, bool)
    record_id = safe_text(str(record_id).strip()) if usable_id else ""
    url = _string(record.get("url"))
    if record_id:
        identity, uri = f"id:{record_id}", f"{file_uri}#id={quote(record_id, safe='')}" if file_uri else uri
    elif url and is_url(url):
        identity = f"url:{canonical_url(url)}"
    body = normalize_text(safe_text(text))
    if not body:
        raise EmptyInput("record 'text' is empty")
    warnings: list[Failure] = []
    values = {name: _string(record[name]) for name in _STRING_FIELDS if name in record}
    if "author" in record:
        values["author"] = _author(record["author"])
    if "published_date" in record:
        values["published_date"], problem = read_date(record["published_date"], date_order)
        if problem:
            warnings.append(Failure.warning(uri, "ingest", "UnreadDate", problem))
    return _article(identity, uri, parse_record_layout(body), values, warnings)


_STRING_FIELDS = tuple(name for name in METADATA_FIELDS if name not in ("author", "published_date"))


def _string(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return normalize_text(safe_text(value)).replace("\n", " ") or None
    return None


def _author(value: object) -> str | None:
    if isinstance(value, list):
        names = [s for s in map(_string, value) if s]
        return "; ".join(names) or None
    return _string(value)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _article(
    identity: str, uri: str, layout: Layout, given: dict[str, object] | None = None, warnings: Sequence[Failure] = ()
) -> list[Item]:
    """[Article, warnings…]: the metadata fields the input states (`given`, by name) over what the layout found;
    a date that cannot be a publication date is dropped with a warning."""
    meta = dict(layout.values)
    if given:
        meta.update((name, value) for name, value in given.items() if value is not None)
    items: list[Item] = list(warnings)
    problem = implausible(meta["published_date"]) if meta["published_date"] else None
    if problem:
        items.append(Failure.warning(uri, "ingest", "UnreadDate", f"published date {problem}"))
        meta["published_date"] = None
    article = Article(article_id=make_article_id(identity), source_uri=uri, body_text=layout.body_text,
                      identity=identity, **meta)
    return [article, *items]


_READERS: dict[str, Callable[[Source, ReadOptions], Iterator[Item]]] = {
    "txt": _read_txt, "html": _read_html, "json": _read_json, "jsonl": _read_jsonl, "url": _read_url,
}
