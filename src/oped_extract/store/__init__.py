"""Store: one schema per table, Doc -> rows, run records, and the atomic Parquet store."""
