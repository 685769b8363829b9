"""The Python entry point for notebooks: the store as DuckDB views, or as pandas / polars frames.

    import oped_extract
    con = oped_extract.connect("data/parquet")     # DuckDB: articles, entities, sentences, sentence_entities, …
    con.sql("select label, count(*) from entities group by all").df()
    frames = oped_extract.load("data/parquet")     # {"articles": DataFrame, …}

Recipes: docs/analysis.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oped_extract.errors import ConfigError
from oped_extract.paths import is_url
from oped_extract.store.schema import ARTICLE_TABLES, PARTITION_COLUMN, TABLES

if TYPE_CHECKING:
    import duckdb

VIEWS = (*TABLES, "sentence_entities")
ENGINES = ("pandas", "polars", "arrow")

# Each mention with its sentence (text and stance) and its article's date and outlet: the join most questions
# start from. is_holder: the mention's entity is the sentence's stance holder.
SENTENCE_ENTITIES = """
create or replace view sentence_entities as
select e.article_id, e.sentence_index, e.mention_index, e.entity_id, e.canonical_name, e.label,
       e.text as mention, e.kb_id, e.latitude, e.longitude, e.country_code,
       s.text as sentence, s.is_stance, s.stance_type, s.stance_score, s.holder, s.holder_entity_id,
       coalesce(s.holder_entity_id = e.entity_id, false) as is_holder,
       a.published_date, a.published_month, a.publisher, a.site, a.title, a.content_sha256
from entities e
join sentences s using (article_id, sentence_index)
join articles a using (article_id)
"""


def connect(store: str | os.PathLike = "data/parquet", *, storage_options: dict | None = None
            ) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table of the store at `store`, plus
    ``sentence_entities`` (each mention joined to its sentence's stance and its article).

    Article tables carry ``published_month`` (``YYYY-MM`` or ``unknown``) from their partition directory. A table
    with no files yet is an empty table with its columns. `store` may be an fsspec URI (``s3://bucket/prefix``;
    `storage_options` as for the pipeline).
    """
    import duckdb

    root, fs = _root(store, storage_options)
    con = duckdb.connect()
    if fs is not None:
        con.register_filesystem(fs)
    for table in TABLES:
        pattern = f"{root}/{table}/{PARTITION_COLUMN}=*/part-*.parquet" if table in ARTICLE_TABLES \
            else f"{root}/{table}/part-*.parquet"
        if _has_files(pattern, fs):
            hive = f", hive_partitioning = true, hive_types = {{'{PARTITION_COLUMN}': VARCHAR}}" \
                if table in ARTICLE_TABLES else ""
            con.execute(f"create view {table} as select * from read_parquet({_sql_str(pattern)}{hive})")
        else:
            con.register("_empty", _empty(table))  # no files yet: an empty table with the schema's columns
            con.execute(f"create table {table} as select * from _empty")
            con.unregister("_empty")
    con.execute(SENTENCE_ENTITIES)
    return con


def load(store: str | os.PathLike = "data/parquet", table: str | None = None, *, sql: str | None = None,
         engine: str = "pandas", storage_options: dict | None = None) -> Any:
    """Frames of the store: one view (`table`, e.g. ``"sentence_entities"``), the result of a query over the views
    (`sql`), or, with neither, a dict of every view. `engine`: ``pandas`` (default), ``polars`` or ``arrow``."""
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if table is not None and sql is not None:
        raise ConfigError("give either table= or sql=, not both")
    if table is not None and table not in VIEWS:
        raise ConfigError(f"unknown table {table!r}; the views are: {', '.join(VIEWS)}")
    if engine == "polars":
        _require_polars()
    con = connect(store, storage_options=storage_options)
    try:
        if sql is not None:
            return _frame(con.sql(sql), engine)
        if table is not None:
            return _frame(con.table(table), engine)
        return {name: _frame(con.table(name), engine) for name in VIEWS}
    finally:
        con.close()


def _frame(relation, engine: str):
    if engine == "polars":
        return relation.pl()
    if engine == "arrow":
        # A pyarrow Table (DuckDB 1.x names it fetch_arrow_table; 2.x to_arrow_table, and .arrow() is a reader).
        to_table = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
        return to_table()
    return relation.df()


def _require_polars() -> None:
    try:
        import polars  # noqa: F401
    except ImportError:
        raise ConfigError("engine='polars' needs polars, which is not installed: `pip install polars` "
                          "(or use engine='pandas')") from None


def _root(store: str | os.PathLike, storage_options: dict | None):
    """(root as DuckDB reads it, an fsspec filesystem to register or None); a clear error for a missing store."""
    store = str(store)
    if is_url(store):
        import fsspec

        fs, path = fsspec.core.url_to_fs(store, **(storage_options or {}))
        if not fs.isdir(path):
            raise ConfigError(f"no Parquet store at {store}: run `oped-extract run PATH --out {store}` first")
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        return f"{protocol}://{path.rstrip('/')}", fs
    path = Path(store).expanduser()
    if not path.is_dir():
        raise ConfigError(f"no Parquet store at {store}: run `oped-extract run PATH --out {store}` first")
    return path.resolve().as_posix(), None


def _has_files(pattern: str, fs) -> bool:
    if fs is not None:
        return bool(fs.glob(pattern.split("://", 1)[1]))
    import glob

    return bool(glob.glob(pattern))


def _empty(table: str):
    import pyarrow as pa

    from oped_extract.store.schema import schema

    fields = list(schema(table))
    if table in ARTICLE_TABLES:
        fields.append(pa.field(PARTITION_COLUMN, pa.string()))
    return pa.schema(fields).empty_table()


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
