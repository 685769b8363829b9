"""Time `oped-extract report` on a large store: `python benchmarks/report_bench.py [--articles 5000]`.

The store is built once under benchmarks/corpus/report-store-N (re-used afterwards): 200 distinct generated
articles go through the real pipeline, and their rows are replicated with new article_ids, dates and content
hashes until the store holds N articles; one article in ten is a syndicated copy of the one before (same
content_sha256 and date, other outlet).
Prints the report's time (best of --repeat) and size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import make_corpus  # noqa: E402

BASE = 200
OUTLETS = ["Dawn", "The News", "The Express Tribune", "Pajhwok", "TOLOnews", "The Diplomat", None]


def build_store(root: Path, n: int) -> Path:
    if (root / "articles").is_dir():
        return root
    from oped_extract.batch.chunks import process_chunk
    from oped_extract.ingest.readers import ingest
    from oped_extract.nlp.pipeline import load_pipeline, model_info
    from oped_extract.store.parquet import ParquetStore
    from oped_extract.store.rows import RunContext
    from oped_extract.store.runs import RunSummary

    corpus = make_corpus(HERE / "corpus" / f"n{BASE}", BASE)
    articles = [a for a in ingest([corpus]) if hasattr(a, "body_text")]
    nlp = load_pipeline()
    started = dt.datetime.now(dt.UTC)
    ctx = RunContext("bench-run", "0.1.0", *model_info(nlp), started)
    base = process_chunk(articles, nlp, ctx).tables
    store = ParquetStore(str(root))
    for start in range(0, n, 1000):
        store.upsert(_replicas(base, range(start, min(start + 1000, n))))
    summary = RunSummary("bench-run", started, ctx.model_name, n_seen=n)
    summary.n_processed = n
    summary.finished_at = dt.datetime.now(dt.UTC)
    store.append("runs", summary.runs_table())
    return root


def _replicas(base: dict[str, pa.Table], copies: range) -> dict[str, pa.Table]:
    """Copy k of the base articles: article k % BASE with its own id, date and outlet; every tenth copy keeps
    the content of copy k - 1 (a syndicated copy) but comes from another outlet."""
    out: dict[str, list[pa.Table]] = {t: [] for t in base}
    ids = base["articles"]["article_id"].to_pylist()
    for k in copies:
        src = ids[k % BASE] if k % 10 else ids[(k - 1) % BASE]
        date = dt.date(2024, 1, 1) + dt.timedelta(days=((k if k % 10 else k - 1) * 7) % 1000)
        new_id = f"{src[:8]}{k:08d}"
        for table, rows in base.items():
            part = rows.filter(pc.equal(rows["article_id"], src))
            part = part.set_column(part.schema.get_field_index("article_id"), "article_id",
                                   pa.array([new_id] * part.num_rows, pa.string()))
            part = part.set_column(part.schema.get_field_index("published_month"), "published_month",
                                   pa.array([f"{date:%Y-%m}"] * part.num_rows, pa.string()))
            if table == "articles":
                # Its own text (a distinct content_sha256), unless it is a syndicated copy of copy k - 1.
                text_of = k if k % 10 else k - 1
                part = part.set_column(part.schema.get_field_index("content_sha256"), "content_sha256",
                                       pa.array([f"{src}-{text_of}"], pa.string()))
                part = part.set_column(part.schema.get_field_index("published_date"), "published_date",
                                       pa.array([date], pa.date32()))
                part = part.set_column(part.schema.get_field_index("publisher"), "publisher",
                                       pa.array([OUTLETS[k % len(OUTLETS)]], pa.string()))
                part = part.set_column(part.schema.get_field_index("source_uri"), "source_uri",
                                       pa.array([f"bench/{k:06d}.txt"], pa.string()))
            out[table].append(part)
    return {t: pa.concat_tables(parts) for t, parts in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = build_store(HERE / "corpus" / f"report-store-{args.articles}", args.articles)
    from oped_extract.report.html import write_report

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        for _ in range(args.repeat):
            start = time.perf_counter()
            write_report(str(root), out)
            times.append(time.perf_counter() - start)
        size = out.stat().st_size
    print(f"report of {args.articles:,} articles: best {min(times):.2f} s of {args.repeat} "
          f"({', '.join(f'{t:.2f}' for t in times)}), {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
