"""Scoring stance sentences against gold: per slice and overall, stance P/R/F1 of both classes, type accuracy
with a confusion matrix, attribution holders, calibration (Brier score, reliability table), beside the
every-sentence-stance and VADER baselines."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from spacy.language import Language
from spacy.tokens import Span

from oped_extract.evaluation.gold import GoldArticle
from oped_extract.evaluation.metrics import binary_scores
from oped_extract.nlp.sentences import trim_whitespace

VADER_THRESHOLD = 0.05  # |compound| >= 0.05 is VADER's own cut between neutral and polar text
RELIABILITY_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
TYPES = ("attribution", "evaluation", "prediction", "recommendation", "obligation", "concession")
EVERY_SENTENCE = "every sentence is stance"
VADER = f"VADER |compound| >= {VADER_THRESHOLD}"


def vader_classifier() -> Callable[[str], bool]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: abs(analyzer.polarity_scores(text)["compound"]) >= VADER_THRESHOLD


def normalise_holder(text: str | None) -> str:
    """Lower case, straight apostrophes, no leading article, no possessive, no trailing acronym gloss
    ("Tehrik-i-Taliban Pakistan, or TTP" and "… (TTP)" compare as the name alone)."""
    words = (text or "").lower().replace("’", "'").replace('"', "").split()
    while words and words[0] in ("the", "a", "an"):
        words = words[1:]
    out = " ".join(words).removesuffix("'s").strip(" ,.")
    for gloss in (", or ", " ("):
        head, sep, tail = out.partition(gloss)
        if sep and tail.rstrip(")").replace("-", "").isalnum() and len(tail.rstrip(")")) <= 8:
            out = head
    return out


def holder_matches(predicted: str | None, gold: str | None, exact: bool = False) -> bool:
    """Exact: the same name after normalising. Otherwise one contains the other as whole words ("Taliban
    spokesman" for "Taliban spokesman Zabihullah Mujahid" counts; "Taliban" for "Pakistan" does not)."""
    p, g = normalise_holder(predicted), normalise_holder(gold)
    if not p or not g or p == "author":
        return False
    return p == g if exact else p == g or f" {p} " in f" {g} " or f" {g} " in f" {p} "


def match_sentence(sents: Sequence[Span], start: int, end: int) -> Span | None:
    """The predicted sentence with the same trimmed offsets, else the one overlapping the gold sentence most."""
    best, best_overlap = None, 0
    for sent in sents:
        trimmed = trim_whitespace(sent)
        if (trimmed.start_char, trimmed.end_char) == (start, end):
            return sent
        overlap = min(end, trimmed.end_char) - max(start, trimmed.start_char)
        if overlap > best_overlap:
            best, best_overlap = sent, overlap
    return best


def sentence_results(nlp: Language, articles: Sequence[GoldArticle]) -> list[dict]:
    """One record per gold sentence: the gold labels beside what the pipeline decided for it."""
    vader = vader_classifier()
    rows = []
    for article, doc in zip(articles, nlp.pipe(a.body for a in articles), strict=True):
        sents = list(doc.sents)
        for g in article.sentences:
            sent = match_sentence(sents, g.start, g.end)
            st = sent._.stance if sent is not None else None
            trimmed = trim_whitespace(sent) if sent is not None else None
            rows.append({
                "file": article.file, "slice": article.slice, "index": g.index, "text": g.text,
                "exact_boundary": trimmed is not None and (trimmed.start_char, trimmed.end_char) == (g.start, g.end),
                "gold_stance": g.is_stance, "gold_type": g.stance_type if g.is_stance else None,
                "gold_holder": g.holder if g.stance_type == "attribution" else None,
                "is_stance": bool(st and st.is_stance), "score": st.score if st else 0.0,
                "stance_type": st.stance_type if st else None, "holder": st.holder if st else None,
                "holder_entity_id": st.holder_entity_id if st else None, "cues": list(st.cues) if st else [],
                "vader": vader(g.text),
            })
    return rows


def stance_metrics(rows: Sequence[dict]) -> dict:
    """Stance P/R/F1 of both classes and macro-F1; type accuracy on the gold stance sentences called stance
    (`type_accuracy`) and on all gold stance sentences (`type_accuracy_all`); attribution holders (whole-word
    containment and exact); Brier score; reliability table; type confusion matrix (gold -> predicted)."""
    gold = [r["gold_stance"] for r in rows]
    pred = [r["is_stance"] for r in rows]
    out = binary_scores(gold, pred)
    both = [r for r in rows if r["gold_stance"] and r["is_stance"]]
    stance_gold = [r for r in rows if r["gold_stance"]]
    attributions = [r for r in rows if r["gold_type"] == "attribution"]
    out["type_accuracy"] = _share(both, lambda r: r["stance_type"] == r["gold_type"])
    out["type_accuracy_all"] = _share(stance_gold, lambda r: r["stance_type"] == r["gold_type"])
    out["n_typed"] = len(both)
    out["holder_accuracy"] = _share(attributions, lambda r: r["stance_type"] == "attribution"
                                    and holder_matches(r["holder"], r["gold_holder"]))
    out["holder_accuracy_exact"] = _share(attributions, lambda r: r["stance_type"] == "attribution"
                                          and holder_matches(r["holder"], r["gold_holder"], exact=True))
    out["n_attribution"] = len(attributions)
    out["brier"] = _share(rows, lambda r: (r["score"] - float(r["gold_stance"])) ** 2)
    out["reliability"] = reliability(rows)
    confusion: dict[str, dict[str, int]] = {}
    for r in stance_gold:
        cell = confusion.setdefault(r["gold_type"], {})
        predicted = r["stance_type"] or "non-stance"
        cell[predicted] = cell.get(predicted, 0) + 1
    out["confusion"] = confusion
    return out


def reliability(rows: Sequence[dict]) -> list[dict]:
    """Per score bin: how many sentences, their mean score, and the share that is stance in gold."""
    table = []
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:], strict=False):
        inside = [r for r in rows if low <= r["score"] < high or high == 1.0 and r["score"] == 1.0]
        table.append({"bin": f"{low:.1f}–{high:.1f}", "n": len(inside),
                      "mean_score": _share(inside, lambda r: r["score"]),
                      "stance_share": _share(inside, lambda r: float(r["gold_stance"]))})
    return table


