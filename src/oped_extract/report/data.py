"""What the report shows, read from the store and aggregated: syndicated copies counted once, entities, stance
over time, places (with and without coordinates), run history in distinct articles."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oped_extract.errors import ConfigError
from oped_extract.ingest.records import METADATA_FIELDS
from oped_extract.paths import is_url
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.schema import PARTITION_COLUMN

# Dates and numbers are entities to spaCy but not what analysts rank; they stay highlighted in bodies.
VALUE_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
STANCE_TYPES = ("evaluation", "obligation", "recommendation", "prediction", "concession", "attribution")
UNTYPED = "stance"  # is_stance without a stance_type

ARTICLE_META = ["article_id", "source_uri", *METADATA_FIELDS, "content_sha256", "n_sentences", "n_entities",
                "n_stance_sentences", "processed_at", "run_id", PARTITION_COLUMN]
ENTITY_COLUMNS = ["article_id", "sentence_index", "start_char", "end_char", "text", "entity_id", "canonical_name",
                  "label", "kb_id", "latitude", "longitude", "country_code"]
STANCE_COLUMNS = ["article_id", "sentence_index", "stance_type", "holder", "holder_entity_id"]


@dataclass
class ReportData:
    """The selected articles and the rows of their first copies (syndicated copies are counted once)."""

    store: str
    since: dt.date | None
    copies: pd.DataFrame  # every selected article row (no body), with `story` = article_id of its first copy
    articles: pd.DataFrame  # one row per distinct content (the first copy), with `n_copies`
    entities: pd.DataFrame  # every mention in those first copies (ENTITY_COLUMNS + published_month)
    stance: pd.DataFrame  # their stance sentences (STANCE_COLUMNS + stance_type filled + published_month)
    runs: pd.DataFrame
    failures: pd.DataFrame

    @property
    def named(self) -> pd.DataFrame:
        return self.entities[~self.entities["label"].isin(VALUE_LABELS)]


def read_table(store: str, table: str, columns: list[str] | None = None, where: pc.Expression | None = None,
               months: set[str] | None = None) -> pa.Table:
    """One table of the store (empty when not written yet), optionally filtered and limited to the partitions of
    `months`: the report's only storage access."""
    rows = ParquetStore(store).read(table, columns, months)
    return rows.filter(where) if where is not None else rows


def records(table: pa.Table | pd.DataFrame) -> list:
    """Rows as named tuples, built column-wise: far cheaper than pandas row access when looping in Python."""
    if isinstance(table, pd.DataFrame):
        return list(table.itertuples(index=False, name="Row"))
    row = namedtuple("Row", table.column_names)
    return [row._make(values) for values in zip(*(c.to_pylist() for c in table.columns), strict=True)]


