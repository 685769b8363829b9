"""The HTML report, rendered from a real store (samples + extra articles through the real pipeline)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from oped_extract.errors import ConfigError
from oped_extract.ingest.readers import ingest
from oped_extract.ingest.records import Article, make_article_id
from oped_extract.report.data import load_report_data
from oped_extract.report.html import render_report, write_report

from .conftest import SAMPLE_TXT, SAMPLES, write_store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE_TITLE = "Tom & Jerry <script>alert(1)</script>"
EXTRA = [
    Article(make_article_id("extra/nov"), "extra/nov.json",
            "Kabul must act against the TTP. The government in Islamabad should reopen talks with the Afghan "
            "Taliban. <b>Bold</b> claims & counterclaims will continue along the Durand Line.",
            title=HOSTILE_TITLE, author="A. Writer", publisher="Dawn", published_date=dt.date(2025, 11, 3)),
    Article(make_article_id("extra/undated"), "extra/undated.json",
            "Officials in Peshawar said the crossing at Torkham was closed on Monday. Traders expect losses to grow."),
]
FIRST_RUN = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store(nlp, tmp_path_factory) -> Path:
    """A store as runs write it: the samples (three copies of one op-ed) plus two extra articles, a real ingest
    failure, and a forced re-run of every article a day later (two runs rows, each article stored once)."""
    root = tmp_path_factory.mktemp("store")
    empty = root.parent / "empty.txt"
    empty.write_text("")
    items = list(ingest([str(SAMPLES), str(empty)]))
    articles = [a for a in items if isinstance(a, Article)] + EXTRA
    write_store(root, nlp, articles, "run-1", FIRST_RUN, [f for f in items if not isinstance(f, Article)])
    write_store(root, nlp, articles, "run-2", FIRST_RUN + dt.timedelta(days=1))
    return root


@pytest.fixture(scope="module")
def tables(store) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(store / t) for t in ("articles", "entities", "sentences", "runs", "failures")}


@pytest.fixture(scope="module")
def first(tables) -> pd.DataFrame:
    """The first copy of each distinct text (the samples' copies share date and processing time: lowest id)."""
    arts = tables["articles"].sort_values("article_id")
    return arts.drop_duplicates("content_sha256")


@pytest.fixture(scope="module")
def counted(tables, first) -> dict[str, pd.DataFrame]:
    """Entities and sentences of first copies only: what the report counts."""
    keep = set(first["article_id"])
    return {t: tables[t][tables[t]["article_id"].isin(keep)] for t in ("entities", "sentences")}


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
        if self._in_table() and self.stack[-1][0] in ("td", "th", "mark", "a"):
            self.tables[self._in_table()][-1].append(data)


@pytest.fixture(scope="module")
def page(report) -> Page:
    p = Page()
    p.feed(report.read_text(encoding="utf-8"))
    return p


def _int(cell: str) -> int:
    return int(cell.replace(",", ""))


def _sample_id(first) -> str:
    """The article shown for the sample op-ed: the first of its three copies."""
    sha = next(a.content_sha256 for a in ingest([SAMPLE_TXT]))
    return first.loc[first["content_sha256"] == sha, "article_id"].item()


def _payload(html: str) -> dict:
    raw = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', html, re.DOTALL).group(1)
    return json.loads(raw)


def test_every_entity_mention_is_highlighted_with_its_label_and_canonical_name(tables, first, page):
    sample = _sample_id(first)
    ents = tables["entities"]
    rows = ents[ents["article_id"] == sample].sort_values("start_char")
    marks = page.marks[sample]
    assert [(m["text"], m["data-label"], m["data-entity-id"]) for m in marks] == \
        list(zip(rows["text"], rows["label"], rows["entity_id"], strict=True))
    for mark, row in zip(marks, rows.itertuples(), strict=True):
        assert row.canonical_name in mark["title"] and row.entity_id in mark["title"]
    # The mentions the issue names: TTP and the Durand Line, shown with the label the entities table holds.
    for needle in ("TTP", "Durand Line"):
        hits = rows[rows["text"].str.contains(needle)]
        assert len(hits) >= 1, f"{needle} not found by the pipeline"
        shown = [m for m in marks if needle in m["text"]]
        assert [m["data-label"] for m in shown] == hits["label"].tolist()


def test_every_stance_sentence_appears_marked_with_its_type_and_cues(tables, first, page):
    sample = _sample_id(first)
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


def test_body_text_of_each_distinct_article_is_reproduced_exactly(tables, first, page):
    bodies = dict(zip(first["article_id"], first["body_text"], strict=True))
    assert set(page.body) == set(bodies)  # syndicated copies are not repeated in full
    assert len(bodies) == 3 and len(tables["articles"]) == 5
    for article_id, body in bodies.items():
        assert page.body[article_id] == body


def test_syndicated_copies_count_once_and_are_listed(tables, first, counted, page, report):
    html = report.read_text(encoding="utf-8")
    sample = _sample_id(first)
    copies = tables["articles"][tables["articles"]["content_sha256"] == first.set_index("article_id").loc[
        sample, "content_sha256"]]
    assert len(copies) == 3  # .txt, .html and .jsonl of one op-ed
    # Pakistan: 27 mentions in the three copies, 9 in the text; the report says 9 (plus the extra articles').
    ents = tables["entities"]
    pakistan = "gpe:pakistan"
    in_sample = int((ents[ents["article_id"] == sample]["entity_id"] == pakistan).sum())
    assert int((ents["entity_id"] == pakistan).sum()) == 3 * in_sample + int(
        (ents[ents["article_id"].isin([a.article_id for a in EXTRA])]["entity_id"] == pakistan).sum())
    top = page.tables["top-mentions"]
    header, body = top[0], top[1:]
    row = next(r for r in body if r[header.index("entity_id")] == pakistan)
    assert _int(row[header.index("mentions")]) == int((counted["entities"]["entity_id"] == pakistan).sum())
    # The story list shows the text once with its two other copies listed under it.
    story = re.search(rf'<tr data-a="\d+" data-article-row="{sample}">(.*?)</tr>', html, re.DOTALL).group(1)
    for other in set(copies["article_id"]) - {sample}:
        assert other in story
    assert '<td class="num">3</td>' in story
    assert re.search(r"<b>2</b>syndicated copies", html)
    assert html.count('data-article-row="') == len(first)


def test_article_metadata_is_shown(tables, first, report):
    html = report.read_text(encoding="utf-8")
    sample = first.set_index("article_id").loc[_sample_id(first)]
    section = html[html.index(f'id="a-{sample.name}"'):]
    section = section[:section.index("</section>")]
    assert f"date: <b>{sample.published_date}</b>" in section
    assert f"publisher: <b>{sample.publisher}</b>" in section
    assert "author: <b>" in section and "Also published as:" in section
    assert "Dawn" in html and "A. Writer" in html


def test_text_is_escaped_and_the_page_needs_no_network(report):
    html = report.read_text(encoding="utf-8")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert [attrs for attrs, _ in scripts] == [' id="report-data" type="application/json"', ""]
    data, code = scripts[0][1], scripts[1][1]
    assert "<" not in data  # no way for an article's text to end the element
    assert "Tom & Jerry \\u003cscript>alert(1)\\u003c/script>" in data
    for call in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "sendBeacon", ".src", "http"):
        assert call not in code, call
    assert "Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; claims &amp; counterclaims" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert "<link" not in html and "@import" not in html
    assert all(ref.startswith("#") for ref in re.findall(r"url\(\s*['\"]?([^)'\"]*)", html))  # in-page refs only


