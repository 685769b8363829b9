"""The self-contained HTML report of a Parquet store."""
