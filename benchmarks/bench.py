"""`make bench`: throughput and memory of the pipeline against bare `nlp.pipe` on the same texts.

Every measurement runs in its own process (so peak RSS is its own) on the same corpus and cores; results go to
benchmarks/results/latest.json and a table is printed. Options: --articles N (default 2000), --scale N (default
20000, the memory-scaling and reprocess runs), --skip-scale.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import ROOT, make_corpus

RESULTS = HERE / "results" / "latest.json"
CORPUS = HERE / "corpus"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bodies(corpus: Path) -> list[str]:
    from oped_extract.ingest.readers import ingest

    return [a.body_text for a in ingest([corpus]) if hasattr(a, "body_text")]


# ---- children: each prints one JSON object ---------------------------------------------------------------

def child_bare(corpus: Path, profile: str) -> dict:
    """The reference: the model as spaCy loads it, through nlp.pipe. `fast`: the fast profile's model components
    (NER + lexical tags + sentencizer), nothing else of ours."""
    import spacy

    from oped_extract.nlp.pipeline import load_model, resolve_model

    texts = _bodies(corpus)
    nlp = spacy.load(resolve_model()) if profile == "default" else load_model(None, profile)
    start = time.perf_counter()
    words = 0
    for doc in nlp.pipe(texts, batch_size=64):
        words += len(doc)
    seconds = time.perf_counter() - start
    return {"articles": len(texts), "words": words, "seconds": seconds}


def child_pipeline(corpus: Path, out: Path, profile: str, runner: str, workers: int) -> dict:
    """Files -> Parquet through the Prefect flow, as `oped-extract run` does it: Prefect's import and temporary
    API start-up included."""
    start = time.perf_counter()
    from oped_extract.flows.prefect_env import start_api_early

    from oped_extract.nlp.pipeline import warm_up_in_background
    from oped_extract.settings import Settings

    settings = Settings(inputs=(str(corpus),), out=str(out), profile=profile, runner=runner,
                        workers=workers).validated()
    start_api_early()
    warm_up_in_background(settings.model, settings.profile)
    from oped_extract.flows.batch import run_batch

    summary = run_batch(settings)
    seconds = time.perf_counter() - start
    return {"articles": summary.n_processed, "words": summary.n_words, "seconds": seconds,
            "failed": summary.n_failed}


def child_stance_share(corpus: Path, limit: int) -> dict:
    """The stance component's share of pipeline time: the rest of the pipeline, then stance on the same docs."""
    from oped_extract.nlp.pipeline import load_pipeline

    texts = _bodies(corpus)[:limit]
    nlp = load_pipeline()
    start = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=64, disable=["oped_stance"]))
    rest = time.perf_counter() - start
    stance = nlp.get_pipe("oped_stance")
    start = time.perf_counter()
    for doc in docs:
        stance(doc)
    own = time.perf_counter() - start
    return {"articles": len(docs), "rest_seconds": rest, "stance_seconds": own, "share": own / (rest + own)}


def child_reprocess(out: Path, article_id: str) -> dict:
    start = time.perf_counter()
    from oped_extract.flows.prefect_env import adopt_early_api, start_api_early

    from oped_extract.nlp.pipeline import warm_up_in_background
    from oped_extract.settings import Settings

    settings = Settings(inputs=(), out=str(out)).validated(require_inputs=False)
    start_api_early()
    warm_up_in_background(settings.model, settings.profile, settings.gazetteers)
    from oped_extract.flows.reprocess import reprocess_flow

    adopt_early_api()
    summary = reprocess_flow(target=article_id, out=str(out))
    return {"seconds": time.perf_counter() - start, "articles": summary.n_processed}


def child_quality(profile: str) -> dict:
    from oped_extract.evaluation import entities as entity_eval
    from oped_extract.evaluation import stance as stance_eval
    from oped_extract.evaluation.gold import load_gold
    from oped_extract.nlp.pipeline import load_pipeline

    gold = load_gold(ROOT / "data" / "gold")
    nlp = load_pipeline(None, profile)
    ents = entity_eval.score_entities(nlp, gold)
    stance = stance_eval.score_stance(nlp, gold)["slices"]["sample"]["ours"]
    return {"entity_f1": ents["overall"].f1, "stance_f1": stance["pos"]["f1"],
            "stance_macro_f1": stance["macro_f1"], "stance_type_accuracy": stance["type_accuracy"]}


