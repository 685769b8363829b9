"""P/R/F1, computed one way: exact-match sets (entities) and two-class decisions (stance) share `PRF`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def prf(gold: Iterable, predicted: Iterable) -> PRF:
    """Exact-match P/R/F1 over two collections of hashable items (e.g. (start, end, label))."""
    g, p = set(gold), set(predicted)
    return PRF(tp=len(g & p), fp=len(p - g), fn=len(g - p))


def binary_scores(gold: Sequence[bool], pred: Sequence[bool]) -> dict:
    """P/R/F1 of both classes of a yes/no decision and their macro-F1 (positive class = True)."""
    out = {}
    for name, cls in (("pos", True), ("neg", False)):
        scores = prf((i for i, g in enumerate(gold) if g == cls), (i for i, p in enumerate(pred) if p == cls))
        out[name] = {"precision": scores.precision, "recall": scores.recall, "f1": scores.f1,
                     "support": scores.tp + scores.fn}
    out["macro_f1"] = (out["pos"]["f1"] + out["neg"]["f1"]) / 2
    out["n"] = len(gold)
    return out
