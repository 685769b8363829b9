"""Scoring stance sentences: against gold op-ed annotations and on the CheckThat! 2025 subjectivity benchmark."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Span

from oped_extract.errors import ConfigError
from oped_extract.evaluation.gold import GoldArticle
from oped_extract.nlp.sentences import trim_whitespace

VADER_THRESHOLD = 0.05  # |compound| >= 0.05 is VADER's own cut between neutral and polar text


def _vader() -> Callable[[str], bool]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: abs(analyzer.polarity_scores(text)["compound"]) >= VADER_THRESHOLD


def _binary(gold: Sequence[bool], pred: Sequence[bool]) -> dict:
    """P/R/F1 of both classes and their macro-F1 (positive class = True)."""
    out = {}
    for name, cls in (("pos", True), ("neg", False)):
        tp = sum(1 for g, p in zip(gold, pred) if g == cls and p == cls)
        fp = sum(1 for g, p in zip(gold, pred) if g != cls and p == cls)
        fn = sum(1 for g, p in zip(gold, pred) if g == cls and p != cls)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        out[name] = {"precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                     "support": tp + fn}
    out["macro_f1"] = (out["pos"]["f1"] + out["neg"]["f1"]) / 2
    out["n"] = len(gold)
    return out


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
    vader = _vader()
    gold, pred, rows = [], [], []
    exact = types_right = types_total = holders_right = holders_total = 0
    for article, doc in zip(articles, nlp.pipe(a.body for a in articles)):
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
        "ours": _binary(gold, pred),
        "type_accuracy": types_right / types_total if types_total else 0.0,
        "n_stance_gold": types_total,
        "attribution_holders_correct": holders_right,
        "attribution_holders_total": holders_total,
        "baselines": {
            "every sentence is stance": _binary(gold, [True] * len(gold)),
            f"VADER |compound| >= {VADER_THRESHOLD}": _binary(gold, [r["vader"] for r in rows]),
        },
        "sentences": rows,
    }


def read_checkthat(tsv_path: str | Path) -> list[tuple[str, str, bool]]:
    """(sentence_id, sentence, is_subj) from a CheckThat! 2025 Task 1 TSV, whatever its column order."""
    path = Path(tsv_path)
    if not path.is_file():
        raise ConfigError(f"CheckThat! file not found: {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        # QUOTE_NONE: sentences contain unbalanced quotation marks that a quoting reader would swallow.
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or not {"sentence", "label"} <= set(header):
            raise ConfigError(f"{path} is not a CheckThat! subjectivity TSV: expected a header with 'sentence' and "
                              f"'label' columns, found {header!r}")
        col = {name: header.index(name) for name in header}
        out = []
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            label = row[col["label"]].strip() if len(row) > col["label"] else ""
            if label not in ("SUBJ", "OBJ"):
                raise ConfigError(f"{path}:{line_no}: label must be SUBJ or OBJ, found {label!r}")
            sid = row[col["sentence_id"]] if "sentence_id" in col and len(row) > col["sentence_id"] else str(line_no)
            out.append((sid, row[col["sentence"]], label == "SUBJ"))
    if not out:
        raise ConfigError(f"{path} has a header but no sentences")
    return out


def is_subjective(doc) -> bool:
    """The CheckThat! mapping: the author's own stance is SUBJ; a reported position of someone else is OBJ."""
    return any(s._.stance is not None and s._.stance.is_stance and s._.stance.stance_type != "attribution"
               for s in doc.sents)


def score_checkthat(nlp: Language, tsv_path: str | Path) -> dict:
    """Macro-F1, SUBJ F1 and OBJ F1 of the stance pipeline on a CheckThat! TSV, beside always-OBJ and VADER."""
    records = read_checkthat(tsv_path)
    gold = [r[2] for r in records]
    pred, rows = [], []
    for (sid, text, is_subj), doc in zip(records, nlp.pipe((r[1] for r in records), batch_size=64)):
        subj = is_subjective(doc)
        pred.append(subj)
        cues = [c for s in doc.sents if s._.stance for c in s._.stance.cues]
        types = [s._.stance.stance_type for s in doc.sents if s._.stance and s._.stance.is_stance]
        score = max((s._.stance.score for s in doc.sents if s._.stance), default=0.0)
        rows.append({"sentence_id": sid, "text": text, "gold_subj": is_subj, "subj": subj, "score": score,
                     "types": types, "cues": cues})
    vader = _vader()
    return {
        "file": str(tsv_path),
        "n": len(records),
        "ours": _binary(gold, pred),
        "baselines": {
            "always OBJ": _binary(gold, [False] * len(gold)),
            f"VADER |compound| >= {VADER_THRESHOLD}": _binary(gold, [vader(r[1]) for r in records]),
        },
        "sentences": rows,
    }


def _header(pos: str, neg: str) -> str:
    return f"  {'':<24} {'macro-F1':>8}  {pos + ' P / R / F1':>20}  {neg + ' R / F1':>16}"


def _line(name: str, m: dict) -> str:
    p, n = m["pos"], m["neg"]
    return (f"  {name:<24} {m['macro_f1']:>8.3f}  {p['precision']:>6.3f} {p['recall']:.3f} {p['f1']:.3f}"
            f"  {n['recall']:>10.3f} {n['f1']:.3f}")


def format_stance_report(report: dict) -> str:
    """Plain-text stance scores against gold, with the baselines underneath."""
    head = (f"stance sentences (n={report['n_sentences']}, boundaries exact {report['n_exact_boundaries']}"
            f"/{report['n_sentences']})")
    lines = [head, _header("stance", "non-stance"), _line("oped_stance", report["ours"])]
    lines += [_line(name, m) for name, m in report["baselines"].items()]
    lines.append(f"  type accuracy on gold stance sentences: {report['type_accuracy']:.3f} (n={report['n_stance_gold']})")
    lines.append(f"  attribution holders correct: {report['attribution_holders_correct']}"
                 f"/{report['attribution_holders_total']}")
    return "\n".join(lines)


def format_checkthat_report(report: dict) -> str:
    """Plain-text CheckThat! scores (SUBJ = author stance other than attribution), with the baselines."""
    lines = [f"CheckThat! 2025 subjectivity: {report['file']} (n={report['n']})",
             _header("SUBJ", "OBJ"), _line("oped_stance", report["ours"])]
    lines += [_line(name, m) for name, m in report["baselines"].items()]
    return "\n".join(lines)