def by_article(rows: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(r.article_id, []).append(r)
    return out


def parse_since(since: str | None) -> dt.date | None:
    if since is None or since == "":
        return None
    try:
        return dt.date.fromisoformat(since.strip())
    except ValueError:
        raise ConfigError(f"--since must be a date like 2026-02-01 (YYYY-MM-DD), got {since!r}") from None


def load_report_data(store: str, since: dt.date | None = None) -> ReportData:
    """Article metadata, mentions and stance rows of the first copies; bodies and sentence texts are read later,
    only for what the page embeds."""
    if not is_url(store) and not Path(store).is_dir():
        raise ConfigError(f"no Parquet store at {store}: run `oped-extract run PATH --out {store}` first")
    art_filter = pc.field("published_date") >= pa.scalar(since, pa.date32()) if since else None
    copies = read_table(store, "articles", ARTICLE_META, art_filter).to_pandas()
    runs = read_table(store, "runs").to_pandas()
    failures = read_table(store, "failures").to_pandas()
    if copies.empty and runs.empty and failures.empty and since is None:
        raise ConfigError(f"the store at {store} holds no articles, runs or failures: "
                          f"run `oped-extract run PATH --out {store}` first")
    copies = mark_copies(copies)
    articles = copies[copies["story"] == copies["article_id"]].copy()
    articles["n_copies"] = articles["article_id"].map(copies["story"].value_counts()).astype(int)
    in_selection = pc.field("article_id").isin(pa.array(articles["article_id"].tolist(), pa.string()))
    entities = read_table(store, "entities", [*ENTITY_COLUMNS, PARTITION_COLUMN], in_selection).to_pandas()
    stance = read_table(store, "sentences", [*STANCE_COLUMNS, "is_stance", PARTITION_COLUMN],
                        in_selection & pc.field("is_stance")).to_pandas().drop(columns="is_stance")
    stance["stance_type"] = stance["stance_type"].fillna(UNTYPED)
    if since is not None:
        # Run history and failures are about when things happened, so --since filters them by time.
        start = pd.Timestamp(since, tz="UTC")
        runs = runs[runs["started_at"] >= start]
        failures = failures[failures["at"] >= start]
    return ReportData(store, since, copies, articles.reset_index(drop=True), entities, stance,
                      runs.reset_index(drop=True), failures.reset_index(drop=True))


def mark_copies(copies: pd.DataFrame) -> pd.DataFrame:
    """`story` for each article: the article_id of the first copy (earliest published, then processed) of the same
    content_sha256. Syndicated copies of one text share it, so they are counted once."""
    ordered = copies.assign(_undated=copies["published_date"].isna()).sort_values(
        ["_undated", "published_date", "processed_at", "article_id"], kind="stable")
    first = ordered.drop_duplicates("content_sha256").set_index("content_sha256")["article_id"]
    return copies.assign(story=copies["content_sha256"].map(first))


def newest(articles: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Newest first by published date (undated last), then by processing time."""
    ordered = articles.assign(_undated=articles["published_date"].isna()).sort_values(
        ["_undated", "published_date", "processed_at", "article_id"], ascending=[True, False, False, True],
        kind="stable").drop(columns="_undated")
    return ordered if limit is None else ordered.head(limit)


def month_order(months) -> list[str]:
    """Months oldest first, 'unknown' last."""
    months = set(months)
    return sorted(m for m in months if m != "unknown") + (["unknown"] if "unknown" in months else [])


def type_order(types) -> list[str]:
    present = set(types)
    return [t for t in (*STANCE_TYPES, UNTYPED) if t in present] + sorted(present - {*STANCE_TYPES, UNTYPED})


# ---------------------------------------------------------------- aggregates


def top_entities(data: ReportData) -> pd.DataFrame:
    """Named entities (first copies only): mentions, articles, stance sentences that mention them, times as
    holder, and those stance sentences per type (one column per type); most mentioned first."""
    named = data.named
    cols = ["entity_id", "name", "label", "mentions", "articles", "stance_sentences", "as_holder"]
    if named.empty:
        return pd.DataFrame(columns=cols)
    g = named.groupby("entity_id")
    out = pd.DataFrame({"mentions": g.size(), "articles": g["article_id"].nunique()})
    out["name"] = _most_common(named, "canonical_name")
    out["label"] = _most_common(named, "label")
    by_type = entity_stance(data).groupby(["entity_id", "stance_type"]).size().unstack(fill_value=0)
    out["stance_sentences"] = by_type.sum(axis=1)
    out["as_holder"] = data.stance["holder_entity_id"].dropna().value_counts()
    out = out.join(by_type[type_order(by_type.columns)])
    counts = [c for c in out.columns if c not in ("name", "label")]
    out[counts] = out[counts].fillna(0).astype(int)
    out = out.reset_index()
    return out.sort_values(["mentions", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)


def entity_stance(data: ReportData) -> pd.DataFrame:
    """One row per (entity, stance sentence that mentions it): entity_id, article_id, sentence_index, stance_type,
    published_month."""
    keys = data.named[["entity_id", "article_id", "sentence_index"]].drop_duplicates()
    return keys.merge(data.stance[["article_id", "sentence_index", "stance_type", PARTITION_COLUMN]],
                      on=["article_id", "sentence_index"])


def _most_common(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per entity_id, the most frequent value of `column` (vectorised: no Python call per group)."""
    counts = frame.groupby(["entity_id", column]).size().reset_index(name="k")
    counts = counts.sort_values(["entity_id", "k", column], ascending=[True, False, True])
    return counts.drop_duplicates("entity_id").set_index("entity_id")[column]


def stance_by_month(stance: pd.DataFrame) -> pd.DataFrame:
    """Stance sentences per published month (rows, oldest first, 'unknown' last) and stance type (columns)."""
    if stance.empty:
        return pd.DataFrame()
    table = stance.groupby([PARTITION_COLUMN, "stance_type"]).size().unstack(fill_value=0)
    return table.loc[month_order(table.index), type_order(table.columns)]


def entity_stance_counts(data: ReportData) -> pd.DataFrame:
    """Stance sentences mentioning each entity per month and type: entity_id, published_month, stance_type, n."""
    rows = entity_stance(data)
    return rows.groupby(["entity_id", PARTITION_COLUMN, "stance_type"], observed=True).size().reset_index(name="n")


def entity_stance_by_month(data: ReportData, entity_ids: list[str]) -> dict[str, pd.DataFrame]:
    """For each entity: its stance sentences per month and type (as `stance_by_month`)."""
    rows = entity_stance(data)
    rows = rows[rows["entity_id"].isin(entity_ids)]
    return {eid: stance_by_month(part) for eid, part in rows.groupby("entity_id")}


def places(data: ReportData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(places with coordinates, places without), one row per entity_id, most mentioned first. Places are
    mentions with coordinates, and GPE / LOC / FAC mentions without."""
    cols = ["entity_id", "name", "label", "kb_id", "country_code", "latitude", "longitude", "mentions", "articles"]
    ents = data.entities
    has_xy = ents["latitude"].notna() & ents["longitude"].notna()
    out = []
    for part in (ents[has_xy], ents[~has_xy & ents["label"].isin(PLACE_LABELS)]):
        if part.empty:
            out.append(pd.DataFrame(columns=cols))
            continue
        g = part.groupby("entity_id")
        agg = g.agg(latitude=("latitude", "first"), longitude=("longitude", "first"), kb_id=("kb_id", "first"),
                    country_code=("country_code", "first"), mentions=("entity_id", "size"),
                    articles=("article_id", "nunique"))
        agg["name"] = _most_common(part, "canonical_name")
        agg["label"] = _most_common(part, "label")
        out.append(agg.reset_index().sort_values(["mentions", "name"], ascending=[False, True])[cols]
                   .reset_index(drop=True))
    return out[0], out[1]


def run_history(runs: pd.DataFrame, copies: pd.DataFrame) -> str:
    """One sentence about the runs, counted in distinct articles: a forced re-run or a reprocess replaces an
    article's rows, so it counts once however often it was processed (plain text; escaped by the caller)."""
    if runs.empty:
        return "No runs recorded."
    runs = runs.sort_values("started_at")
    last = runs.iloc[-1]
    n_articles, n_texts = copies["article_id"].nunique(), copies["content_sha256"].nunique()
    processings = int(runs["n_processed"].sum())
    texts = f" ({n_texts:,} distinct texts)" if n_texts != n_articles else ""
    again = (f"; {processings:,} processings in all, as forced re-runs and reprocesses replace an article's rows"
             if processings != n_articles else "")
    seconds = (last["finished_at"] - last["started_at"]).total_seconds()
    return (f"{len(runs):,} run{'s' if len(runs) != 1 else ''} since {runs['started_at'].iloc[0]:%Y-%m-%d %H:%M}: "
            f"{n_articles:,} distinct articles in the store{texts}{again}; "
            f"{int(runs['n_failed'].sum()):,} inputs failed. "
            f"Last run {last['run_id']} finished {last['finished_at']:%Y-%m-%d %H:%M UTC} in {seconds:.1f}s: "
            f"{int(last['n_seen']):,} seen, {int(last['n_processed']):,} processed, "
            f"{int(last['n_skipped_unchanged']):,} skipped unchanged, {int(last['n_failed']):,} failed "
            f"(model {last['model_name']}, oped-extract {last['pipeline_version']}).")


def runs_table(runs: pd.DataFrame, copies: pd.DataFrame) -> pd.DataFrame:
    """Runs newest first, with `current`: the articles whose stored rows that run wrote (each article counts in
    exactly one run, its latest)."""
    current = copies["run_id"].value_counts() if "run_id" in copies else pd.Series(dtype=int)
    out = runs.sort_values("started_at", ascending=False).assign(
        current=lambda r: r["run_id"].map(current).fillna(0).astype(int))
    return out.reset_index(drop=True)
