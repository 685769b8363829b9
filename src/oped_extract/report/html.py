"""The HTML report: one self-contained page analysts open for themselves – an explorer with search and filters,
a drill-down per entity, stance over time, a map with country outlines, the articles with their syndicated copies,
run history. Inline CSS, SVG and JavaScript; nothing is fetched when it is opened."""

from __future__ import annotations

import datetime as dt
import json
import os
from html import escape
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from oped_extract import PIPELINE_VERSION
from oped_extract.errors import ConfigError
from oped_extract.report import world
from oped_extract.report.data import (
    UNTYPED,
    VALUE_LABELS,
    ReportData,
    by_article,
    entity_stance_by_month,
    entity_stance_counts,
    load_report_data,
    month_order,
    newest,
    parse_since,
    places,
    read_table,
    records,
    run_history,
    runs_table,
    stance_by_month,
    top_entities,
    type_order,
)
from oped_extract.store.schema import PARTITION_COLUMN

# Per-article sections are the heavy part of the page; beyond a few hundred a browser struggles.
DEFAULT_MAX_ARTICLES = 200
# Sentences embedded for the explorer (newest articles first): about 150 bytes each, so ~3 MB at the cap.
DEFAULT_MAX_SENTENCES = 20_000
MAX_FAILURES = 200
TOP_N = 50  # rows of the entity table
TRENDS_N = 12  # entities in "stance share over time"
SELECT_N = 300  # entities offered in the entity filter (any entity can still be picked by clicking it)
MAP_LABELS = 12
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
UNTYPED_COLOUR = "#9c9c9c"


def write_report(store: str, out: Path, since: str | None = None, max_articles: int = DEFAULT_MAX_ARTICLES,
                 max_sentences: int = DEFAULT_MAX_SENTENCES) -> Path:
    """Render the store at `store` into one HTML file at `out` (written atomically); return its path."""
    since_date = parse_since(since)
    for name, value in (("max_articles", max_articles), ("max_sentences", max_sentences)):
        if value < 0:
            raise ConfigError(f"{name} must be 0 or more, got {value}")
    data = load_report_data(store, since_date)
    html = render_report(data, max_articles, max_sentences)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:  # e.g. --out names a folder, or the disk is full: no temp file stays behind
        tmp.unlink(missing_ok=True)
        raise
    return out.resolve()


def render_report(data: ReportData, max_articles: int = DEFAULT_MAX_ARTICLES,
                  max_sentences: int = DEFAULT_MAX_SENTENCES) -> str:
    """The whole page as one string: inline CSS, SVG and script, nothing fetched when opened."""
    top = top_entities(data)
    stories = newest(data.articles)
    shown = stories.head(max_articles)
    embedded = embedded_articles(data, stories, max_sentences)
    # One read of the sentences the page shows (the explorer's and those of the articles shown in full), from
    # the partitions of their months only.
    wanted = pd.concat([embedded, shown])
    ids = pa.array(sorted(set(wanted["article_id"])), pa.string())
    sentences = by_article(records(read_table(data.store, "sentences", None, pc.field("article_id").isin(ids),
                                              set(wanted[PARTITION_COLUMN]))))
    page = Page(explorer_payload(data, top, stories, embedded, sentences, set(shown["article_id"])),
                set(shown["article_id"]))
    parts = [
        _head(data),
        _summary(data, page.payload),
        _explorer(page.payload),
        _entities(top, page),
        _trends(data, top, page),
        _map(data, page),
        _stories(data, stories, page),
        _articles(data, shown, sentences),
        _runs(data),
        _failures(data.failures),
        f'<script id="report-data" type="application/json">{_json(page.payload)}</script>',
        f"<script>{_asset('report.js')}</script>",
        "</main></body></html>\n",
    ]
    return "\n".join(parts)


class Page:
    """The explorer's data and what sections need to link into it."""

    def __init__(self, payload: dict, full: set[str]) -> None:
        self.payload = payload
        self.full = full  # article_ids shown in full (their titles link to them)
        self.index = {e[0]: i for i, e in enumerate(payload["entities"])}

    def pick(self, entity_id: str) -> str:
        """The attribute that makes an element open the entity's drill-down."""
        index = self.index.get(entity_id)
        return f' data-pick="{index}"' if index is not None else ""


