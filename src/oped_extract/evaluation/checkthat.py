"""The CheckThat! 2025 Task 1 subjectivity benchmark (English): read its TSV, score the stance pipeline on it."""

from __future__ import annotations

import csv
from pathlib import Path

from spacy.language import Language

from oped_extract.errors import ConfigError
from oped_extract.evaluation.metrics import binary_scores
from oped_extract.evaluation.stance import VADER_THRESHOLD, scores_header, scores_line, vader_classifier


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
    for (sid, text, is_subj), doc in zip(records, nlp.pipe((r[1] for r in records), batch_size=64), strict=False):
        subj = is_subjective(doc)
        pred.append(subj)
        cues = [c for s in doc.sents if s._.stance for c in s._.stance.cues]
        types = [s._.stance.stance_type for s in doc.sents if s._.stance and s._.stance.is_stance]
        score = max((s._.stance.score for s in doc.sents if s._.stance), default=0.0)
        rows.append({"sentence_id": sid, "text": text, "gold_subj": is_subj, "subj": subj, "score": score,
                     "types": types, "cues": cues})
    vader = vader_classifier()
    return {
        "file": str(tsv_path),
        "n": len(records),
        "ours": binary_scores(gold, pred),
        "baselines": {
            "always OBJ": binary_scores(gold, [False] * len(gold)),
            f"VADER |compound| >= {VADER_THRESHOLD}": binary_scores(gold, [vader(r[1]) for r in records]),
        },
        "sentences": rows,
    }


def format_checkthat_report(report: dict) -> str:
    """Plain-text CheckThat! scores (SUBJ = author stance other than attribution), with the baselines."""
    lines = [f"CheckThat! 2025 subjectivity: {report['file']} (n={report['n']})",
             scores_header("SUBJ", "OBJ"), scores_line("oped_stance", report["ours"])]
    lines += [scores_line(name, m) for name, m in report["baselines"].items()]
    return "\n".join(lines)
