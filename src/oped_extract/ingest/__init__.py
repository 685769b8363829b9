"""Ingest: files, JSON records and URLs -> clean Article records (or Failure records for bad input).

discovery (which sources, their identity) -> readers (txt, html, json/jsonl, URL) -> text (decoding,
normalisation) and layout (dateline, title, byline, footer metadata) -> records (Article, Failure).
"""

from oped_extract.ingest.discovery import Source, discover
from oped_extract.ingest.readers import ingest, read_all, read_source, read_uri
from oped_extract.ingest.records import Article, Failure

__all__ = ["Article", "Failure", "Source", "discover", "ingest", "read_all", "read_source", "read_uri"]
