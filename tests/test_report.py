"""The HTML report, rendered from a real store (samples + extra articles through the real pipeline)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from oped_extract.batch.chunks import process_chunk
from oped_extract.errors import ConfigError
from oped_extract.ingest.readers import ingest
from oped_extract.ingest.records import Article, make_article_id
from oped_extract.nlp.pipeline import model_info
from oped_extract.report.html import load_report_data, render_report, write_report
from oped_extract.store.parquet import ParquetStore
from oped_extract.store.rows import RunContext
from oped_extract.store.runs import RunSummary

from .conftest import SAMPLE_TXT, SAMPLES

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE_TITLE = "Tom & Jerry <script>alert(1)</script>"
EXTRA = [
    Article(make_article_id("extra/nov"), "extra/nov.json",
            "Kabul must act against the TTP. The government in Islamabad should reopen talks with the Afghan "
            "Taliban. <b>Bold</b> claims & counterclaims will continue along the Durand Line.",
            title=HOSTILE_TITLE, author="A. Writer", publisher="Dawn", published_date=dt.date(2025, 11, 3)),
    Article(make_article_id("extra/undated"), "extra/undated.json",
            "Officials in Peshawar said the crossing at Torkham was closed on Monday. Traders expect losses to grow."),
]


@pytest.fixture(scope="module")
def store(nlp, tmp_path_factory) -> Path:
    """A store as a run writes it: samples plus two extra articles, a runs row and a real ingest failure."""
    root = tmp_path_factory.mktemp("store")
    empty = root.parent / "empty.txt"
    empty.write_text("")
    items = list(ingest([str(SAMPLES), str(empty)]))
    articles = [a for a in items if isinstance(a, Article)] + EXTRA
    name, version = model_info(nlp)
    started = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    result = process_chunk(articles, nlp, RunContext("run-1", "0.1.0", name, version, started))
    summary = RunSummary("run-1", started, name, n_seen=len(items) + len(EXTRA))
    summary.add_chunk(result.tables, 0)
    summary.add_failures([f for f in items if not isinstance(f, Article)])
    summary.finished_at = started + dt.timedelta(seconds=12)
    parquet = ParquetStore(str(root))
    parquet.upsert(result.tables)
    parquet.append("runs", summary.runs_table())
    parquet.append("failures", summary.failures_table())
    return root


@pytest.fixture(scope="module")
def tables(store) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(store / t) for t in ("articles", "entities", "sentences", "runs", "failures")}


@pytest.fixture(scope="module")
def report(store, tmp_path_factory) -> Path:
    return write_report(str(store), tmp_path_factory.mktemp("out") / "report.html")


class Page(HTMLParser):
    """Collects, per article section, its entity marks, sentence spans and the body text without meta labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.article: str | None = None
        self.body: dict[str, str] = {}
        self.marks: dict[str, list[dict]] = {}
        self.sents: dict[str, list[dict]] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.open_items: list[dict] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append((tag, a))
        self.tags.append(tag)
        if tag == "section" and "data-article-id" in a:
            self.article = a["data-article-id"]
            self.body[self.article], self.marks[self.article], self.sents[self.article] = "", [], []
        elif tag == "mark" and "data-entity-id" in a and self.article:
            self.marks[self.article].append({**a, "text": ""})
            self.open_items.append(self.marks[self.article][-1])
        elif tag == "span" and "sent" in a.get("class", "").split() and self.article:
            self.sents[self.article].append({**a, "text": "", "tag": ""})
            self.open_items.append(self.sents[self.article][-1])
        elif tag == "table" and a.get("class"):
            self.tables[a["class"]] = []
        elif tag == "tr" and self._in_table():
            self.tables[self._in_table()].append([])

    def handle_endtag(self, tag):
        while self.stack:
            t, a = self.stack.pop()
            if ("data-entity-id" in a and t == "mark") or (t == "span" and "sent" in a.get("class", "").split()):
                self.open_items.pop()
            if t == "section" and "data-article-id" in a:
                self.article = None
            if t == tag:
                break

    def _in_table(self) -> str | None:
        return next((a["class"] for t, a in reversed(self.stack) if t == "table" and a.get("class")), None)

    def handle_data(self, data):
        in_meta = any(a.get("data-role") == "meta" for _, a in self.stack)
        in_body = any(a.get("class") == "body" for _, a in self.stack)
        if self.article and in_body and not in_meta:
            self.body[self.article] += data
            for item in self.open_items:
                item["text"] += data
        in_stance_tag = any("stance-tag" in a.get("class", "") for _, a in self.stack)
        if self.article and in_stance_tag and self.sents[self.article]:
            self.sents[self.article][-1]["tag"] += data  # the tag follows its sentence
        if self._in_table() and self.stack[-1][0] in ("td", "th", "mark"):
            self.tables[self._in_table()][-1].append(data)


