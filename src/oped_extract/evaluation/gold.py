"""Gold annotations: the sample's gold JSON files and the corpus's devset.jsonl, read into one shape."""

from __future__ import annotations

import json
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
    file: str  # names the article in scores: the gold file's name, or the corpus record's id
    body: str
    metadata: dict
    slice: str = "sample"  # the corpus slice (pakistan-opinion, region-news, …); gold JSON files are "sample"
    entities: list[GoldEntity] = field(default_factory=list)
    footer_entities: list[dict] = field(default_factory=list)
    sentences: list[GoldSentence] = field(default_factory=list)


def load_gold(path: str | Path) -> list[GoldArticle]:
    """Read gold articles: a gold JSON file, a corpus JSONL file (devset.jsonl), or a directory holding either
    a devset.jsonl (read alone) or *.json gold files."""
    path = Path(path)
    if path.is_dir():
        corpus = path / CORPUS_FILE
        if corpus.is_file():
            return _read_corpus(corpus)
        return [_read_gold(f) for f in sorted(path.glob("*.json"))]
    if path.suffix in (".jsonl", ".ndjson"):
        return _read_corpus(path)
    return [_read_gold(path)]


CORPUS_FILE = "devset.jsonl"


def _read_corpus(file: Path) -> list[GoldArticle]:
    """One article a line: id, slice, text, entities (start, end, text, label), sentences, canonical."""
    articles = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        canonical = raw.get("canonical", {})
        articles.append(GoldArticle(
            path=file,
            file=raw["id"],
            body=raw["text"],
            metadata={k: raw.get(k) for k in ("title", "url", "published_date")},
            slice=raw.get("slice", "corpus"),
            entities=[GoldEntity(e["start"], e["end"], e["text"], e["label"], canonical.get(e["text"]))
                      for e in raw.get("entities", [])],
            sentences=[GoldSentence(s["index"], s["start"], s["end"], s["text"], bool(s["is_stance"]),
                                    s.get("stance_type"), s.get("holder"))
                       for s in raw.get("sentences", [])],
        ))
    return articles


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
