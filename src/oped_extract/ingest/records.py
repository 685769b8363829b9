"""The records that flow between steps: an article's metadata, an ingested Article, a rejected input's Failure."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, fields

from oped_extract.errors import OpedError

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, kw_only=True)
class ArticleMetadata:
    """What is known about an article besides its body: declared once, here. Readers, the layout parser, the
    articles rows, `show` and the report all take the field list from `METADATA_FIELDS`."""

    title: str | None = None
    author: str | None = None
    author_handle: str | None = None
    author_bio: str | None = None
    published_date: dt.date | None = None
    publisher: str | None = None
    site: str | None = None
    language: str | None = "en"

    @property
    def metadata(self) -> ArticleMetadata:
        """Just the metadata (of an Article, too)."""
        return ArticleMetadata(**self.metadata_dict())

    def metadata_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in METADATA_FIELDS}

    def filled(self, **values: object) -> ArticleMetadata:
        """A copy with the fields that are still empty set from `values` (the first value found wins)."""
        unknown = set(values) - set(METADATA_FIELDS)
        if unknown:
            raise TypeError(f"not metadata fields: {', '.join(sorted(unknown))}")
        current = self.metadata_dict()
        for name, value in values.items():
            if current[name] is None and value is not None:
                current[name] = value
        return ArticleMetadata(**current)

    def over(self, fallback: ArticleMetadata) -> ArticleMetadata:
        """Field by field: this value, or the fallback's where this one is empty."""
        return ArticleMetadata(**{
            name: value if (value := getattr(self, name)) is not None else getattr(fallback, name)
            for name in METADATA_FIELDS
        })


METADATA_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ArticleMetadata))


@dataclass(frozen=True)
class Article(ArticleMetadata):
    """One clean article: body text (offsets are into it) and its metadata (keyword fields)."""

    article_id: str
    source_uri: str
    body_text: str
    content_sha256: str = field(default="")
    # Where the article_id came from ("file:…", "url:…", "id:…"); file-derived identities may be disambiguated.
    identity: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_sha256:
            object.__setattr__(self, "content_sha256", content_sha256(self.body_text))

    @property
    def published_month(self) -> str:
        return month_of(self.published_date)


def month_of(date: dt.date | None) -> str:
    """The partition of a date: YYYY-MM with a four-digit year (strftime gives '999-02' for year 999)."""
    return f"{date.year:04d}-{date.month:02d}" if date else "unknown"


@dataclass(frozen=True)
class Failure:
    """One rejected input (severity "error"), or a warning about an input that was still read (severity
    "warning", e.g. a date that could not be read), as it lands in the failures table."""

    source_uri: str
    stage: str
    error_type: str
    message: str
    severity: str = ERROR

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING

    @classmethod
    def of(cls, source_uri: str, exc: OpedError) -> Failure:
        """The failure row of an input that raised one of our errors (its stage and type come with it)."""
        return cls(source_uri=safe_text(source_uri), stage=exc.stage, error_type=exc.error_type,
                   message=safe_text(str(exc)))

    @classmethod
    def unexpected(cls, source_uri: str, stage: str, exc: BaseException) -> Failure:
        """Any other exception met while handling one input: it costs that input, never the run."""
        detail = str(exc) or "no detail"
        if isinstance(exc, RecursionError):
            detail = "nested too deeply to read"
        return cls(source_uri=safe_text(source_uri), stage=stage, error_type=type(exc).__name__,
                   message=safe_text(f"{detail} (while handling {source_uri})"))

    @classmethod
    def warning(cls, source_uri: str, stage: str, warning_type: str, message: str) -> Failure:
        return cls(safe_text(source_uri), stage, warning_type, safe_text(message), WARNING)


def safe_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates (from file names that are not UTF-8, or JSON escapes) become
    \\xNN escapes / U+FFFD, so the value can be written to Parquet and printed."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(_escape_surrogate, text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(m: re.Match) -> str:
    # surrogateescape (file names) keeps an undecodable byte as U+DC80..U+DCFF: show the byte; else U+FFFD.
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def content_sha256(body_text: str) -> str:
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()


def make_article_id(source_identity: str) -> str:
    """Stable id from where an article comes from (URL, JSON id, relative path), not its content."""
    return hashlib.sha256(source_identity.encode("utf-8", "surrogatepass")).hexdigest()[:16]