def _asset(name: str) -> str:
    return resources.files("oped_extract.data").joinpath(name).read_text(encoding="utf-8")


def _json(value) -> str:
    """JSON safe inside <script>: no '<' (so no '</script>' or '<!--') can end or change the element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _e(value) -> str:
    """Escape any cell for HTML text or a quoted attribute; missing values become an em dash."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "—"
    return escape(str(value), quote=True)


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


# ---------------------------------------------------------------- the explorer's data


def embedded_articles(data: ReportData, stories: pd.DataFrame, max_sentences: int) -> pd.DataFrame:
    """The newest stories whose sentences (those that take a stance or name an entity) fit in `max_sentences`."""
    per_article = _explorer_keys(data)["article_id"].value_counts()
    counts = stories["article_id"].map(per_article).fillna(0).astype(int)
    return stories[(counts.cumsum() <= max_sentences).to_numpy()]


def _explorer_keys(data: ReportData) -> pd.DataFrame:
    """(article_id, sentence_index) of the sentences the explorer offers: stance ones and those naming entities."""
    return pd.concat([data.stance[["article_id", "sentence_index"]],
                      data.named[["article_id", "sentence_index"]]]).drop_duplicates()


def explorer_payload(data: ReportData, top: pd.DataFrame, stories: pd.DataFrame, embedded: pd.DataFrame,
                     sentences: dict[str, list], full: set[str]) -> dict:
    """What the page's script works on (compact lists, indexes instead of repeated strings): the embedded
    articles' sentences that take a stance or name an entity, each with its entity spans; the entities with their
    store-wide counts and stance share per month. `sentences`: rows per article_id; `full`: articles shown in
    full."""
    keys = _explorer_keys(data)
    wanted = set(zip(keys["article_id"], keys["sentence_index"], strict=True))
    entity_index = {e: i for i, e in enumerate(top["entity_id"])}
    outlets = sorted({_outlet(a) for a in records(stories)} - {None})
    months = month_order(stories[PARTITION_COLUMN].unique())
    types = type_order([*STANCE_COLOURS, *data.stance["stance_type"].unique()])
    outlet_i, month_i, type_i = ({v: i for i, v in enumerate(xs)} for xs in (outlets, months, types))
    ids = embedded["article_id"].tolist()
    articles = [[a.article_id, _title(a), outlet_i.get(_outlet(a), -1), month_i[getattr(a, PARTITION_COLUMN)],
                 _e(a.published_date) if pd.notna(a.published_date) else "undated", int(a.n_copies),
                 int(a.article_id in full)] for a in records(embedded)]
    spans = by_article(records(data.named[data.named["article_id"].isin(set(ids))][
        ["article_id", "sentence_index", "entity_id", "start_char", "end_char"]]))
    out = []
    for i, article_id in enumerate(ids):
        marks: dict[int, list] = {}
        for m in spans.get(article_id, ()):
            marks.setdefault(m.sentence_index, []).append(m)
        for s in sentences.get(article_id, ()):
            if (article_id, s.sentence_index) not in wanted:
                continue
            stance_type = (s.stance_type or UNTYPED) if s.is_stance else None
            out.append([i, s.sentence_index, s.text, type_i[stance_type] if stance_type else -1,
                        (s.holder or "") if s.is_stance else "",
                        [[entity_index[m.entity_id], m.start_char - s.start_char, m.end_char - s.start_char]
                         for m in marks.get(s.sentence_index, ())]])
    # Per entity and month: its stance sentences per type, in month order ([[month, [n per type]], ...]).
    share: dict[str, list] = {}
    counts = entity_stance_counts(data)
    for c in records(counts.assign(m=counts[PARTITION_COLUMN].map(month_i)).sort_values(["entity_id", "m"])):
        rows = share.setdefault(str(entity_index[c.entity_id]), [])
        if not rows or rows[-1][0] != c.m:
            rows.append([c.m, [0] * len(types)])
        rows[-1][1][type_i[c.stance_type]] = int(c.n)
    return {
        "types": types, "outlets": outlets, "months": months,
        "entities": [[r.entity_id, r.name, r.label] for r in records(top)],
        "stats": {str(i): [int(r.mentions), int(r.articles), int(r.stance_sentences), int(r.as_holder)]
                  for i, r in enumerate(records(top))},
        "share": share,
        "articles": articles,
        "sentences": out,
        "n_stories": len(stories),
        "n_keys": len(wanted),
    }