def _run_child(*args: str) -> dict:
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{args[0]} {' '.join(Path(a).name for a in args[1:])}: {result}", flush=True)
    return result


def _rate(r: dict) -> dict:
    r["words_per_s"] = r["words"] / r["seconds"]
    r["articles_per_s"] = r["articles"] / r["seconds"]
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--scale", type=int, default=20000)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        fn = {"bare": lambda c, p: child_bare(Path(c), p),
              "pipeline": lambda c, o, p, r, w: child_pipeline(Path(c), Path(o), p, r, int(w)),
              "reprocess": lambda o, a: child_reprocess(Path(o), a),
              "quality": lambda p: child_quality(p),
              "stance_share": lambda c, n: child_stance_share(Path(c), int(n))}[mode]
        result = fn(*rest)
        result["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(result))
        return

    corpus = make_corpus(CORPUS / f"n{args.articles}", args.articles)
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                     "articles": args.articles, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results["bare_nlp_pipe"] = _rate(_run_child("bare", str(corpus), "default"))
        results["pipeline"] = _rate(
            _run_child("pipeline", str(corpus), str(tmp / "default"), "default", "default", "1"))
        results["bare_nlp_pipe_fast"] = _rate(_run_child("bare", str(corpus), "fast"))
        results["pipeline_fast"] = _rate(_run_child("pipeline", str(corpus), str(tmp / "fast"), "fast", "default", "1"))
        results["pipeline_dask_2"] = _rate(
            _run_child("pipeline", str(corpus), str(tmp / "dask"), "default", "dask", "2"))
        results["quality_default"] = _run_child("quality", "default")
        results["quality_fast"] = _run_child("quality", "fast")
        results["stance_share"] = _run_child("stance_share", str(corpus), "500")
        if not args.skip_scale:
            big = make_corpus(CORPUS / f"n{args.scale}", args.scale)
            # The memory-scaling pair runs the fast profile on both sizes so the 20,000 run fits a coffee break;
            # memory growth is a property of streaming and writing, not of the parser.
            results["memory_small"] = _rate(
                _run_child("pipeline", str(corpus), str(tmp / "m_small"), "fast", "default", "1"))
            results["memory_large"] = _rate(
                _run_child("pipeline", str(big), str(tmp / "m_large"), "fast", "default", "1"))
            import pandas as pd

            article_id = pd.read_parquet(tmp / "m_large" / "articles", columns=["article_id"]).article_id.iloc[0]
            results["reprocess_in_large_store"] = _run_child("reprocess", str(tmp / "m_large"), article_id)
    b, p, f = results["bare_nlp_pipe"], results["pipeline"], results["pipeline_fast"]
    results["ratios"] = {
        "pipeline_vs_bare": p["words_per_s"] / b["words_per_s"],
        "fast_vs_default_pipeline": f["words_per_s"] / p["words_per_s"],
        "fast_pipeline_vs_bare_fast": f["words_per_s"] / results["bare_nlp_pipe_fast"]["words_per_s"],
        "dask2_vs_default_pipeline": results["pipeline_dask_2"]["words_per_s"] / p["words_per_s"],
        "entity_f1_fast_minus_default": results["quality_fast"]["entity_f1"] - results["quality_default"]["entity_f1"],
    }
    if "memory_large" in results:
        results["ratios"]["peak_rss_large_vs_small"] = (
            results["memory_large"]["peak_rss_mb"] / results["memory_small"]["peak_rss_mb"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    _print_table(results)


def _print_table(results: dict) -> None:
    print(f"\n{'measurement':34} {'articles':>9} {'words/s':>9} {'art/s':>7} {'seconds':>8} {'peak MB':>8}")
    for key, r in results.items():
        if isinstance(r, dict) and "seconds" in r:
            print(f"{key:34} {r.get('articles', ''):>9} {r.get('words_per_s', 0):>9.0f} "
                  f"{r.get('articles_per_s', 0):>7.1f} "
                  f"{r['seconds']:>8.1f} {r['peak_rss_mb']:>8.0f}")
    for key in ("quality_default", "quality_fast", "stance_share"):
        print(f"{key}: {results[key]}")
    for key, value in results["ratios"].items():
        print(f"{key}: {value:.3f}")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
