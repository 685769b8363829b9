"""oped-extract: news and opinion articles to analysis-ready Parquet (entities, stance sentences)."""

__version__ = "0.1.0"
PIPELINE_VERSION = __version__
