"""The HTML report: one self-contained page of what the store holds (highlighted articles, top entities, trends)."""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oped_extract import PIPELINE_VERSION
from oped_extract.errors import ConfigError
from oped_extract.paths import is_url
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.schema import PARTITION_COLUMN

# Per-article sections are the heavy part of the page; beyond a few hundred a browser struggles.
DEFAULT_MAX_ARTICLES = 200
MAX_FAILURES = 200
TOP_N = 20
# Dates and numbers are entities to spaCy but not what analysts rank; they stay highlighted in bodies.
VALUE_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
# displaCy's palette, so the highlights look like what spaCy users already know.
LABEL_COLOURS = {
    "ORG": "#7aecec", "PRODUCT": "#bfeeb7", "GPE": "#feca74", "LOC": "#ff9561", "PERSON": "#aa9cfc",
    "NORP": "#c887fb", "FAC": "#9cc9cc", "EVENT": "#ffeb80", "LAW": "#ff8197", "LANGUAGE": "#ff8197",
    "WORK_OF_ART": "#f0d0ff", "DATE": "#bfe1d9", "TIME": "#bfe1d9", "MONEY": "#e4e7d2", "QUANTITY": "#e4e7d2",
    "ORDINAL": "#e4e7d2", "CARDINAL": "#e4e7d2", "PERCENT": "#e4e7d2",
}
DEFAULT_LABEL_COLOUR = "#dddddd"
STANCE_COLOURS = {
    "evaluation": "#4e79a7", "obligation": "#f28e2b", "recommendation": "#59a14f", "prediction": "#e15759",
    "concession": "#76b7b2", "attribution": "#b07aa1",
}
UNTYPED = "stance"  # is_stance without a stance_type
UNTYPED_COLOUR = "#9c9c9c"

_ARTICLE_META = ["article_id", "source_uri", "title", "author", "author_handle", "published_date", "publisher",
                 "site", "n_sentences", "n_entities", "n_stance_sentences", "processed_at", PARTITION_COLUMN]


@dataclass
class ReportData:
    """What the report shows, read from the store: all selected articles' metadata and rows."""

    store: str
    since: dt.date | None
    articles: pd.DataFrame  # metadata of every selected article (no body text)
    entities: pd.DataFrame  # every mention in the selected articles
    stance_sentences: pd.DataFrame  # only is_stance rows, for the cross-article views
    runs: pd.DataFrame
    failures: pd.DataFrame


def write_report(store: str, out: Path, since: str | None = None, max_articles: int = DEFAULT_MAX_ARTICLES) -> Path:
    """Render the store at `store` into one HTML file at `out` (written atomically); return its path."""
    since_date = parse_since(since)
    if max_articles < 0:
        raise ConfigError(f"max_articles must be 0 or more, got {max_articles}")
    data = load_report_data(store, since_date)
    html = render_report(data, max_articles)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return out.resolve()


def parse_since(since: str | None) -> dt.date | None:
    if since is None or since == "":
        return None
    try:
        return dt.date.fromisoformat(since.strip())
    except ValueError:
        raise ConfigError(f"--since must be a date like 2026-02-01 (YYYY-MM-DD), got {since!r}") from None


def read_table(store: str, table: str, columns: list[str] | None = None, where: pc.Expression | None = None
               ) -> pa.Table:
    """One table of the store (empty when not written yet), optionally filtered: the report's only storage access."""
    rows = ParquetStore(store).read(table, columns)
    return rows.filter(where) if where is not None else rows


