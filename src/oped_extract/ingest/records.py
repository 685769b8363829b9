"""The records that flow between steps: an ingested Article and a rejected input's Failure."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from oped_extract.errors import OpedError


@dataclass(frozen=True)
class Article:
    """One clean article: body text (offsets are into it) and its metadata."""

    article_id: str
    source_uri: str
    body_text: str
    title: str | None = None
    author: str | None = None
    author_handle: str | None = None
    author_bio: str | None = None
    published_date: dt.date | None = None
    publisher: str | None = None
    site: str | None = None
    language: str | None = "en"
    content_sha256: str = field(default="")

    def __post_init__(self) -> None:
        if not self.content_sha256:
            object.__setattr__(self, "content_sha256", content_sha256(self.body_text))

    @property
    def published_month(self) -> str:
        return self.published_date.strftime("%Y-%m") if self.published_date else "unknown"


@dataclass(frozen=True)
class Failure:
    """One rejected input, as it lands in the failures table."""

    source_uri: str
    stage: str
    error_type: str
    message: str

    @classmethod
    def of(cls, source_uri: str, exc: OpedError) -> Failure:
        """The failure row of an input that raised one of our errors (its stage and type come with it)."""
        return cls(source_uri=source_uri, stage=exc.stage, error_type=exc.error_type, message=str(exc))


def content_sha256(body_text: str) -> str:
    return hashlib.sha256(body_text.encode("utf-8")).hexdigest()


def make_article_id(source_identity: str) -> str:
    """Stable id from where an article comes from (URL, JSON id, relative path), not its content."""
    return hashlib.sha256(source_identity.encode("utf-8")).hexdigest()[:16]
