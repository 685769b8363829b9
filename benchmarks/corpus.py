"""A deterministic corpus of distinct op-ed-like articles, recombined and perturbed from data/samples."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"

# Swapping names keeps the prose realistic while making every article distinct for the NER and the store.
PLACES = ["Pakistan", "Afghanistan", "Iran", "India", "Tajikistan", "Uzbekistan", "Turkmenistan", "China"]
CITIES = ["Islamabad", "Kabul", "Tehran", "New Delhi", "Dushanbe", "Tashkent", "Peshawar", "Quetta", "Kandahar"]
FOOTERS = [
    "The writer is a senior fellow at the Institute of Regional Studies. He tweets @analyst{n}",
    ("The author is a former diplomat and columnist.\nDisclaimer: The viewpoints expressed in this piece are the "
     "writer's own and don't necessarily reflect Geo.tv's editorial policy.\nOriginally published in The News"),
    "",
]


def sample_sentences() -> list[str]:
    from oped_extract.ingest.readers import ingest

    sentences: list[str] = []
    for article in ingest([SAMPLES], include=("*.txt",)):
        for paragraph in getattr(article, "body_text", "").split("\n"):
            sentences += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", paragraph) if s]
    return sentences


def make_corpus(out: Path, n: int, seed: int = 13, sentences_per_article: tuple[int, int] = (18, 34)) -> Path:
    """Write `n` distinct .txt articles under `out` (re-used when already complete)."""
    out.mkdir(parents=True, exist_ok=True)
    if len(list(out.glob("*.txt"))) == n:
        return out
    pool = sample_sentences()
    rng = random.Random(seed)
    seen: set[str] = set()
    i = 0
    while len(seen) < n:
        k = rng.randint(*sentences_per_article)
        picked = [_perturb(rng.choice(pool), rng) for _ in range(k)]
        paragraphs, pos = [], 0
        while pos < len(picked):
            step = rng.randint(2, 5)
            paragraphs.append(" ".join(picked[pos:pos + step]))
            pos += step
        date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 1000))
        footer = rng.choice(FOOTERS).format(n=i)
        text = f"{date:%B} {date.day}, {date.year}\n" + "\n".join(paragraphs) + ("\n" + footer if footer else "") + "\n"
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            (out / f"{len(seen):06d}.txt").write_text(text, encoding="utf-8")
        i += 1
    return out


def _perturb(sentence: str, rng: random.Random) -> str:
    sentence = re.sub(r"\b(?:Pakistan|Afghanistan)\b(?!i)", lambda m: rng.choice(PLACES[:4]) if rng.random() < 0.3
                      else m.group(0), sentence)
    return re.sub(r"\b(?:Islamabad|Kabul)\b", lambda m: rng.choice(CITIES) if rng.random() < 0.3 else m.group(0),
                  sentence)