def test_top_entities_and_stance_by_month_match_the_tables(counted, page):
    ents, sents = counted["entities"], counted["sentences"]
    counts = ents["entity_id"].value_counts()
    top = page.tables["top-mentions"]
    header, body = top[0], top[1:]
    i_id, i_mentions = header.index("entity_id"), header.index("mentions")
    i_stance = header.index("stance sentences")
    assert body, "no top entities"
    stance_keys = sents.loc[sents["is_stance"], ["article_id", "sentence_index"]]
    mentioned = ents.merge(stance_keys).drop_duplicates(["entity_id", "article_id", "sentence_index"])
    per_entity = mentioned["entity_id"].value_counts()
    for row in body:
        assert _int(row[i_mentions]) == counts[row[i_id]]
        assert _int(row[i_stance]) == per_entity.get(row[i_id], 0)
    assert [_int(r[i_mentions]) for r in body] == sorted((_int(r[i_mentions]) for r in body), reverse=True)
    monthly = page.tables["stance-by-month"]
    stance = sents[sents["is_stance"]]
    expected = stance.astype({"published_month": str}).groupby("published_month").size()
    got = {row[0]: sum(_int(v) for v in row[1:]) for row in monthly[1:]}
    assert got == expected.to_dict()
    assert list(got) == sorted(m for m in got if m != "unknown") + (["unknown"] if "unknown" in got else [])


