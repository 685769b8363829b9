"""Scoring stance sentences: against gold op-ed annotations and on the CheckThat! 2025 subjectivity benchmark."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from spacy.language import Language
from spacy.tokens import Span

from oped_extract.evaluation.gold import GoldArticle
from oped_extract.evaluation.metrics import binary_scores
from oped_extract.nlp.sentences import trim_whitespace

VADER_THRESHOLD = 0.05  # |compound| >= 0.05 is VADER's own cut between neutral and polar text


def vader_classifier() -> Callable[[str], bool]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: abs(analyzer.polarity_scores(text)["compound"]) >= VADER_THRESHOLD


def _norm_holder(text: str | None) -> str:
    words = (text or "").lower().replace("’", "'").split()
    while words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words).removesuffix("'s")


def _match(sents: list[Span], start: int, end: int) -> Span | None:
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


def score_stance(nlp: Language, gold_articles: Iterable[GoldArticle]) -> dict:
    """Stance P/R/F1, non-stance recall, macro-F1, type accuracy and attribution holders against gold sentences."""
    articles = list(gold_articles)
    vader = vader_classifier()
    gold, pred, rows = [], [], []
    exact = types_right = types_total = holders_right = holders_total = 0
    for article, doc in zip(articles, nlp.pipe(a.body for a in articles), strict=False):
        sents = list(doc.sents)
        for g in article.sentences:
            sent = _match(sents, g.start, g.end)
            st = sent._.stance if sent is not None else None
            trimmed = trim_whitespace(sent) if sent is not None else None
            exact += bool(trimmed is not None and (trimmed.start_char, trimmed.end_char) == (g.start, g.end))
            is_stance = bool(st and st.is_stance)
            gold.append(g.is_stance)
            pred.append(is_stance)
            if g.is_stance:
                types_total += 1
                types_right += bool(is_stance and st.stance_type == g.stance_type)
            if g.stance_type == "attribution":
                holders_total += 1
                holders_right += bool(st and _norm_holder(st.holder) == _norm_holder(g.holder))
            rows.append({"file": article.file, "index": g.index, "text": g.text, "gold_stance": g.is_stance,
                         "gold_type": g.stance_type, "gold_holder": g.holder, "is_stance": is_stance,
                         "score": st.score if st else None, "stance_type": st.stance_type if st else None,
                         "holder": st.holder if st else None, "cues": list(st.cues) if st else [],
                         "vader": vader(g.text)})
    return {
        "n_sentences": len(gold),
        "n_exact_boundaries": exact,
        "ours": binary_scores(gold, pred),
        "type_accuracy": types_right / types_total if types_total else 0.0,
        "n_stance_gold": types_total,
        "attribution_holders_correct": holders_right,
        "attribution_holders_total": holders_total,
        "baselines": {
            "every sentence is stance": binary_scores(gold, [True] * len(gold)),
            f"VADER |compound| >= {VADER_THRESHOLD}": binary_scores(gold, [r["vader"] for r in rows]),
        },
        "sentences": rows,
    }


def scores_header(pos: str, neg: str) -> str:
    return f"  {'':<24} {'macro-F1':>8}  {pos + ' P / R / F1':>20}  {neg + ' R / F1':>16}"


def scores_line(name: str, m: dict) -> str:
    p, n = m["pos"], m["neg"]
    return (f"  {name:<24} {m['macro_f1']:>8.3f}  {p['precision']:>6.3f} {p['recall']:.3f} {p['f1']:.3f}"
            f"  {n['recall']:>10.3f} {n['f1']:.3f}")


def format_stance_report(report: dict) -> str:
    """Plain-text stance scores against gold, with the baselines underneath."""
    head = (f"stance sentences (n={report['n_sentences']}, boundaries exact {report['n_exact_boundaries']}"
            f"/{report['n_sentences']})")
    lines = [head, scores_header("stance", "non-stance"), scores_line("oped_stance", report["ours"])]
    lines += [scores_line(name, m) for name, m in report["baselines"].items()]
    lines.append(f"  type accuracy on gold stance sentences: {report['type_accuracy']:.3f} "
                 f"(n={report['n_stance_gold']})")
    lines.append(f"  attribution holders correct: {report['attribution_holders_correct']}"
                 f"/{report['attribution_holders_total']}")
    return "\n".join(lines)