def load_report_data(store: str, since: dt.date | None = None) -> ReportData:
    """Everything but the article bodies, which are read only for the articles shown in full."""
    if not is_url(store) and not Path(store).is_dir():
        raise ConfigError(f"no Parquet store at {store}: run `oped-extract run PATH --out {store}` first")
    art_filter = pc.field("published_date") >= pa.scalar(since, pa.date32()) if since else None
    articles = read_table(store, "articles", _ARTICLE_META, art_filter).to_pandas()
    runs = read_table(store, "runs").to_pandas()
    failures = read_table(store, "failures").to_pandas()
    if articles.empty and runs.empty and failures.empty and since is None:
        raise ConfigError(f"the store at {store} holds no articles, runs or failures: "
                          f"run `oped-extract run PATH --out {store}` first")
    ids = pa.array(articles["article_id"].tolist(), pa.string())
    in_selection = pc.field("article_id").isin(ids)
    entities = read_table(store, "entities", None, in_selection).to_pandas()
    stance = read_table(
        store, "sentences",
        ["article_id", "sentence_index", "is_stance", "stance_type", "holder_entity_id", PARTITION_COLUMN],
        in_selection & pc.field("is_stance"),
    ).to_pandas()
    if since is not None:
        # Run history and failures are about when things happened, so --since filters them by time.
        start = pd.Timestamp(since, tz="UTC")
        runs = runs[runs["started_at"] >= start]
        failures = failures[failures["at"] >= start]
    return ReportData(store, since, articles, entities, stance, runs.reset_index(drop=True),
                      failures.reset_index(drop=True))


def newest_articles(articles: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Newest first by published date (undated last), then by processing time."""
    ordered = articles.assign(_undated=articles["published_date"].isna()).sort_values(
        ["_undated", "published_date", "processed_at", "article_id"], ascending=[True, False, False, True],
        kind="stable")
    return ordered.drop(columns="_undated").head(limit)


# ---------------------------------------------------------------- aggregates


def top_entities(entities: pd.DataFrame, stance: pd.DataFrame) -> pd.DataFrame:
    """Named entities with their mentions, articles, stance sentences mentioning them and times as holder."""
    named = entities[~entities["label"].isin(VALUE_LABELS)]
    cols = ["entity_id", "name", "label", "mentions", "articles", "stance_sentences", "as_holder"]
    if named.empty:
        return pd.DataFrame(columns=cols)
    g = named.groupby("entity_id")
    out = pd.DataFrame({"mentions": g.size(), "articles": g["article_id"].nunique()})
    out["name"] = _most_common(named, "canonical_name")
    out["label"] = _most_common(named, "label")
    in_stance = named.merge(stance[["article_id", "sentence_index"]], on=["article_id", "sentence_index"])
    in_stance = in_stance.drop_duplicates(["entity_id", "article_id", "sentence_index"])
    out["stance_sentences"] = in_stance.groupby("entity_id").size()
    out["as_holder"] = stance["holder_entity_id"].dropna().value_counts()
    out[["stance_sentences", "as_holder"]] = out[["stance_sentences", "as_holder"]].fillna(0).astype(int)
    out = out.reset_index()[cols]
    return out


def _most_common(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per entity_id, the most frequent value of `column` (vectorised: no Python call per group)."""
    counts = frame.groupby(["entity_id", column]).size().reset_index(name="k")
    counts = counts.sort_values(["entity_id", "k", column], ascending=[True, False, True])
    return counts.drop_duplicates("entity_id").set_index("entity_id")[column]


def stance_by_month(stance: pd.DataFrame) -> pd.DataFrame:
    """Stance sentences per published month (rows, oldest first, 'unknown' last) and stance type (columns)."""
    if stance.empty:
        return pd.DataFrame()
    typed = stance.assign(stance_type=stance["stance_type"].fillna(UNTYPED))
    table = typed.groupby([PARTITION_COLUMN, "stance_type"]).size().unstack(fill_value=0)
    order = [t for t in (*STANCE_COLOURS, UNTYPED) if t in table.columns]
    order += sorted(c for c in table.columns if c not in order)
    months = sorted(m for m in table.index if m != "unknown") + (["unknown"] if "unknown" in table.index else [])
    return table.loc[months, order]


def resolved_places(entities: pd.DataFrame) -> pd.DataFrame:
    """Entities with coordinates, one row per entity_id, most mentioned first."""
    cols = ["entity_id", "name", "label", "kb_id", "country_code", "latitude", "longitude", "mentions", "articles"]
    placed = entities.dropna(subset=["latitude", "longitude"])
    if placed.empty:
        return pd.DataFrame(columns=cols)
    g = placed.groupby("entity_id")
    out = g.agg(latitude=("latitude", "first"), longitude=("longitude", "first"), kb_id=("kb_id", "first"),
                country_code=("country_code", "first"), mentions=("entity_id", "size"),
                articles=("article_id", "nunique"))
    out["name"] = _most_common(placed, "canonical_name")
    out["label"] = _most_common(placed, "label")
    return out.reset_index().sort_values(["mentions", "name"], ascending=[False, True])[cols]


# ---------------------------------------------------------------- charts (matplotlib -> inline SVG)


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inlined into HTML


def _figure(width: float, height: float):
    # Figure without pyplot: no global backend or figure registry is touched (safe in notebooks and servers).
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller and searchable
    matplotlib.rcParams["svg.hashsalt"] = "oped-extract"  # deterministic ids, so reports diff cleanly
    return Figure(figsize=(width, height))


def stance_chart(by_month: pd.DataFrame) -> str:
    fig = _figure(8, 3.2)
    ax = fig.add_subplot()
    bottom = [0] * len(by_month)
    x = list(range(len(by_month)))
    for stance_type in by_month.columns:
        values = by_month[stance_type].tolist()
        ax.bar(x, values, bottom=bottom, label=stance_type,
               color=STANCE_COLOURS.get(stance_type, UNTYPED_COLOUR), width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=False)]
    ax.set_xticks(x, [str(m) for m in by_month.index], rotation=45 if len(x) > 8 else 0, ha="right" if len(x) > 8
                  else "center")
    ax.set_xlim(-0.75, max(len(x), 6) - 0.25)  # a few months should not become one wall-wide bar
    ax.set_ylabel("stance sentences")
    ax.set_title("Stance sentences per month, by type")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    return _svg(fig)


