"""Scoring against gold annotations (format of data/gold/*.json): shared readers and P/R/F1."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GoldEntity:
    start: int  # offsets into GoldArticle.body
    end: int
    text: str
    label: str
    canonical_name: str | None = None


@dataclass(frozen=True)
class GoldSentence:
    index: int
    start: int  # offsets into GoldArticle.body
    end: int
    text: str
    is_stance: bool
    stance_type: str | None
    holder: str | None


@dataclass
class GoldArticle:
    """One gold file, with every offset re-based from the raw file onto the body text."""

    path: Path
    file: str
    body: str
    metadata: dict
    entities: list[GoldEntity] = field(default_factory=list)
    footer_entities: list[dict] = field(default_factory=list)
    sentences: list[GoldSentence] = field(default_factory=list)


def load_gold(path: str | Path) -> list[GoldArticle]:
    """Read one gold JSON file or every *.json in a directory."""
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return [_read_gold(f) for f in files]


def _read_gold(file: Path) -> GoldArticle:
    raw = json.loads(file.read_text(encoding="utf-8"))
    base = raw.get("body_span", [0, 0])[0]
    return GoldArticle(
        path=file,
        file=raw.get("file", file.name),
        body=raw["body"],
        metadata=raw.get("metadata", {}),
        entities=[
            GoldEntity(e["start"] - base, e["end"] - base, e["text"], e["label"], e.get("canonical_name"))
            for e in raw.get("entities", [])
        ],
        footer_entities=raw.get("footer_entities", []),
        sentences=[
            GoldSentence(
                s["index"], s["start"] - base, s["end"] - base, s["text"], bool(s["is_stance"]),
                s.get("stance_type"), s.get("holder"),
            )
            for s in raw.get("sentences", [])
        ],
    )


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