def score_stance(nlp: Language, gold_articles: Iterable[GoldArticle]) -> dict:
    """Stance scores per slice and overall, with the baselines on the same sentences."""
    articles = list(gold_articles)
    rows = sentence_results(nlp, articles)
    slices = list(dict.fromkeys(a.slice for a in articles))
    groups = {name: [r for r in rows if r["slice"] == name] for name in slices}
    if len(slices) > 1:
        groups["all"] = rows
    stance = nlp.get_pipe("oped_stance") if "oped_stance" in nlp.pipe_names else None
    return {
        "model_version": getattr(stance, "model_version", None),
        "n_sentences": len(rows),
        "n_exact_boundaries": sum(r["exact_boundary"] for r in rows),
        "slices": {name: {"n_articles": len({r["file"] for r in group}), "ours": stance_metrics(group),
                          "baselines": _baselines(group)} for name, group in groups.items()},
        "sentences": rows,
    }


def _baselines(rows: Sequence[dict]) -> dict:
    gold = [r["gold_stance"] for r in rows]
    return {EVERY_SENTENCE: binary_scores(gold, [True] * len(gold)),
            VADER: binary_scores(gold, [r["vader"] for r in rows])}


def _share(rows: Sequence, value: Callable) -> float:
    return sum(value(r) for r in rows) / len(rows) if rows else 0.0


def scores_header(pos: str, neg: str) -> str:
    return f"  {'':<26} {'macro-F1':>8}  {pos + ' P / R / F1':>20}  {neg + ' P / R / F1':>22}"


def scores_line(name: str, m: dict) -> str:
    p, n = m["pos"], m["neg"]
    return (f"  {name:<26} {m['macro_f1']:>8.3f}  {p['precision']:>6.3f} {p['recall']:.3f} {p['f1']:.3f}"
            f"  {n['precision']:>10.3f} {n['recall']:.3f} {n['f1']:.3f}")


def format_stance_report(report: dict) -> str:
    """Plain-text stance scores per slice (and overall), the baselines under ours; then the type confusion
    matrix and the reliability table of the last group (overall when there are several slices)."""
    lines = [f"stance sentences (n={report['n_sentences']}, boundaries exact {report['n_exact_boundaries']}"
             f"/{report['n_sentences']}; model {report['model_version']})"]
    for name, group in report["slices"].items():
        ours = group["ours"]
        lines.append(f"{name} ({group['n_articles']} articles, {ours['n']} sentences)")
        lines.append(scores_header("stance", "non-stance"))
        lines.append(scores_line("oped_stance", ours))
        lines += [scores_line(b, m) for b, m in group["baselines"].items()]
        lines.append(f"  type accuracy {ours['type_accuracy']:.3f} (n={ours['n_typed']}, stance in gold and "
                     f"ours; all gold stance: {ours['type_accuracy_all']:.3f}) · holders "
                     f"{ours['holder_accuracy']:.3f} (n={ours['n_attribution']}; exact "
                     f"{ours['holder_accuracy_exact']:.3f}) · Brier {ours['brier']:.3f}")
    last = list(report["slices"].values())[-1]["ours"]
    lines.append("type confusion (gold -> ours):")
    predicted = list(TYPES) + ["non-stance"]
    lines.append("  " + f"{'':<15}" + "".join(f"{t[:11]:>12}" for t in predicted))
    for gold_type in TYPES:
        cells = last["confusion"].get(gold_type, {})
        if cells:
            lines.append("  " + f"{gold_type:<15}" + "".join(f"{cells.get(t, 0):>12}" for t in predicted))
    lines.append("reliability (score bin: sentences, mean score, share stance in gold):")
    lines += [f"  {b['bin']}: {b['n']:>4}  {b['mean_score']:.2f}  {b['stance_share']:.2f}"
              for b in last["reliability"] if b["n"]]
    return "\n".join(lines)
