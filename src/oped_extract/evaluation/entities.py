"""Entity scoring against gold: exact span + label P/R/F1 per label, per corpus slice and overall, ours beside the
plain model; and how many places got a point on the map."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.table import Table
from spacy.language import Language

from oped_extract.errors import ConfigError
from oped_extract.evaluation.gold import GoldArticle
from oped_extract.evaluation.metrics import PRF, prf

# A scored mention: (gold file, start, end, label); offsets into the gold body.
Mention = tuple[str, int, int, str]
# The labels the annotation rules score (ANNOTATION.md); dates, numbers, products and works are not scored.
SCORED_LABELS = ("GPE", "LOC", "ORG", "NORP", "PERSON", "FAC", "EVENT", "LAW")


def baseline_nlp(model: str | None = None) -> Language:
    """The plain spaCy model, without our components: what `evaluate --baseline` compares against."""
    import spacy

    from oped_extract.nlp.pipeline import resolve_model

    return spacy.load(resolve_model(model))


def score_entities(nlp: Language, gold_articles: Sequence[GoldArticle], labels: Iterable[str] = SCORED_LABELS) -> dict:
    """Run `nlp` on each gold body and score doc.ents (restricted to `labels`) against the gold mentions.

    Besides the scores, counts the GPE/LOC mentions found and how many of them got coordinates ("places").
    """
    predicted: list[Mention] = []
    names: dict[Mention, str | None] = {}
    places = located = 0
    for article, doc in zip(gold_articles, nlp.pipe(a.body for a in gold_articles), strict=True):
        for e in doc.ents:
            mention = (article.file, e.start_char, e.end_char, e.label_)
            predicted.append(mention)
            names[mention] = e._.canonical_name if e.has_extension("canonical_name") else None
            if e.label_ in ("GPE", "LOC"):
                places += 1
                located += e.has_extension("latitude") and e._.latitude is not None
    result = _score(gold_articles, predicted, labels, names)
    result["places"] = (located, places)
    return result


def score_entities_from_rows(
    entities_df, articles_df, gold_articles: Sequence[GoldArticle], labels: Iterable[str] = SCORED_LABELS
) -> dict:
    """Score stored rows (pandas frames of the entities and articles tables) instead of running the pipeline.

    Gold articles are matched to stored articles by body text (surrounding whitespace ignored); gold articles
    not in the store are listed under "unmatched" and left out of the score.
    """
    stored: dict[str, tuple[str, int]] = {}
    for article_id, body in zip(articles_df["article_id"], articles_df["body_text"], strict=False):
        stored.setdefault(body.strip(), (article_id, len(body) - len(body.lstrip())))
    by_article: dict[str, list[tuple[int, int, str, str | None]]] = {}
    canonical = entities_df["canonical_name"] if "canonical_name" in entities_df else [None] * len(entities_df)
    for article_id, start, end, label, name in zip(
        entities_df["article_id"], entities_df["start_char"], entities_df["end_char"], entities_df["label"], canonical,
        strict=True,
    ):
        by_article.setdefault(article_id, []).append((int(start), int(end), str(label), name))
    matched, unmatched, predicted = [], [], []
    names: dict[Mention, str | None] = {}
    for article in gold_articles:
        hit = stored.get(article.body.strip())
        if hit is None:
            unmatched.append(article.file)
            continue
        article_id, stored_lead = hit
        shift = stored_lead - (len(article.body) - len(article.body.lstrip()))
        matched.append(article)
        for start, end, label, name in by_article.get(article_id, []):
            mention = (article.file, start - shift, end - shift, label)
            predicted.append(mention)
            names[mention] = name
    if not matched:
        raise ConfigError(
            f"none of the {len(gold_articles)} gold articles is in the store (matched by body text); "
            "run the pipeline on the gold articles' source files first"
        )
    result = _score(matched, predicted, labels, names)
    result["unmatched"] = unmatched
    return result


def score_stored_outputs(store: str, gold_articles: Sequence[GoldArticle], storage_options: dict | None = None) -> dict:
    """Score a Parquet store (e.g. data/parquet, or s3://bucket/prefix) against gold: `evaluate --outputs`."""
    import pandas as pd

    root = store.rstrip("/")
    try:
        entities = pd.read_parquet(
            f"{root}/entities", columns=["article_id", "start_char", "end_char", "label", "canonical_name"],
            storage_options=storage_options,
        )
        articles = pd.read_parquet(f"{root}/articles", columns=["article_id", "body_text"],
                                   storage_options=storage_options)
    except (FileNotFoundError, OSError) as exc:
        raise ConfigError(f"no readable entities/articles tables under {store}: {exc}") from exc
    return score_entities_from_rows(entities, articles, gold_articles)


def _score(
    gold_articles: Sequence[GoldArticle], predicted: list[Mention], labels: Iterable[str],
    names: dict[Mention, str | None] | None = None,
) -> dict:
    keep = frozenset(labels)
    gold_names = {(a.file, e.start, e.end, e.label): e.canonical_name for a in gold_articles for e in a.entities}
    gold = {m for m in gold_names if m[3] in keep}
    pred = {m for m in predicted if m[3] in keep}
    # Linking: of the exactly found mentions whose gold names a canonical entity, how many got that name.
    named = [m for m in gold & pred if gold_names[m]]
    canonical_correct = sum(1 for m in named if (names or {}).get(m) == gold_names[m])
    bodies = {a.file: a.body for a in gold_articles}
    per_label = {
        label: prf({m for m in gold if m[3] == label}, {m for m in pred if m[3] == label})
        for label in sorted({m[3] for m in gold | pred})
    }
    slice_of = {a.file: a.slice for a in gold_articles}
    slices = list(dict.fromkeys(a.slice for a in gold_articles))
    per_slice = {
        name: prf({m for m in gold if slice_of[m[0]] == name}, {m for m in pred if slice_of[m[0]] == name})
        for name in slices
    } if len(slices) > 1 else {}
    return {
        "overall": prf(gold, pred),
        "per_label": per_label,
        "per_slice": per_slice,
        "n_articles": len(gold_articles),
        "n_gold": len(gold),
        "canonical": (canonical_correct, len(named)),
        "missed": [_describe(m, bodies) for m in sorted(gold - pred)],
        "spurious": [_describe(m, bodies) for m in sorted(pred - gold)],
    }


def _describe(m: Mention, bodies: dict[str, str]) -> dict:
    file, start, end, label = m
    return {"file": file, "start": start, "end": end, "label": label, "text": bodies[file][start:end]}


def format_entity_report(ours: dict, baseline: dict | None = None) -> Table:
    """P/R/F1 per label, per slice (for a corpus of several) and overall; with `baseline`, the plain model's
    figures beside ours."""
    table = Table(title="entities: exact span + label")
    table.add_column("label / slice", no_wrap=True)
    table.add_column("gold", justify="right")
    for who in ("ours", "base") if baseline else ("ours",):
        for metric in ("P", "R", "F1"):
            table.add_column(f"{who} {metric}", justify="right")
    labels = sorted(set(ours["per_label"]) | set(baseline["per_label"] if baseline else ()))
    for label in labels:
        table.add_row(label, *_cells(label, ours, baseline))
    table.add_row("overall", *_cells(None, ours, baseline), style="bold")
    for name in ours.get("per_slice", {}):
        table.add_row(name, *_cells(name, ours, baseline, key="per_slice"), style="italic")
    notes = [f"{ours['n_articles']} gold article(s), {ours['n_gold']} mentions",
             f"ours: {len(ours['missed'])} missed, {len(ours['spurious'])} spurious"]
    correct, total = ours["canonical"]
    if total:
        notes.append(f"canonical names right: {correct}/{total}")
    located, places = ours.get("places", (0, 0))
    if places:
        notes.append(f"places with coordinates: {located}/{places} GPE/LOC mentions ({located / places:.0%})")
    if baseline:
        notes.append(f"baseline: {len(baseline['missed'])} missed, {len(baseline['spurious'])} spurious")
    if ours.get("unmatched"):
        notes.append(f"{len(ours['unmatched'])} gold article(s) not in the store: {', '.join(ours['unmatched'])}")
    table.caption = "\n".join(notes)
    return table


def _cells(label: str | None, ours: dict, baseline: dict | None, key: str = "per_label") -> list[str]:
    def scores(result: dict) -> PRF:
        return result["overall"] if label is None else result.get(key, {}).get(label, PRF(0, 0, 0))

    first = scores(ours)
    cells = [str(first.tp + first.fn)]
    for result in (ours, baseline) if baseline else (ours,):
        s = scores(result)
        cells += [f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}"]
    return cells