def _outlet(article) -> str | None:
    for value in (article.publisher, article.site):
        if isinstance(value, str) and value:
            return value
    return None


def _title(art) -> str:
    return art.title or f"(untitled) {Path(str(art.source_uri)).name}"


# ---------------------------------------------------------------- page sections


def _head(data: ReportData) -> str:
    label_css = "\n".join(f"mark.lbl-{k} {{ background: {v}; }}" for k, v in LABEL_COLOURS.items())
    stance_css = "\n".join(
        f".sent.st-{k} {{ border-bottom-color: {v}; }} .tag-{k} {{ background: {v}; }} .fill-{k} {{ fill: {v}; }} "
        f".bar-{k} {{ background: {v}; }}" for k, v in {**STANCE_COLOURS, UNTYPED: UNTYPED_COLOUR}.items())
    title = "oped-extract report" + (f" since {data.since.isoformat()}" if data.since else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; color: #222;
       background: #fafafa; line-height: 1.5; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 1.5rem; }}
h1 {{ margin-top: 0; }} h2 {{ border-bottom: 2px solid #ddd; padding-bottom: .2rem; margin-top: .2rem; }}
h3 {{ margin: 1rem 0 .3rem; }} h4 {{ margin: .8rem 0 .2rem; }}
nav a {{ margin-right: .8rem; }}
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
.filters {{ position: sticky; top: 0; background: #fff; padding: .5rem 0; z-index: 2; display: flex;
            flex-wrap: wrap; gap: .5rem; align-items: center; border-bottom: 1px solid #eee; }}
.filters input, .filters select, .filters button {{ font: inherit; padding: .2rem .4rem; }}
.filters input {{ min-width: 16rem; }}
#drill {{ border-left: 4px solid #4e79a7; padding-left: .8rem; margin: .6rem 0; }}
#sentences td:first-child {{ width: 14rem; font-size: .85rem; }}
#sentences td:last-child {{ min-width: 30rem; }}
.scroll {{ max-height: 70vh; overflow: auto; border: 1px solid #eee; }}
#sentences thead th {{ position: sticky; top: 0; background: #fff; }}
[data-pick] {{ cursor: pointer; }}
mark.sel {{ outline: 2px solid #222; }}
.sharebar {{ display: flex; width: 120px; height: 12px; background: #f0f0f0; }}
.sharebar span {{ display: block; height: 100%; }}
svg.share text, svg.bars text {{ font-size: 9px; fill: #555; }}
#map svg {{ width: 100%; height: auto; background: #f4f8fb; border: 1px solid #dde3e8; }}
#map path {{ fill: #e9ecef; stroke: #8a939c; stroke-width: .6px; vector-effect: non-scaling-stroke; }}
#map circle {{ fill: #e15759; fill-opacity: .7; stroke: #7a1f22; stroke-width: 1px;
               vector-effect: non-scaling-stroke; }}
#map text {{ fill: #222; paint-order: stroke; stroke: #fff; stroke-linejoin: round; }}
.entity-trends td {{ border: 0; padding: 0 .6rem; vertical-align: middle; }}
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
Syndicated copies of one text (same <code>content_sha256</code>) are counted once: as its first copy, with the
others listed. Click an entity anywhere to see every sentence that mentions it.</p>
<nav><a href="#explore">Explore</a><a href="#entities">Entities</a><a href="#trends">Stance over time</a>
<a href="#places">Map</a><a href="#stories">Articles</a><a href="#runs">Runs</a>
<a href="#failures">Failures</a></nav>"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _summary(data: ReportData, payload: dict) -> str:
    arts = data.articles
    dates = arts["published_date"].dropna()
    span = f"{min(dates)} – {max(dates)}" if len(dates) else "no dated articles"
    cards = [
        ("articles", len(arts)),
        ("syndicated copies", len(data.copies) - len(arts)),
        ("entity mentions", len(data.entities)),
        ("distinct entities", data.entities["entity_id"].nunique()),
        ("stance sentences", len(data.stance)),
        ("failures", len(data.failures)),
    ]
    html = "".join(f'<div class="card"><b>{n:,}</b>{_e(k)}</div>' for k, n in cards)
    undated = int(arts["published_date"].isna().sum())
    extra = f"; {undated:,} undated" if undated else ""
    since = f" (published on or after {data.since.isoformat()})" if data.since else ""
    n_embedded = len(payload["articles"])
    cap = ""
    if n_embedded < payload["n_stories"]:
        cap = (f'<p class="note cap-note">The explorer holds the {n_embedded:,} newest of {payload["n_stories"]:,} '
               f"articles ({len(payload['sentences']):,} of {payload['n_keys']:,} sentences; capped at "
               f"--max-sentences to keep the page fast). Every other table, chart and the map cover all "
               f"{payload['n_stories']:,}.</p>")
    return (f'<section id="summary"><div class="cards">{html}</div>'
            f'<p class="note">Articles{_e(since)}: {_e(span)}{_e(extra)}. Counts are over distinct texts: '
            f'{len(data.copies):,} stored articles hold {len(arts):,} distinct texts.</p>{cap}'
            f'<p class="run-history"><b>Run history:</b> {_e(run_history(data.runs, data.copies))}</p></section>')


def _explorer(payload: dict) -> str:
    def options(values, labels=None) -> str:
        return "".join(f'<option value="{i}">{_e(v)}</option>' for i, v in enumerate(labels or values))

    entity_options = "".join(f'<option value="{i}">{_e(name)} ({_e(label)})</option>'
                             for i, (_, name, label) in enumerate(payload["entities"][:SELECT_N]))
    return f"""<section id="explore"><h2>Explore sentences</h2>
<p class="note">Sentences of the articles that take a stance or name an entity. Search looks in the sentence, its
holder, the article's title and outlet and the entities it names; the filters combine.</p>
<noscript><p><b>The explorer needs JavaScript</b>; the sections below work without it.</p></noscript>
<div id="explorer-ui" hidden>
<div class="filters">
<input id="q" type="search" placeholder="Search sentences, holders, titles…" aria-label="search">
<select id="f-outlet" aria-label="outlet"><option value="">all outlets</option>{options(payload["outlets"])}</select>
<select id="f-month" aria-label="month"><option value="">all months</option>{options(payload["months"])}</select>
<select id="f-entity" aria-label="entity"><option value="">all entities</option>{entity_options}</select>
<select id="f-stance" aria-label="stance type"><option value="">any sentence</option>
<option value="stance">stance sentences</option>{options(payload["types"])}<option value="none">no stance</option>
</select>
<button id="reset" type="button">reset</button> <span id="count" class="note"></span>
</div>
<div id="drill" hidden></div>
<div class="scroll"><table id="sentences"><thead><tr><th>article</th><th>stance</th><th>holder</th>
<th>sentence</th></tr></thead><tbody id="rows"></tbody></table></div>
<button id="more" type="button" hidden>show more</button>
</div>
{_stance_legend()}</section>"""


def _stance_legend() -> str:
    items = "".join(f'<span class="stance-tag tag-{k}">{_e(k)}</span>' for k in STANCE_COLOURS)
    return f'<p class="legend">Stance types: {items}</p>'


def _entities(top: pd.DataFrame, page: Page) -> str:
    if top.empty:
        return '<section id="entities"><h2>Entities</h2><p>No named entities.</p></section>'
    types = [t for t in page.payload["types"] if t in top.columns]
    rows = []
    for r in top.head(TOP_N).itertuples(index=False):
        bar = "".join(f'<span class="bar-{t}" style="width:{100 * getattr(r, t) / r.stance_sentences:.1f}%" '
                      f'title="{_e(t)}: {getattr(r, t)}"></span>' for t in types if getattr(r, t))
        rows.append(f'<tr><td><a href="#explore"{page.pick(r.entity_id)}>{_e(r.name)}</a></td>'
                    f'<td><mark class="ent {_label_class(r.label)}">{_e(r.label)}</mark></td>'
                    f'<td>{_e(r.entity_id)}</td><td class="num">{r.mentions:,}</td><td class="num">{r.articles:,}</td>'
                    f'<td class="num">{r.stance_sentences:,}</td><td class="num">{r.as_holder:,}</td>'
                    f'<td><div class="sharebar">{bar}</div></td></tr>')
    excluded = ", ".join(sorted(VALUE_LABELS))
    return (f'<section id="entities"><h2>Entities</h2><p class="note">The {min(TOP_N, len(top))} most mentioned of '
            f"{len(top):,} named entities (dates and numbers – {_e(excluded)} – are left out). Stance sentences: "
            "those that mention the entity; the bar shows their types. Click a name for its drill-down.</p>"
            '<table class="top-mentions"><thead><tr><th>entity</th><th>label</th><th>entity_id</th>'
            '<th class="num">mentions</th><th class="num">articles</th><th class="num">stance sentences</th>'
            f'<th class="num">as holder</th><th>stance share</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            "</section>")


def _label_class(label) -> str:
    return f"lbl-{label}" if label in LABEL_COLOURS else ""


def bars_svg(table: pd.DataFrame, share: bool, height: int = 60, width: int = 16, axis: bool = True) -> str:
    """Stacked bars per month (rows of `table`) and stance type (columns): counts, or shares of 100% when
    `share`. Each segment has a tooltip with its numbers; `axis`: month labels under the bars."""
    parts = []
    peak = max(int(table.sum(axis=1).max()), 1)
    for i, (month, row) in enumerate(table.iterrows()):
        total = int(row.sum())
        scale = height / max(total if share else peak, 1)
        y = height - total * scale  # bars stand on the axis; a share bar fills the height
        for stance_type, n in row.items():
            if not n:
                continue
            h = n * scale
            parts.append(f'<rect class="fill-{_e(stance_type)}" x="{i * width}" y="{y:.2f}" width="{width - 2}" '
                         f'height="{h:.2f}"><title>{_e(month)} · {_e(stance_type)}: {int(n)} of {total}</title></rect>')
            y += h
        x = i * width + width / 2 - 1
        if axis:
            parts.append(f'<text x="{x}" y="{height + 4}" transform="rotate(60 {x} {height + 4})">{_e(month)}</text>')
    return (f'<svg class="{"share" if share else "bars"}" width="{max(len(table) * width, 40)}" '
            f'height="{height + (52 if axis else 2)}">{"".join(parts)}</svg>')


def _trends(data: ReportData, top: pd.DataFrame, page: Page) -> str:
    parts = ['<section id="trends"><h2>Stance over time</h2>']
    by_month = stance_by_month(data.stance)
    if by_month.empty:
        parts.append("<p>No stance sentences.</p></section>")
        return "\n".join(parts)
    parts.append('<h3>Stance sentences per month, by type</h3>')
    parts.append(f'<div class="chart" id="stance-chart">{bars_svg(by_month, share=False, height=120, width=22)}</div>')
    frame = by_month.reset_index().rename(columns={PARTITION_COLUMN: "month"})
    parts.append(f'<details><summary>the numbers</summary>'
                 f'{_table(frame, [(c, c) for c in frame.columns], "stance-by-month")}</details>')
    leaders = top[top["stance_sentences"] > 0].sort_values(
        ["stance_sentences", "mentions", "name"], ascending=[False, False, True]).head(TRENDS_N)
    per_entity = entity_stance_by_month(data, leaders["entity_id"].tolist())
    months = month_order(by_month.index)
    parts.append("<h3>Stance share per entity over time</h3><p class=\"note\">For the entities in most stance "
                 "sentences: per month, the types of the stance sentences that mention it (each bar is 100%; "
                 "hover for counts). Months without such a sentence are empty.</p>"
                 '<table class="entity-trends"><tbody>')
    for i, r in enumerate(leaders.itertuples(index=False)):
        table = per_entity[r.entity_id].reindex(months, fill_value=0)
        parts.append(f'<tr data-entity-id="{_e(r.entity_id)}"><td><a href="#explore"{page.pick(r.entity_id)}>'
                     f'{_e(r.name)}</a> <span class="note">{_n(r.stance_sentences, "stance sentence")}</span></td>'
                     f"<td>{bars_svg(table, share=True, height=26, axis=i == len(leaders) - 1)}</td></tr>")
    parts.append(f"</tbody></table>{_stance_legend()}</section>")
    return "\n".join(parts)


def _table(frame: pd.DataFrame, columns: list[tuple[str, str]], css_class: str = "") -> str:
    """An HTML table of `frame`; `columns` are (column, header) pairs; numbers right-aligned."""
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c, _ in columns}
    head = "".join(f'<th class="num">{_e(h)}</th>' if numeric[c] else f"<th>{_e(h)}</th>" for c, h in columns)
    rows = []
    for rec in frame[[c for c, _ in columns]].itertuples(index=False):
        cells = []
        for (c, _), v in zip(columns, rec, strict=True):
            if numeric[c]:
                text = (f"{v:.5f}" if c in ("latitude", "longitude")
                        else f"{v:,}" if isinstance(v, (int, np.integer)) else _e(v))
                cells.append(f'<td class="num">{text}</td>')
            elif c == "label":
                cells.append(f'<td><mark class="ent {_label_class(v)}">{_e(v)}</mark></td>')
            else:
                cells.append(f"<td>{_e(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cls = f' class="{css_class}"' if css_class else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def map_svg(placed: pd.DataFrame, page: Page | None = None) -> str:
    """Country outlines (Natural Earth) with a marker per place, its area proportional to mentions. The view fits
    the places (at least a region's size); the whole world when there are none."""
    if placed.empty:
        x0, x1, y0, y1 = -180.0, 180.0, -60.0, 85.0
    else:
        lon, lat = placed["longitude"], placed["latitude"]
        cx, cy = (lon.min() + lon.max()) / 2, (lat.min() + lat.max()) / 2
        w = max(lon.max() - lon.min() + 16, 40.0)
        h = max(lat.max() - lat.min() + 12, w / 2)
        w = max(w, h * 1.6)
        x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
    w, h = x1 - x0, y1 - y0
    paths = [f'<path d="{c["d"]}"><title>{_e(c["name"])}</title></path>' for c in world.countries()
             if world.overlaps(c, (x0, x1, y0, y1))]
    marks, labels = [], []
    if not placed.empty:
        r_max, peak = w * 0.035, placed["mentions"].max()
        for i, p in enumerate(placed.itertuples(index=False)):
            r = max(r_max * (p.mentions / peak) ** 0.5, r_max * 0.2)
            pick = page.pick(p.entity_id) if page is not None else ""
            marks.append(f'<circle cx="{p.longitude:.3f}" cy="{-p.latitude:.3f}" r="{r:.3f}" '
                         f'data-entity-id="{_e(p.entity_id)}" data-mentions="{p.mentions}"{pick}>'
                         f"<title>{_e(p.name)} · {p.mentions:,} mentions in {p.articles:,} articles</title></circle>")
            if i < MAP_LABELS:
                labels.append(f'<text x="{p.longitude + r * 0.8:.3f}" y="{-p.latitude - r * 0.8:.3f}">'
                              f"{_e(p.name)}</text>")
    return (f'<svg viewBox="{x0:.2f} {-y1:.2f} {w:.2f} {h:.2f}" role="img" aria-label="map of places">'
            f'<g class="countries">{"".join(paths)}</g><g class="markers">{"".join(marks)}</g>'
            f'<g class="labels" font-size="{w * 0.018:.3f}" stroke-width="{w * 0.004:.3f}">{"".join(labels)}</g>'
            "</svg>")


def _map(data: ReportData, page: Page) -> str:
    placed, unplaced = places(data)
    cols = [("name", "place"), ("label", "label"), ("entity_id", "entity_id"), ("kb_id", "kb_id"),
            ("country_code", "country"), ("latitude", "latitude"), ("longitude", "longitude"),
            ("mentions", "mentions"), ("articles", "articles")]
    parts = ['<section id="places"><h2>Places</h2>',
             '<p class="note">Country outlines: Natural Earth 1:110m (public domain). Marker area: mentions. '
             "Places resolve to coordinates through the gazetteer; click a marker for its sentences.</p>",
             f'<div id="map">{map_svg(placed, page)}</div>']
    if placed.empty:
        parts.append("<p>No place has coordinates yet.</p>")
    else:
        parts.append(f"<details><summary>{_n(len(placed), 'place')} with coordinates</summary>"
                     f'{_table(placed, cols, "places")}</details>')
    if unplaced.empty:
        parts.append("<p>Every place mentioned has coordinates.</p>")
    else:
        parts.append(f"<h3>Places without coordinates ({len(unplaced):,})</h3>"
                     '<p class="note">GPE, LOC and FAC mentions the gazetteer could not place: add them to a '
                     "gazetteer file (<code>--gazetteer</code>) to put them on the map.</p>"
                     + _table(unplaced, cols[:3] + cols[-2:], "places-unresolved"))
    parts.append("</section>")
    return "\n".join(parts)


def _stories(data: ReportData, stories: pd.DataFrame, page: Page) -> str:
    """The embedded articles, one row per distinct text with its copies listed (filtered by the explorer)."""
    parts = ['<section id="stories"><h2>Articles</h2>']
    if stories.empty:
        since = f" published on or after {data.since.isoformat()}" if data.since else ""
        parts.append(f"<p>No articles{_e(since)}.</p></section>")
        return "\n".join(parts)
    embedded = {a[0]: i for i, a in enumerate(page.payload["articles"])}
    listed = stories[stories["article_id"].isin(embedded)]
    others = _other_copies(data)
    note = (f"The {len(listed):,} newest of {len(stories):,} distinct articles (those in the explorer). "
            if len(listed) < len(stories) else "")
    parts.append(f'<p class="note">{note}Each row is one text; its syndicated copies (same content_sha256) are '
                 "listed under it. The explorer's filters apply here too.</p>")
    rows = []
    for a in records(listed):
        title = (f'<a href="#a-{_e(a.article_id)}">{_e(_title(a))}</a>' if a.article_id in page.full
                 else _e(_title(a)))
        listed_copies = "".join(f"<li>{_e(_outlet(c) or '—')} · {_e(c.published_date)} · {_e(c.source_uri)} "
                                f'<span class="note">{_e(c.article_id)}</span></li>'
                                for c in others.get(a.article_id, ()))
        copy_html = f'<ul class="copies">{listed_copies}</ul>' if listed_copies else ""
        rows.append(f'<tr data-a="{embedded[a.article_id]}" data-article-row="{_e(a.article_id)}">'
                    f"<td>{_e(a.published_date)}</td><td>{title}{copy_html}</td><td>{_e(_outlet(a))}</td>"
                    f'<td class="num">{int(a.n_copies):,}</td><td class="num">{a.n_entities:,}</td>'
                    f'<td class="num">{a.n_stance_sentences:,} / {a.n_sentences:,}</td></tr>')
    parts.append('<table id="story-list" class="toc"><thead><tr><th>date</th><th>title</th><th>outlet</th>'
                 '<th class="num">copies</th><th class="num">entities</th><th class="num">stance / sentences</th>'
                 f'</tr></thead><tbody>{"".join(rows)}</tbody></table></section>')
    return "\n".join(parts)


def _other_copies(data: ReportData) -> dict[str, list]:
    """story article_id -> its other copies (rows of data.copies)."""
    out: dict[str, list] = {}
    for c in records(data.copies[data.copies["story"] != data.copies["article_id"]]):
        out.setdefault(c.story, []).append(c)
    return out


def _articles(data: ReportData, shown: pd.DataFrame, sentences: dict[str, list]) -> str:
    """The newest articles in full: bodies with entities highlighted and stance sentences marked."""
    total = len(data.articles)
    if shown.empty:
        return ""
    parts = ['<section id="full"><h2>Articles in full</h2>']
    if len(shown) < total:
        parts.append(f'<p class="note cap-note">Showing the {len(shown):,} newest of {total:,} articles '
                     f"(capped at --max-articles={len(shown):,}); the tables above cover all {total:,}.</p>")
    parts.append(_entity_legend(data.entities))
    parts.append("</section>")
    # Bodies are read only for the articles shown: the store may hold many thousands.
    in_shown = pc.field("article_id").isin(pa.array(shown["article_id"].tolist(), pa.string()))
    bodies = dict(zip(*read_table(data.store, "articles", ["article_id", "body_text"], in_shown,
                                  set(shown[PARTITION_COLUMN])).to_pydict().values(), strict=True))
    ents = by_article(records(data.entities[data.entities["article_id"].isin(set(shown["article_id"]))]))
    others = _other_copies(data)
    for art in records(shown):
        parts.append(_article(art, others.get(art.article_id, []), bodies.get(art.article_id, ""),
                              ents.get(art.article_id, []), sentences.get(art.article_id, [])))
    return "\n".join(parts)


def _entity_legend(entities: pd.DataFrame) -> str:
    labels = sorted(entities["label"].unique())
    items = "".join(f'<span><mark class="ent {_label_class(lbl)}">{_e(lbl)}</mark></span>' for lbl in labels)
    return f'<p class="legend">Entity labels: {items}</p>' if labels else ""


def _article(art, others: list, body: str, ents: list, sents: list) -> str:
    author = art.author if isinstance(art.author, str) else None
    if isinstance(art.author_handle, str):
        author = f"{author} ({art.author_handle})" if author else art.author_handle
    meta = [("date", art.published_date), ("publisher", art.publisher), ("author", author),
            ("site", art.site)]
    line = " · ".join(f'<span class="m-{k}">{_e(k)}: <b>{_e(v)}</b></span>' for k, v in meta)
    counts = (f"{art.n_entities:,} entity mentions · {art.n_stance_sentences:,} of {art.n_sentences:,} "
              "sentences take a stance")
    also = ""
    if others:
        also = ('<br><span class="note">Also published as: ' + "; ".join(
            f"{_e(_outlet(c) or '—')} · {_e(Path(str(c.source_uri)).name)} ({_e(c.published_date)})"
            for c in others)
            + "</span>")
    return (f'<section class="article" id="a-{_e(art.article_id)}" data-article-id="{_e(art.article_id)}">'
            f'<h3 class="title">{_e(_title(art))}</h3><p class="meta-line">{line}<br>{_e(counts)} · '
            f'<span class="note">article_id {_e(art.article_id)} · {_e(art.source_uri)}</span>{also}</p>'
            f'<div class="body">{highlight_body(body, ents, sents)}</div></section>')


def _runs(data: ReportData) -> str:
    if data.runs.empty:
        return '<section id="runs"><h2>Runs</h2><p>No runs recorded.</p></section>'
    table = runs_table(data.runs, data.copies)
    table = table.assign(started_at=table["started_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    cols = [("run_id", "run"), ("started_at", "started (UTC)"), ("n_seen", "inputs seen"),
            ("n_processed", "processed"), ("n_skipped_unchanged", "skipped unchanged"), ("n_failed", "failed"),
            ("current", "articles whose rows it wrote"), ("model_name", "model")]
    return ('<section id="runs"><h2>Runs</h2><p class="note">"Articles whose rows it wrote" counts each article in '
            "its latest run only, so the column adds up to the distinct articles in the store: a forced re-run "
            f"or a reprocess moves an article, it does not add one.</p>{_table(table, cols, 'runs')}</section>")



def highlight_body(body: str, entities: list, sentences: list) -> str:
    """The body as HTML: every sentence a span (stance ones marked by type, with cues), entities as marks.

    Offsets are into `body`; an entity that crosses a sentence boundary is drawn in each sentence it touches,
    and overlapping entities keep the first, so the markup always nests and the text is reproduced exactly.
    """
    ents = _non_overlapping(entities)
    out: list[str] = []
    pos = 0
    for s in sorted(sentences, key=lambda s: s.start_char):
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


def _non_overlapping(entities: list) -> list[tuple[int, int, object]]:
    """(start, end, row) sorted by start; where mentions overlap, the earlier (then longer) one wins."""
    ordered = sorted(((int(r.start_char), int(r.end_char), r) for r in entities),
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
