"""Ingest: files, JSON records and URLs -> clean Article records (or Failure records for bad input)."""