def test_stance_share_per_entity_over_time(counted, report):
    html = report.read_text(encoding="utf-8")
    ents, sents = counted["entities"], counted["sentences"]
    ttp = "org:tehrik-i-taliban-pakistan"
    keys = ents[ents["entity_id"] == ttp][["article_id", "sentence_index", "published_month"]].drop_duplicates()
    rows = keys.merge(sents[sents["is_stance"]][["article_id", "sentence_index", "stance_type"]])
    rows = rows.astype({"published_month": str})
    assert rows["published_month"].nunique() >= 2  # the sample's month and the extra article's
    row = re.search(rf'<tr data-entity-id="{ttp}">(.*?)</tr>', html, re.DOTALL).group(1)
    for (month, stance_type), n in rows.fillna({"stance_type": "stance"}).groupby(
            ["published_month", "stance_type"]).size().items():
        total = int((rows["published_month"] == month).sum())
        assert f"<title>{month} · {stance_type}: {n} of {total}</title>" in row
    # ... and the same counts in the explorer's drill-down data
    payload = _payload(html)
    index = [e[0] for e in payload["entities"]].index(ttp)
    share = {payload["months"][m]: sum(counts) for m, counts in payload["share"][str(index)]}
    assert share == rows.groupby("published_month").size().to_dict()


def test_run_history_counts_distinct_articles(report, tables, page):
    html = report.read_text(encoding="utf-8")
    line = re.search(r'<p class="run-history">(.*?)</p>', html, re.DOTALL).group(1)
    n = len(tables["articles"])
    assert int(tables["runs"]["n_processed"].sum()) == 2 * n  # the forced re-run processed every article again
    assert "2 runs since 2026-03-01 09:00" in line
    assert f"{n} distinct articles in the store (3 distinct texts); {2 * n} processings in all" in line
    assert f"{n * 2} articles processed" not in line and "1 inputs failed" in line
    runs = page.tables["runs"]
    i = runs[0].index("articles whose rows it wrote")
    assert {r[0]: _int(r[i]) for r in runs[1:]} == {"run-2": n, "run-1": 0}
    assert "EmptyInput" in html and "file is empty" in html