@pytest.fixture(scope="module")
def page(report) -> Page:
    p = Page()
    p.feed(report.read_text(encoding="utf-8"))
    return p


def _int(cell: str) -> int:
    return int(cell.replace(",", ""))


def _sample_id(tables) -> str:
    arts = tables["articles"]
    return arts.loc[arts["source_uri"].str.endswith(SAMPLE_TXT.name), "article_id"].item()


def test_every_entity_mention_is_highlighted_with_its_label_and_canonical_name(tables, page):
    sample = _sample_id(tables)
    ents = tables["entities"]
    rows = ents[ents["article_id"] == sample].sort_values("start_char")
    marks = page.marks[sample]
    assert [(m["text"], m["data-label"], m["data-entity-id"]) for m in marks] == \
        list(zip(rows["text"], rows["label"], rows["entity_id"], strict=False))
    for mark, row in zip(marks, rows.itertuples(), strict=False):
        assert row.canonical_name in mark["title"] and row.entity_id in mark["title"]
    # The mentions the issue names: TTP and the Durand Line, shown with the label the entities table holds.
    for needle in ("TTP", "Durand Line"):
        hits = rows[rows["text"].str.contains(needle)]
        assert len(hits) >= 1, f"{needle} not found by the pipeline"
        shown = [m for m in marks if needle in m["text"]]
        assert [m["data-label"] for m in shown] == hits["label"].tolist()


def test_every_stance_sentence_appears_marked_with_its_type_and_cues(tables, page):
    sample = _sample_id(tables)
    sents = tables["sentences"]
    rows = sents[sents["article_id"] == sample].sort_values("sentence_index")
    spans = {int(s["data-index"]): s for s in page.sents[sample]}
    assert sorted(spans) == rows["sentence_index"].tolist()
    stance = rows[rows["is_stance"]]
    assert len(stance) > 0
    for row in rows.itertuples():
        span = spans[row.sentence_index]
        assert span["text"] == row.text.rstrip()  # trailing whitespace sits outside, after the stance tag
        if row.is_stance:
            assert "stance" in span["class"].split()
            assert span["data-stance-type"] == (row.stance_type or "stance")
            assert span["data-cues"] == "|".join(row.cues)
            assert span["tag"].startswith(row.stance_type or "stance")
            for cue in row.cues:
                assert cue in span["tag"]
        else:
            assert "stance" not in span["class"].split() and "data-stance-type" not in span


def test_body_text_is_reproduced_exactly_around_the_markup(tables, page):
    bodies = dict(zip(tables["articles"]["article_id"], tables["articles"]["body_text"], strict=False))
    assert set(page.body) == set(bodies)
    for article_id, body in bodies.items():
        assert page.body[article_id] == body


def test_article_metadata_is_shown(tables, report):
    html = report.read_text(encoding="utf-8")
    sample = tables["articles"].set_index("article_id").loc[_sample_id(tables)]
    section = html[html.index(f'id="a-{sample.name}"'):]
    section = section[:section.index("</section>")]
    assert f"date: <b>{sample.published_date}</b>" in section
    assert f"publisher: <b>{sample.publisher}</b>" in section
    assert "author: <b>" in section
    assert "Dawn" in html and "A. Writer" in html


def test_text_is_escaped_and_the_page_needs_no_network(report):
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; claims &amp; counterclaims" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert "<link" not in html and "@import" not in html
    assert all(ref.startswith("#") for ref in re.findall(r"url\(\s*['\"]?([^)'\"]*)", html))  # in-page refs only
    assert html.count("<svg") >= 1  # charts are inline


