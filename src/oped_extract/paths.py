"""Local paths vs URLs: the one test used for inputs, stores and reprocess targets."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_url(value: str) -> bool:
    """`scheme://…` (http, https, s3, file, …) rather than a local path."""
    return "://" in value


def is_http_url(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https")