def test_explorer_embeds_each_sentence_with_its_entities_and_stance(counted, report):
    payload = _payload(report.read_text(encoding="utf-8"))
    ents, sents = counted["entities"], counted["sentences"]
    named = ents[~ents["label"].isin(["DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"])]
    wanted = sents[sents["is_stance"] | sents.set_index(["article_id", "sentence_index"]).index.isin(
        named.set_index(["article_id", "sentence_index"]).index)]
    ids = [a[0] for a in payload["articles"]]
    got = {(ids[s[0]], s[1]): s for s in payload["sentences"]}
    assert set(got) == set(zip(wanted["article_id"], wanted["sentence_index"], strict=True))
    by_key = sents.set_index(["article_id", "sentence_index"])
    entity_ids = [e[0] for e in payload["entities"]]
    for key, (_, _, text, type_i, holder, marks) in got.items():
        row = by_key.loc[key]
        assert text == row["text"]
        assert (payload["types"][type_i] if type_i >= 0 else None) == (
            (row["stance_type"] or "stance") if row["is_stance"] else None)
        assert holder == ((row["holder"] or "") if row["is_stance"] else "")
        mentions = named[(named["article_id"] == key[0]) & (named["sentence_index"] == key[1])]
        assert sorted((entity_ids[m[0]], text[m[1]:m[2]]) for m in marks) == sorted(
            zip(mentions["entity_id"], mentions["text"], strict=True))


def test_since_keeps_newer_articles_only(store, first, tmp_path):
    out = write_report(str(store), tmp_path / "r.html", since="2026-01-01")
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    newer = first[first["published_date"].notna() & (pd.to_datetime(first["published_date"]) >= "2026-01-01")]
    assert set(page.body) == set(newer["article_id"]) and len(newer) >= 1
    assert HOSTILE_TITLE.split()[0] not in out.read_text(encoding="utf-8")


def test_newest_articles_and_explorer_sentences_are_capped_with_a_note(store, first, report, tmp_path):
    cap = len(_payload(report.read_text(encoding="utf-8"))["sentences"]) - 1  # one sentence too few for all
    out = write_report(str(store), tmp_path / "r.html", max_articles=1, max_sentences=cap)
    html = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    arts = first.set_index("article_id")
    assert len(page.body) == 1
    assert arts.loc[next(iter(page.body)), "published_date"] == arts["published_date"].dropna().max()
    assert f"Showing the 1 newest of {len(arts)} articles" in html
    payload = _payload(html)
    assert 0 < len(payload["sentences"]) <= cap and len(payload["articles"]) < len(arts)
    assert f"The explorer holds the {len(payload['articles'])} newest of {len(arts)} articles" in html


def test_places_are_mapped_over_country_outlines_and_unplaced_ones_listed(store, tmp_path):
    data = load_report_data(str(store))
    ents = data.entities
    isl = ents["entity_id"] == "gpe:islamabad"
    kabul = ents["entity_id"] == "gpe:kabul"
    assert isl.sum() > kabul.sum() > 0
    # Whatever the gazetteer resolves today: Islamabad at known coordinates, Kabul without any.
    data.entities = ents.assign(latitude=ents["latitude"].mask(isl, 33.72148).mask(kabul, None),
                                longitude=ents["longitude"].mask(isl, 73.04329).mask(kabul, None))
    html = render_report(data)
    page = Page()
    page.feed(html)
    rows = page.tables["places"]
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("entity_id")] == "gpe:islamabad")
    assert row[header.index("latitude")] == "33.72148" and row[header.index("longitude")] == "73.04329"
    assert _int(row[header.index("mentions")]) == int(isl.sum())
    unplaced = page.tables["places-unresolved"]
    assert "gpe:kabul" in [r[unplaced[0].index("entity_id")] for r in unplaced[1:]]
    svg = re.search(r'<div id="map">(<svg.*?</svg>)</div>', html, re.DOTALL).group(1)
    countries = re.findall(r'<path d="M[^"]+"><title>([^<]+)</title></path>', svg)
    assert {"Pakistan", "Afghanistan", "India", "Iran"} <= set(countries)
    circles = {m[0]: (float(m[1]), float(m[2]), float(m[3]), int(m[4])) for m in re.findall(
        r'<circle cx="([^"]+)" cy="([^"]+)" r="([^"]+)" data-entity-id="([^"]+)" data-mentions="(\d+)"', svg)
        for m in [(m[3], m[0], m[1], m[2], m[4])]}
    assert "gpe:kabul" not in circles
    assert circles["gpe:islamabad"][:2] == (73.043, -33.721) and circles["gpe:islamabad"][3] == int(isl.sum())
    by_mentions = sorted(circles.values(), key=lambda c: c[3])
    assert [c[2] for c in by_mentions] == sorted(c[2] for c in by_mentions)  # bigger marker, more mentions


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
    result = CliRunner().invoke(app, ["report", "--store", str(store), "--out", str(out), "--max-sentences", "10"])
    assert result.exit_code == 0, result.output
    assert "report written" in result.output and out.stat().st_size > 10_000
    assert len(_payload(out.read_text(encoding="utf-8"))["sentences"]) <= 10
    bad = CliRunner().invoke(app, ["report", "--store", str(tmp_path / "nope"), "--out", str(out)])
    assert bad.exit_code == 2 and "no Parquet store" in bad.output