def test_top_entities_and_stance_by_month_match_the_tables(tables, page):
    ents, sents = tables["entities"], tables["sentences"]
    counts = ents["entity_id"].value_counts()
    top = page.tables["top-mentions"]
    header, body = top[0], top[1:]
    i_id, i_mentions = header.index("entity_id"), header.index("mentions")
    assert body, "no top entities"
    for row in body:
        assert _int(row[i_mentions]) == counts[row[i_id]]
    assert [_int(r[i_mentions]) for r in body] == sorted((_int(r[i_mentions]) for r in body), reverse=True)
    stance_keys = sents.loc[sents["is_stance"], ["article_id", "sentence_index"]]
    mentioned = ents.merge(stance_keys).drop_duplicates(["entity_id", "article_id", "sentence_index"])
    per_entity = mentioned["entity_id"].value_counts()
    by_stance = page.tables["top-stance"]
    i_stance = by_stance[0].index("stance sentences")
    assert by_stance[1:], "no entity in a stance sentence"
    for row in by_stance[1:]:
        assert _int(row[i_stance]) == per_entity[row[i_id]]
    monthly = page.tables["stance-by-month"]
    stance = sents[sents["is_stance"]]
    expected = stance.astype({"published_month": str}).groupby("published_month").size()
    got = {row[0]: sum(_int(v) for v in row[1:]) for row in monthly[1:]}
    assert got == expected.to_dict()
    assert list(got) == sorted(m for m in got if m != "unknown") + (["unknown"] if "unknown" in got else [])


def test_run_history_and_failures(report, tables):
    html = report.read_text(encoding="utf-8")
    line = re.search(r'<p class="run-history">(.*?)</p>', html, re.DOTALL).group(1)
    n = len(tables["articles"])
    assert "1 run since 2026-03-01 09:00" in line
    assert f"{n} articles processed" in line and "1 failed" in line and "in 12.0s" in line
    assert "EmptyInput" in html and "file is empty" in html


def test_since_keeps_newer_articles_only(store, tables, tmp_path):
    out = write_report(str(store), tmp_path / "r.html", since="2026-01-01")
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    arts = tables["articles"]
    newer = arts[arts["published_date"].notna() & (pd.to_datetime(arts["published_date"]) >= "2026-01-01")]
    assert set(page.body) == set(newer["article_id"]) and len(newer) >= 1
    assert HOSTILE_TITLE.split()[0] not in out.read_text(encoding="utf-8")


def test_newest_articles_are_capped_with_a_note(store, tables, tmp_path):
    out = write_report(str(store), tmp_path / "r.html", max_articles=1)
    html = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    arts = tables["articles"].set_index("article_id")
    assert len(page.body) == 1
    assert arts.loc[next(iter(page.body)), "published_date"] == arts["published_date"].dropna().max()
    assert f"Showing the 1 newest of {len(arts)} articles" in html


def test_places_with_coordinates_are_tabled_and_mapped(store, tmp_path):
    data = load_report_data(str(store))
    ents = data.entities
    isl = ents["entity_id"] == ents.loc[ents["text"] == "Islamabad", "entity_id"].iloc[0]
    # Whatever the gazetteer resolves today, give Islamabad known coordinates so the view is checked exactly.
    data.entities = ents.assign(latitude=ents["latitude"].mask(isl, 33.72148),
                                longitude=ents["longitude"].mask(isl, 73.04329))
    html = render_report(data)
    page = Page()
    page.feed(html)
    rows = page.tables["places"]
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("entity_id")] == ents.loc[isl, "entity_id"].iloc[0])
    assert row[header.index("latitude")] == "33.72148" and row[header.index("longitude")] == "73.04329"
    assert _int(row[header.index("mentions")]) == int(isl.sum())
    assert 'id="places-chart"><svg' in html


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "01/02/2026"])
def test_bad_since_is_a_config_error(store, tmp_path, since):
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        write_report(str(store), tmp_path / "r.html", since=since)
    assert not (tmp_path / "r.html").exists()


def test_missing_or_empty_store_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no Parquet store"):
        write_report(str(tmp_path / "nowhere"), tmp_path / "r.html")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no articles"):
        write_report(str(tmp_path / "empty"), tmp_path / "r.html")


def test_cli_report_command(store, tmp_path):
    from typer.testing import CliRunner

    from oped_extract.cli import app

    out = tmp_path / "cli.html"
    result = CliRunner().invoke(app, ["report", "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "report written" in result.output and out.stat().st_size > 10_000
    bad = CliRunner().invoke(app, ["report", "--store", str(tmp_path / "nope"), "--out", str(out)])
    assert bad.exit_code == 2 and "no Parquet store" in bad.output


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed at /usr/bin/chromium "
                    "(Debian package `chromium`)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    from PIL import Image

    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert shot.exists(), proc.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # text, tables, label colours and the chart: far from a blank page
    non_white = sum(n for n, rgb in colours if min(rgb) < 240)
    assert non_white > 0.02 * 1280 * 2000
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
