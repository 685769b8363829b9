"""Readers: one source (a .txt, .html, .json/.jsonl file or a URL) -> Article records, or Failure records."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from oped_extract.errors import (
    EmptyInput,
    IngestError,
    MalformedRecord,
    NoExtractableText,
    OversizedInput,
    UnreadableInput,
    UnsupportedInput,
)
from oped_extract.ingest.discovery import Source, discover, file_source, url_source
from oped_extract.ingest.fetch import DEFAULT_POLICY, FetchPolicy, canonical_url, fetch
from oped_extract.ingest.layout import (
    Layout,
    find_date,
    parse_date,
    parse_record_layout,
    parse_txt_layout,
)
from oped_extract.ingest.records import Article, Failure, make_article_id
from oped_extract.ingest.text import decode_bytes, normalize_text, reject_binary
from oped_extract.paths import is_url
from oped_extract.settings import DEFAULTS


# --- reading ------------------------------------------------------------------------------------------------
def read_source(
    source: Source, max_bytes: int = DEFAULTS.max_bytes, policy: FetchPolicy = DEFAULT_POLICY
) -> Iterator[Article | Failure]:
    """Read one source into articles. Bad input becomes a Failure, never an exception (a JSONL file yields
    one item per line, so one broken record costs only itself)."""
    reader = _READERS.get(source.kind)
    try:
        if reader is None:
            raise UnsupportedInput(
                f"unsupported input type '.{source.kind}' (supported: .txt, .html, .json, .jsonl, http(s) URLs): "
                f"{source.uri}"
            )
        yield from reader(source, max_bytes, policy)
    except IngestError as exc:
        yield Failure.of(source.uri, exc)
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        yield Failure.of(source.uri, UnreadableInput(f"cannot read {source.uri}: {exc.strerror or exc}"))


def read_uri(
    uri: str, max_bytes: int = DEFAULTS.max_bytes, policy: FetchPolicy = DEFAULT_POLICY
) -> list[Article | Failure]:
    """Re-read one article from its stored `source_uri`: a URL, a file, or one record of a JSON/JSONL file
    (`file.jsonl#id=<id>`, `#line=<n>`, `file.json#index=<n>`)."""
    if is_url(uri):
        return list(read_source(url_source(uri), max_bytes, policy))
    path = Path(uri)
    if path.exists() or "#" not in uri:
        return list(read_source(file_source(path, path.name), max_bytes, policy))
    base, _, fragment = uri.rpartition("#")
    source = file_source(Path(base), Path(base).name)
    # Reading the whole file and keeping the one record guarantees the same article_id and source_uri as the
    # batch run gave it; re-reading one article is rare enough to afford it.
    matches = [item for item in read_source(source, max_bytes, policy) if item.source_uri == uri]
    if matches:
        return matches[:1]
    return [Failure.of(uri, UnreadableInput(f"no record '{fragment}' in {base} (was the file edited?)"))]


def ingest(
    paths: Sequence[str | os.PathLike[str]],
    include: Sequence[str] = DEFAULTS.include,
    exclude: Sequence[str] = (),
    max_bytes: int = DEFAULTS.max_bytes,
) -> Iterator[Article | Failure]:
    """Discover and read every input once; an article_id seen twice in one run is kept once."""
    yield from dedupe(read_all(discover(paths, include, exclude), max_bytes))


def read_all(sources: Iterable[Source], max_bytes: int = DEFAULTS.max_bytes) -> Iterator[Article | Failure]:
    for source in sources:
        yield from read_source(source, max_bytes)


def dedupe(items: Iterable[Article | Failure], seen: set[str] | None = None) -> Iterator[Article | Failure]:
    """Keep the first article per article_id (the same source named twice, or a JSON id repeated).

    Pass `seen` to carry the ids already kept across several calls (a run read in chunks)."""
    seen = set() if seen is None else seen
    for item in items:
        if isinstance(item, Article):
            if item.article_id in seen:
                continue
            seen.add(item.article_id)
        yield item


def _read_file(source: Source, max_bytes: int) -> bytes:
    size = os.stat(source.uri).st_size
    if size > max_bytes:
        raise OversizedInput(
            f"file is {size:,} bytes, over the {max_bytes:,}-byte cap (raise --max-bytes): {source.uri}"
        )
    data = Path(source.uri).read_bytes()
    if not data.strip():
        raise EmptyInput(f"file is empty: {source.uri}")
    return data


def _read_txt(source: Source, max_bytes: int, policy: FetchPolicy) -> Iterator[Article]:
    yield _txt_article(decode_bytes(_read_file(source, max_bytes), source.uri), source.uri, source.identity)


def _txt_article(text: str, uri: str, identity: str) -> Article:
    layout = parse_txt_layout(normalize_text(text))
    if not layout.body_text:
        raise EmptyInput(f"file is empty apart from a dateline or footer lines (no body text): {uri}")
    return _article(identity, uri, layout)


def _read_html(source: Source, max_bytes: int, policy: FetchPolicy) -> Iterator[Article]:
    data = _read_file(source, max_bytes)
    yield html_article(decode_bytes(data, source.uri, _meta_charset(data)), source.uri, source.identity)


def _read_url(source: Source, max_bytes: int, policy: FetchPolicy) -> Iterator[Article]:
    page = fetch(source.uri, max_bytes, policy)
    if not page.body.strip():
        raise EmptyInput(f"the server sent an empty page: {source.uri}")
    head = page.body[:512].lstrip().lower()
    if page.media_type == "text/plain" and not head.startswith(b"<"):
        yield _txt_article(decode_bytes(page.body, source.uri, page.charset), source.uri, source.identity)
    elif page.media_type in ("text/html", "application/xhtml+xml", "") or head.startswith((b"<!doctype", b"<html")):
        html = decode_bytes(page.body, source.uri, page.charset or _meta_charset(page.body))
        yield html_article(html, source.uri, source.identity, url=page.url)
    else:
        raise UnsupportedInput(f"the URL returned {page.media_type}, not an HTML page: {source.uri}")


# --- HTML ---------------------------------------------------------------------------------------------------
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})\b", re.IGNORECASE)


def html_article(html: str, uri: str, identity: str, url: str | None = None) -> Article:
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
    title = extracted.title if extracted.title and extracted.title != site else None
    lang = _LANG.search(html[:5000])
    return _article(
        identity, uri, layout,
        title=title,
        author=extracted.author or layout.author,
        published_date=_iso_date(extracted.date) or layout.published_date,
        site=site,
        language=lang.group(1).lower() if lang else "en",
    )


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
        reason = f"{type(exc).__name__}: {exc}"
        raise NoExtractableText(f"trafilatura could not parse the HTML ({reason}): {url}") from None


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)


def _meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None


# --- JSON and JSONL records ---------------------------------------------------------------------------------
def _read_json(source: Source, max_bytes: int, policy: FetchPolicy) -> Iterator[Article | Failure]:
    text = decode_bytes(_read_file(source, max_bytes), source.uri)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedRecord(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}; "
                              f"truncated?): {source.uri}") from None
    if isinstance(doc, dict):
        yield record_article(doc, source.uri, source.identity)
        return
    if not isinstance(doc, list):
        raise MalformedRecord(
            f"JSON must be an object or a list of objects, not {_json_type(doc)}: {source.uri}"
        )
    for index, record in enumerate(doc):
        locator = f"index={index}"
        try:
            yield record_article(record, f"{source.uri}#{locator}", f"{source.identity}#{locator}", source.uri)
        except IngestError as exc:
            yield Failure.of(f"{source.uri}#{locator}", exc)


def _read_jsonl(source: Source, max_bytes: int, policy: FetchPolicy) -> Iterator[Article | Failure]:
    """One record per line, streamed: a large file is fine, the size cap applies to each record."""
    n_records = 0
    with open(source.uri, "rb") as fh:
        reject_binary(fh.read(8192), source.uri)
        fh.seek(0)
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            n_records += 1
            locator = f"line={line_no}"
            try:
                if len(raw) > max_bytes:
                    raise OversizedInput(
                        f"record on line {line_no} is {len(raw):,} bytes, over the {max_bytes:,}-byte cap"
                    )
                try:
                    record = json.loads(decode_bytes(raw, source.uri))
                except json.JSONDecodeError as exc:
                    raise MalformedRecord(f"line {line_no} is not valid JSON ({exc.msg} at column {exc.colno}; "
                                          "truncated?)") from None
                yield record_article(record, f"{source.uri}#{locator}", f"{source.identity}#{locator}", source.uri)
            except IngestError as exc:
                yield Failure.of(f"{source.uri}#{locator}", exc)
    if n_records == 0:
        raise EmptyInput(f"file is empty: {source.uri}")


def record_article(record: object, uri: str, identity: str, file_uri: str | None = None) -> Article:
    """One JSON record -> Article. `text` is required; id, url, title, author, published_date, publisher (and
    site, author_handle, author_bio, language) are optional. The JSON `id`, else the `url`, names the article;
    a record with neither is named by its place in the file."""
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
    record_id = str(record_id).strip() if usable_id else ""
    url = _string(record.get("url"))
    if record_id:
        identity, uri = f"id:{record_id}", f"{file_uri}#id={quote(record_id, safe='')}" if file_uri else uri
    elif url and is_url(url):
        identity = f"url:{canonical_url(url)}"
    body = normalize_text(text)
    if not body:
        raise EmptyInput("record 'text' is empty")
    layout = parse_record_layout(body)
    return _article(
        identity, uri, layout,
        title=_string(record.get("title")),
        author=_author(record.get("author")) or layout.author,
        author_handle=_string(record.get("author_handle")) or layout.author_handle,
        author_bio=_string(record.get("author_bio")) or layout.author_bio,
        published_date=_record_date(record.get("published_date")) or layout.published_date,
        publisher=_string(record.get("publisher")) or layout.publisher,
        site=_string(record.get("site")) or layout.site,
        language=_string(record.get("language")) or "en",
    )


def _string(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return normalize_text(value).replace("\n", " ")
    return None


def _author(value: object) -> str | None:
    if isinstance(value, list):
        names = [s for s in map(_string, value) if s]
        return "; ".join(names) or None
    return _string(value)


def _record_date(value: object) -> dt.date | None:
    """An ISO date or datetime, or a written date; a date that cannot be read is left empty, not fatal."""
    text = _string(value)
    if not text:
        return None
    return _iso_date(text) or parse_date(text) or find_date(text)


def _iso_date(value: str | None) -> dt.date | None:
    if not value or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _article(identity: str, uri: str, layout: Layout, **fields) -> Article:
    values = {
        "title": layout.title, "author": layout.author, "author_handle": layout.author_handle,
        "author_bio": layout.author_bio, "published_date": layout.published_date, "publisher": layout.publisher,
        "site": layout.site, "language": "en",
    }
    values.update(fields)
    return Article(article_id=make_article_id(identity), source_uri=uri, body_text=layout.body_text, **values)


_READERS: dict[str, Callable[[Source, int, FetchPolicy], Iterator[Article | Failure]]] = {
    "txt": _read_txt, "html": _read_html, "json": _read_json, "jsonl": _read_jsonl, "url": _read_url,
}
