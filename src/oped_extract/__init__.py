"""oped-extract: news and opinion articles to analysis-ready Parquet (entities, stance sentences).

For notebooks: ``oped_extract.connect(store)`` (DuckDB views) and ``oped_extract.load(store, ...)`` (pandas or
polars frames); see docs/analysis.md. Both are imported on first use, so ``import oped_extract`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
PIPELINE_VERSION = __version__
__all__ = ["PIPELINE_VERSION", "__version__", "connect", "load"]

if TYPE_CHECKING:
    from oped_extract.analysis import connect, load


def __getattr__(name: str):
    if name in ("connect", "load"):
        from oped_extract import analysis

        return getattr(analysis, name)
    raise AttributeError(f"module 'oped_extract' has no attribute {name!r}")