# ---- in a real browser -------------------------------------------------------------------------------------


class Browser:
    """Headless Chromium driven over the DevTools protocol (a websocket on 127.0.0.1)."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 1600) -> None:
        from websockets.sync.client import connect

        self.proc = subprocess.Popen(
            [str(CHROMIUM), *CHROMIUM_FLAGS, "--remote-debugging-port=0", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline and self.proc.poll() is None, "Chromium did not start"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            target = next(t for t in json.load(resp) if t["type"] == "page")
        self.ws = connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=30)
        self.next_id = 0

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg["result"]

    def eval(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while self.eval("document.readyState") != "complete":
            assert time.monotonic() < deadline
            time.sleep(0.1)

    def choose(self, select_id: str, value) -> None:
        """Pick an option of a <select> as a user would: set it and let the page hear the input event."""
        self.eval(f"(() => {{ const s = document.getElementById({select_id!r}); s.value = {str(value)!r}; "
                  "s.dispatchEvent(new Event('input', {bubbles: true})); })()")

    def visible_rows(self) -> list[str]:
        return self.eval("Array.from(document.querySelectorAll('#rows tr')).map(r => r.innerText)")

    def screenshot(self, path: Path, selector: str | None = None) -> Path:
        import base64

        params = {"format": "png", "captureBeyondViewport": True}
        if selector:
            box = self.eval(f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect(); "
                            "return [r.x + window.scrollX, r.y + window.scrollY, r.width, r.height]; })()")
            params["clip"] = dict(zip(("x", "y", "width", "height"), box, strict=True)) | {"scale": 1}
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", **params)["data"]))
        return path

    def close(self) -> None:
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def browser(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(reason="headless Chromium not installed at /usr/bin/chromium (Debian package `chromium`)")
    b = Browser(tmp_path / "profile")
    yield b
    b.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


@pytest.fixture
def opened(report, browser) -> tuple[Browser, dict]:
    """The report open in the browser, and the data its script works on."""
    browser.open(report.as_uri())
    return browser, _payload(report.read_text(encoding="utf-8"))


def _not_blank(path: Path, min_colours: int = 50, min_ink: float = 0.02) -> None:
    from PIL import Image

    image = Image.open(path).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 24)
    assert len(colours) > min_colours, path
    ink = sum(n for n, rgb in colours if min(rgb) < 240)
    assert ink > min_ink * image.size[0] * image.size[1], path


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(300)
def test_search_and_filters_narrow_the_rows_in_chromium(opened):
    browser, payload = opened
    total = len(payload["sentences"])
    assert total > 40 and len(browser.visible_rows()) == total  # all fit in the first page of rows
    assert browser.eval("document.getElementById('count').textContent") == f"{total} of {total} sentences"
    # Typing a search narrows the rows to the sentences that contain it.
    browser.eval("document.getElementById('q').focus()")
    browser.send("Input.insertText", text="Durand")
    rows = browser.visible_rows()
    expected = [s for s in payload["sentences"] if "durand" in s[2].lower()]
    assert 0 < len(rows) == len(expected) < total
    assert all("Durand" in r for r in rows)
    # A month filter on top keeps only that month's article.
    nov = payload["months"].index("2025-11")
    browser.choose("f-month", nov)
    rows = browser.visible_rows()
    assert len(rows) == 1 and "Durand Line" in rows[0] and "Dawn" in rows[0]
    assert browser.eval("Array.from(document.querySelectorAll('#story-list tbody tr'))"
                        ".filter(r => !r.hidden).length") == 1
    # Stance type filter: reset, then only attribution sentences.
    browser.eval("document.getElementById('reset').click()")
    attribution = payload["types"].index("attribution")
    browser.choose("f-stance", attribution)
    rows = browser.visible_rows()
    assert len(rows) == sum(1 for s in payload["sentences"] if s[3] == attribution) > 0
    assert all("attribution" in r for r in rows)


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(300)
def test_entity_drill_down_in_chromium(opened, counted):
    browser, payload = opened
    ttp = [e[0] for e in payload["entities"]].index("org:tehrik-i-taliban-pakistan")
    assert browser.eval("document.getElementById('drill').hidden") is True
    browser.eval(f"document.querySelector('#entities [data-pick=\"{ttp}\"]').click()")
    assert browser.eval("document.getElementById('drill').hidden") is False
    drill = browser.eval("document.getElementById('drill').innerText")
    assert "Tehrik-i-Taliban Pakistan" in drill and "Stance share over time" in drill
    ents = counted["entities"]
    mentions = ents[ents["entity_id"] == "org:tehrik-i-taliban-pakistan"]
    assert f"{len(mentions)} mentions in {mentions['article_id'].nunique()} articles" in drill
    # Every sentence that mentions it, with its stance type, holder and article.
    sents = counted["sentences"].set_index(["article_id", "sentence_index"])
    keys = mentions[["article_id", "sentence_index"]].drop_duplicates()
    rows = [r.split("\t") for r in browser.visible_rows()]
    assert len(rows) == len(keys)
    expected = {}
    for key in keys.itertuples(index=False):
        s = sents.loc[tuple(key)]
        stance = (s["stance_type"] or "stance", s["holder"] or "—") if s["is_stance"] else ("—", "—")
        expected[s["text"]] = stance
    titles = {"Dawn": HOSTILE_TITLE, "The News": "(untitled) 000_0c9b78742a5f1fc9.html"}
    for article, stance_type, holder, sentence in rows:
        assert expected[sentence] == (stance_type, holder)
        outlet = next(o for o in titles if o in article)
        assert article.startswith(titles[outlet])
    assert {r[3] for r in rows} == set(expected)
    assert browser.eval("document.querySelectorAll('#drill svg.share rect').length") >= 2  # two months


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(300)
def test_map_shows_outlines_and_screenshots_are_not_blank_in_chromium(opened, tmp_path):
    browser, _ = opened
    assert browser.eval("document.querySelectorAll('#map path').length") >= 10  # the region's countries
    box = browser.eval("(() => { const r = document.querySelector('#map svg').getBoundingClientRect(); "
                       "return [r.width, r.height]; })()")
    assert box[0] > 600 and box[1] > 300
    shot = browser.screenshot(tmp_path / "map.png", "#map svg")
    from PIL import Image

    colours = dict((rgb, n) for n, rgb in Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 24))
    land, sea = (0xE9, 0xEC, 0xEF), (0xF4, 0xF8, 0xFB)
    assert colours.get(land, 0) > 0.1 * sum(colours.values()) and colours.get(sea, 0) > 0  # outlines drawn
    assert any(r > 180 and g < 140 and b < 140 for r, g, b in colours)  # red markers
    _not_blank(shot, min_colours=20)
    _not_blank(browser.screenshot(tmp_path / "top.png"))