def places_chart(places: pd.DataFrame) -> str:
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    shown = places.head(60)
    sizes = [20 + 12 * min(m, 30) for m in shown["mentions"]]
    ax.scatter(shown["longitude"], shown["latitude"], s=sizes, color="#ff9561", edgecolor="#7a3b1c", alpha=0.8)
    for _, row in shown.iterrows():
        ax.annotate(str(row["name"]), (row["longitude"], row["latitude"]), xytext=(4, 4),
                    textcoords="offset points", fontsize=8)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title("Resolved places (marker size: mentions)")
    ax.grid(True, color="#eeeeee")
    ax.set_aspect("equal", adjustable="datalim")
    ax.margins(0.15)
    return _svg(fig)


# ---------------------------------------------------------------- HTML


def render_report(data: ReportData, max_articles: int = DEFAULT_MAX_ARTICLES) -> str:
    """The whole page as one string: inline CSS, inline SVG, no scripts, nothing fetched when opened."""
    shown = newest_articles(data.articles, max_articles)
    parts = [
        _head(data),
        _summary(data),
        _overview(data),
        _places(data.entities),
        _articles(data, shown),
        _failures(data.failures),
        "</main></body></html>\n",
    ]
    return "\n".join(parts)


def _e(value) -> str:
    """Escape any cell for HTML text or a quoted attribute; missing values become an em dash."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "—"
    return escape(str(value), quote=True)


def _head(data: ReportData) -> str:
    label_css = "\n".join(f"mark.lbl-{k} {{ background: {v}; }}" for k, v in LABEL_COLOURS.items())
    stance_css = "\n".join(
        f".sent.st-{k} {{ border-bottom-color: {v}; }} .tag-{k} {{ background: {v}; }}"
        for k, v in STANCE_COLOURS.items())
    title = "oped-extract report" + (f" since {data.since.isoformat()}" if data.since else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; color: #222;
       background: #fafafa; line-height: 1.5; }}
main {{ max-width: 1100px; margin: 0 auto; padding: 1.5rem; }}
h1 {{ margin-top: 0; }} h2 {{ border-bottom: 2px solid #ddd; padding-bottom: .2rem; margin-top: .2rem; }}
h3 {{ margin: 1rem 0 .3rem; }}
section {{ background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: 1rem 1.2rem; margin: 1rem 0; }}
table {{ border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }}
th, td {{ border-bottom: 1px solid #eee; padding: .25rem .6rem; text-align: left; vertical-align: top; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.cards {{ display: flex; flex-wrap: wrap; gap: .8rem; }}
.card {{ background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; padding: .6rem 1rem; min-width: 8rem; }}
.card b {{ display: block; font-size: 1.5rem; }}
.cols {{ display: flex; flex-wrap: wrap; gap: 2rem; }}
.note {{ color: #666; font-size: .9rem; }}
.chart svg {{ max-width: 100%; height: auto; }}
.meta-line {{ color: #555; font-size: .92rem; margin: .2rem 0 .8rem; }}
.body {{ white-space: pre-wrap; font-family: Georgia, "Times New Roman", serif; font-size: 1.02rem;
         line-height: 2.1; }}
mark.ent {{ padding: .1em .3em; border-radius: .3em; background: {DEFAULT_LABEL_COLOUR}; color: #111; }}
mark.ent .lbl {{ font: bold .62rem sans-serif; text-transform: uppercase; margin-left: .35em;
                 vertical-align: middle; }}
{label_css}
.sent.stance {{ border-bottom: 3px solid {UNTYPED_COLOUR}; }}
.stance-tag {{ font: .68rem sans-serif; color: #fff; background: {UNTYPED_COLOUR}; border-radius: .3em;
               padding: .05em .4em; margin: 0 .3em; vertical-align: middle; white-space: normal; }}
.stance-tag i {{ font-style: normal; opacity: .85; }}
{stance_css}
.legend span {{ display: inline-block; margin: .15rem .5rem .15rem 0; }}
.toc td {{ font-size: .85rem; }}
</style></head><body><main>
<h1>{_e(title)}</h1>
<p class="note">Store <code>{_e(data.store)}</code> · generated {_e(_now())} by oped-extract {_e(PIPELINE_VERSION)}.
Entity colours follow displaCy; hover a highlight for its canonical name and entity_id, a stance mark for its
score and holder.</p>"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _summary(data: ReportData) -> str:
    arts = data.articles
    dates = arts["published_date"].dropna()
    span = f"{min(dates)} – {max(dates)}" if len(dates) else "no dated articles"
    cards = [
        ("articles", len(arts)),
        ("entity mentions", len(data.entities)),
        ("distinct entities", data.entities["entity_id"].nunique()),
        ("stance sentences", len(data.stance_sentences)),
        ("failures", len(data.failures)),
    ]
    html = "".join(f'<div class="card"><b>{n:,}</b>{_e(k)}</div>' for k, n in cards)
    undated = int(arts["published_date"].isna().sum())
    extra = f"; {undated:,} undated" if undated else ""
    since = f" (published on or after {data.since.isoformat()})" if data.since else ""
    return (f'<section id="summary"><div class="cards">{html}</div>'
            f'<p class="note">Articles{_e(since)}: {_e(span)}{_e(extra)}.</p>'
            f'<p class="run-history"><b>Run history:</b> {_e(run_history_line(data.runs))}</p></section>')


def run_history_line(runs: pd.DataFrame) -> str:
    """One sentence about the runs table (plain text; escaped by the caller)."""
    if runs.empty:
        return "No runs recorded."
    runs = runs.sort_values("started_at")
    last = runs.iloc[-1]
    first_at = runs["started_at"].iloc[0].strftime("%Y-%m-%d %H:%M")
    last_at = last["finished_at"].strftime("%Y-%m-%d %H:%M UTC")
    seconds = (last["finished_at"] - last["started_at"]).total_seconds()
    return (f"{len(runs):,} run{'s' if len(runs) != 1 else ''} since {first_at}: "
            f"{int(runs['n_processed'].sum()):,} articles processed, "
            f"{int(runs['n_skipped_unchanged'].sum()):,} skipped unchanged, {int(runs['n_failed'].sum()):,} failed. "
            f"Last run {last['run_id']} finished {last_at} in {seconds:.1f}s: {int(last['n_seen']):,} seen, "
            f"{int(last['n_processed']):,} processed, {int(last['n_skipped_unchanged']):,} skipped, "
            f"{int(last['n_failed']):,} failed (model {last['model_name']}, oped-extract {last['pipeline_version']}).")


def _table(frame: pd.DataFrame, columns: list[tuple[str, str]], css_class: str = "") -> str:
    """An HTML table of `frame`; `columns` are (column, header) pairs; numbers right-aligned."""
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if pd.api.types.is_numeric_dtype(frame[c]) else f"<th>{_e(h)}</th>"
        for c, h in columns)
    rows = []
    for rec in frame[[c for c, _ in columns]].itertuples(index=False):
        cells = []
        for (c, _), v in zip(columns, rec, strict=False):
            if pd.api.types.is_numeric_dtype(frame[c]):
                if c in ("latitude", "longitude"):
                    text = f"{v:.5f}"
                elif isinstance(v, (int, np.integer)):
                    text = f"{v:,}"
                else:
                    text = _e(v)
                cells.append(f'<td class="num">{text}</td>')
            elif c == "label":
                cells.append(f'<td><mark class="ent {_label_class(v)}">{_e(v)}</mark></td>')
            else:
                cells.append(f"<td>{_e(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cls = f' class="{css_class}"' if css_class else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _label_class(label) -> str:
    return f"lbl-{label}" if label in LABEL_COLOURS else ""


def _overview(data: ReportData) -> str:
    top = top_entities(data.entities, data.stance_sentences)
    cols = [("name", "entity"), ("label", "label"), ("entity_id", "entity_id"), ("mentions", "mentions"),
            ("articles", "articles"), ("stance_sentences", "stance sentences"), ("as_holder", "as holder")]
    by_mentions = top.sort_values(["mentions", "name"], ascending=[False, True]).head(TOP_N)
    by_stance = top[top["stance_sentences"] > 0].sort_values(
        ["stance_sentences", "mentions", "name"], ascending=[False, False, True]).head(TOP_N)
    excluded = ", ".join(sorted(VALUE_LABELS))
    parts = ['<section id="overview"><h2>Across articles</h2>',
             f'<p class="note">Ranked over named entities (dates and numbers – {_e(excluded)} – are left out).</p>',
             '<div class="cols"><div><h3>Top entities by mentions</h3>',
             _table(by_mentions, cols, "top-mentions") if len(by_mentions) else "<p>No named entities.</p>",
             "</div><div><h3>Top entities by stance sentences</h3>",
             '<p class="note">Stance sentences that mention the entity.</p>',
             _table(by_stance, cols, "top-stance") if len(by_stance) else "<p>No entity in a stance sentence.</p>",
             "</div></div>", '<h3>Stance types over time</h3>']
    by_month = stance_by_month(data.stance_sentences)
    if by_month.empty:
        parts.append("<p>No stance sentences.</p>")
    else:
        parts.append(f'<div class="chart" id="stance-chart">{stance_chart(by_month)}</div>')
        frame = by_month.reset_index().rename(columns={PARTITION_COLUMN: "month"})
        parts.append(f'<details><summary>the numbers</summary>'
                     f'{_table(frame, [(c, c) for c in frame.columns], "stance-by-month")}</details>')
    parts.append(_stance_legend())
    parts.append("</section>")
    return "\n".join(parts)


def _stance_legend() -> str:
    items = "".join(f'<span class="stance-tag tag-{k}">{_e(k)}</span>' for k in STANCE_COLOURS)
    return f'<p class="legend">Stance types: {items}</p>'


def _places(entities: pd.DataFrame) -> str:
    places = resolved_places(entities)
    if places.empty:
        return ('<section id="places"><h2>Resolved places</h2>'
                "<p>No entity has coordinates yet (places resolve through the gazetteer).</p></section>")
    cols = [("name", "place"), ("label", "label"), ("entity_id", "entity_id"), ("kb_id", "kb_id"),
            ("country_code", "country"), ("latitude", "latitude"), ("longitude", "longitude"),
            ("mentions", "mentions"), ("articles", "articles")]
    return ('<section id="places"><h2>Resolved places</h2>'
            f'<div class="cols"><div class="chart" id="places-chart">{places_chart(places)}</div>'
            f'<div>{_table(places, cols, "places")}</div></div></section>')


def _articles(data: ReportData, shown: pd.DataFrame) -> str:
    total = len(data.articles)
    parts = ['<section id="articles"><h2>Articles</h2>']
    if total == 0:
        since = f" published on or after {data.since.isoformat()}" if data.since else ""
        parts.append(f"<p>No articles{_e(since)}.</p></section>")
        return "\n".join(parts)
    if len(shown) < total:
        parts.append(f'<p class="note cap-note">Showing the {len(shown):,} newest of {total:,} articles '
                     f"(capped at --max-articles={len(shown):,}); the tables above cover all {total:,}.</p>")
    parts.append(_toc(shown))
    parts.append(_entity_legend(data.entities))
    parts.append("</section>")
    if shown.empty:
        return "\n".join(parts)
    # Bodies and sentences are read only for the articles shown: the store may hold many thousands.
    ids = pa.array(shown["article_id"].tolist(), pa.string())
    in_shown = pc.field("article_id").isin(ids)
    bodies = dict(zip(*read_table(data.store, "articles", ["article_id", "body_text"], in_shown)
                      .to_pydict().values(), strict=False))
    sentences = read_table(data.store, "sentences", None, in_shown).to_pandas()
    ents = data.entities[data.entities["article_id"].isin(set(shown["article_id"]))]
    ents_by_article = dict(tuple(ents.groupby("article_id")))
    sents_by_article = dict(tuple(sentences.groupby("article_id")))
    empty_e, empty_s = ents.iloc[0:0], sentences.iloc[0:0]
    for art in shown.itertuples(index=False):
        parts.append(_article(art, bodies.get(art.article_id, ""), ents_by_article.get(art.article_id, empty_e),
                              sents_by_article.get(art.article_id, empty_s)))
    return "\n".join(parts)


def _toc(shown: pd.DataFrame) -> str:
    rows = []
    for a in shown.itertuples(index=False):
        rows.append(f'<tr><td>{_e(a.published_date)}</td><td><a href="#a-{_e(a.article_id)}">{_e(_title(a))}</a>'
                    f'</td><td>{_e(a.publisher)}</td><td class="num">{a.n_entities:,}</td>'
                    f'<td class="num">{a.n_stance_sentences:,} / {a.n_sentences:,}</td></tr>')
    return ('<table class="toc"><thead><tr><th>date</th><th>title</th><th>publisher</th><th class="num">entities'
            f'</th><th class="num">stance / sentences</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _title(art) -> str:
    return art.title or f"(untitled) {Path(str(art.source_uri)).name}"


def _entity_legend(entities: pd.DataFrame) -> str:
    labels = sorted(entities["label"].unique())
    items = "".join(f'<span><mark class="ent {_label_class(lbl)}">{_e(lbl)}</mark></span>' for lbl in labels)
    return f'<p class="legend">Entity labels: {items}</p>' if labels else ""


def _article(art, body: str, ents: pd.DataFrame, sents: pd.DataFrame) -> str:
    author = art.author if isinstance(art.author, str) else None
    if isinstance(art.author_handle, str):
        author = f"{author} ({art.author_handle})" if author else art.author_handle
    meta = [("date", art.published_date), ("publisher", art.publisher), ("author", author),
            ("site", art.site)]
    line = " · ".join(f'<span class="m-{k}">{_e(k)}: <b>{_e(v)}</b></span>' for k, v in meta)
    counts = (f"{art.n_entities:,} entity mentions · {art.n_stance_sentences:,} of {art.n_sentences:,} "
              "sentences take a stance")
    return (f'<section class="article" id="a-{_e(art.article_id)}" data-article-id="{_e(art.article_id)}">'
            f'<h3 class="title">{_e(_title(art))}</h3><p class="meta-line">{line}<br>{_e(counts)} · '
            f'<span class="note">article_id {_e(art.article_id)} · {_e(art.source_uri)}</span></p>'
            f'<div class="body">{highlight_body(body, ents, sents)}</div></section>')


def highlight_body(body: str, entities: pd.DataFrame, sentences: pd.DataFrame) -> str:
    """The body as HTML: every sentence a span (stance ones marked by type, with cues), entities as marks.

    Offsets are into `body`; an entity that crosses a sentence boundary is drawn in each sentence it touches,
    and overlapping entities keep the first, so the markup always nests and the text is reproduced exactly.
    """
    ents = _non_overlapping(entities)
    out: list[str] = []
    pos = 0
    for s in sentences.sort_values("start_char").itertuples(index=False):
        start, end = max(int(s.start_char), pos), min(int(s.end_char), len(body))
        if start >= end:
            continue
        out.append(escape(body[pos:start]))
        # Trailing whitespace (a sentence may end with the paragraph's newline) goes after the stance tag,
        # so the tag sits at the end of its sentence, not at the start of the next line.
        end, tail = _rstrip_span(body, start, end)
        inner = _mark_entities(body, start, end, ents)
        if s.is_stance:
            stance_type = s.stance_type if isinstance(s.stance_type, str) and s.stance_type else UNTYPED
            cues = [str(c) for c in (s.cues if s.cues is not None else [])]
            holder = s.holder if isinstance(s.holder, str) else "—"
            hover = f"{stance_type} · score {s.stance_score:.2f} · holder: {holder} · cues: {', '.join(cues) or '—'}"
            cue_html = f' · <i class="cues">{_e(", ".join(cues))}</i>' if cues else ""
            tag = (f'<span class="stance-tag tag-{_e(stance_type)}" data-role="meta">{_e(stance_type)}'
                   f"{cue_html}</span>")
            out.append(f'<span class="sent stance st-{_e(stance_type)}" data-index="{int(s.sentence_index)}" '
                       f'data-stance-type="{_e(stance_type)}" data-cues="{_e("|".join(cues))}" '
                       f'title="{_e(hover)}">{inner}</span>{tag}')
        else:
            out.append(f'<span class="sent" data-index="{int(s.sentence_index)}">{inner}</span>')
        out.append(escape(body[end:tail]))
        pos = tail
    out.append(escape(body[pos:]))
    return "".join(out)


def _rstrip_span(body: str, start: int, end: int) -> tuple[int, int]:
    """(end without trailing whitespace, original end); a blank sentence keeps its full range."""
    stripped = start + len(body[start:end].rstrip())
    return (stripped if stripped > start else end), end


def _non_overlapping(entities: pd.DataFrame) -> list[tuple[int, int, object]]:
    """(start, end, row) sorted by start; where mentions overlap, the earlier (then longer) one wins."""
    ordered = sorted(((int(r.start_char), int(r.end_char), r) for r in entities.itertuples(index=False)),
                     key=lambda t: (t[0], -t[1]))
    kept: list[tuple[int, int, object]] = []
    for item in ordered:
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def _mark_entities(body: str, start: int, end: int, ents: list[tuple[int, int, object]]) -> str:
    out: list[str] = []
    pos = start
    for e_start, e_end, ent in ents:
        if e_end <= pos or e_start >= end:
            continue
        a, b = max(e_start, pos), min(e_end, end)
        if a >= b:
            continue
        out.append(escape(body[pos:a]))
        hover = f"{ent.canonical_name} · {ent.entity_id}"
        if isinstance(ent.kb_id, str):
            hover += f" · {ent.kb_id}"
        out.append(f'<mark class="ent {_label_class(ent.label)}" data-label="{_e(ent.label)}" '
                   f'data-entity-id="{_e(ent.entity_id)}" title="{_e(hover)}">{escape(body[a:b])}'
                   f'<span class="lbl" data-role="meta">{_e(ent.label)}</span></mark>')
        pos = b
    out.append(escape(body[pos:end]))
    return "".join(out)


def _failures(failures: pd.DataFrame) -> str:
    if failures.empty:
        return '<section id="failures"><h2>Failures</h2><p>No failures recorded.</p></section>'
    newest = failures.sort_values("at", ascending=False)
    note = ""
    if len(newest) > MAX_FAILURES:
        note = f'<p class="note">Showing the {MAX_FAILURES:,} newest of {len(newest):,} failures.</p>'
        newest = newest.head(MAX_FAILURES)
    newest = newest.assign(at=newest["at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    cols = [("at", "at"), ("run_id", "run"), ("source_uri", "input"), ("stage", "stage"),
            ("error_type", "error"), ("message", "message")]
    return (f'<section id="failures"><h2>Failures ({len(failures):,})</h2>{note}'
            f'{_table(newest, cols, "failures")}</section>')
