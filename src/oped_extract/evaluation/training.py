"""Fitting the stance model on the annotated corpus (data/stance_model.json), and measuring it honestly: folds
grouped by article (never a sentence scored whose article was in training), hyper-parameters chosen inside
the folds. Needs scikit-learn (a development dependency); the fitted weights do not."""

from __future__ import annotations

import hashlib
import json
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from oped_extract.errors import ConfigError
from oped_extract.evaluation.gold import GoldArticle, load_gold
from oped_extract.evaluation.stance import match_sentence, stance_metrics
from oped_extract.nlp.stance import classify
from oped_extract.nlp.stance_lexicon import load_stance_cues
from oped_extract.nlp.stance_model import (
    ATTRIBUTION_FEATURES,
    MODEL_FORMAT,
    NO_CUE_IN_ARTICLE,
    SENTENCE_FEATURES,
    STANCE_FEATURES,
    AuthorTypeVote,
    Linear,
    ProfileModel,
    stance_inputs,
)
from oped_extract.settings import PROFILES

SEED = 13  # article order for the folds; one fixed seed so training and its figures repeat exactly
OUTER_FOLDS = 5
INNER_FOLDS = 3
C_GRID = (0.03, 0.1, 0.3, 1.0)  # inverse L2 strength of every logistic model
MIN_VOTES = (0.5, 0.7, 1.0, 1.4, 1.6, 2.0)  # candidate minimum cue votes for a specific author type
THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)  # candidate P(stance) cut-offs
DECIMALS = 6  # weights as written: enough for the decisions, stable across platforms


@dataclass
class TrainingRow:
    """One gold sentence with the evidence the component computed for it."""

    article: str
    slice: str
    index: int
    is_stance: bool
    stance_type: str | None
    gold_holder: str | None
    features: dict[str, float]
    holder: str | None  # the holder the component resolved (for attribution)


def corpus_rows(articles: Sequence[GoldArticle], profile: str, model: str | None = None) -> list[TrainingRow]:
    """Run the pipeline (without the stance decision) on every article and keep each gold sentence's evidence."""
    from oped_extract.nlp.pipeline import load_pipeline
    from oped_extract.nlp.stance_features import StanceFeatures

    nlp = load_pipeline(model, profile, with_stance=False)
    features = StanceFeatures(nlp, load_stance_cues())
    rows = []
    for article, doc in zip(articles, nlp.pipe(a.body for a in articles), strict=True):
        evidence = features(doc)
        by_sent = {(ev.sent.start, ev.sent.end): ev for ev in evidence}
        sents = [ev.sent for ev in evidence]
        for g in article.sentences:
            sent = match_sentence(sents, g.start, g.end)
            ev = by_sent[(sent.start, sent.end)] if sent is not None else None
            rows.append(TrainingRow(
                article.file, article.slice, g.index, g.is_stance, g.stance_type if g.is_stance else None,
                g.holder if g.stance_type == "attribution" else None, dict(ev.features) if ev else {},
                ev.holder[0] if ev is not None and ev.holder else None))
    return rows


# -- fitting ------------------------------------------------------------------------------------------------------
def fit_profile(rows: Sequence[TrainingRow]) -> dict:
    """The three models of one profile, each with its hyper-parameter chosen by grouped cross-validation."""
    groups = [r.article for r in rows]
    x_stance = [stance_inputs(r.features) for r in rows]
    y_stance = [r.is_stance for r in rows]
    c, threshold = _choose_binary(x_stance, y_stance, groups, STANCE_FEATURES)
    stance = _fit(x_stance, y_stance, STANCE_FEATURES, c)
    stance_rows = [r for r in rows if r.is_stance]
    x_attr = [r.features for r in stance_rows]
    y_attr = [r.stance_type == "attribution" for r in stance_rows]
    attr_c = _choose_accuracy(x_attr, y_attr, [r.article for r in stance_rows], ATTRIBUTION_FEATURES)
    author_rows = [r for r in stance_rows if r.stance_type != "attribution"]
    min_vote = _choose_min_vote([r.features for r in author_rows], [r.stance_type for r in author_rows])
    return {"stance": stance, "threshold": threshold,
            "attribution": _fit(x_attr, y_attr, ATTRIBUTION_FEATURES, attr_c),
            "author_type": {"rule": "largest cue vote of a specific type, if at least min_vote; else evaluation",
                            "min_vote": min_vote},
            "chosen": {"stance_C": c, "threshold": threshold, "attribution_C": attr_c, "min_vote": min_vote},
            "n_sentences": len(rows), "n_articles": len(set(groups))}


def _choose_min_vote(x: Sequence[dict], y: Sequence[str]) -> float:
    """The minimum vote with the best balanced accuracy over the author types (ties: the smaller vote).
    Balanced, because plain accuracy on a corpus where four in five author sentences are evaluations rewards
    never naming the rarer types (a multinomial model fitted on accuracy did just that: see docs/stance.md)."""
    best = (-1.0, MIN_VOTES[0])
    for vote in MIN_VOTES:
        rule = AuthorTypeVote(vote)
        recalls = [sum(rule.choose(xi) == t for xi, yi in zip(x, y, strict=True) if yi == t) / y.count(t)
                   for t in sorted(set(y))]
        score = sum(recalls) / len(recalls)
        if score > best[0] + 1e-12:
            best = (score, vote)
    return best[1]


def _sklearn():
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:  # pragma: no cover - the dev environment has it
        raise ConfigError("training needs scikit-learn (a development dependency): make .venv/.installed-dev, "
                          "or pip install scikit-learn") from None
    return LogisticRegression


def _fit(x: Sequence[dict], y: Sequence, names: Sequence[str], c: float) -> dict:
    """A logistic model on standardised features, as the JSON the component reads."""
    import numpy as np

    matrix = np.array([[row.get(n, 0.0) for n in names] for row in x], dtype=float)
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    with _one_thread():
        model = _sklearn()(C=c, max_iter=5000).fit((matrix - mean) / scale, list(y))
    out = {"features": list(names), "mean": _round(mean), "scale": _round(scale), "C": c}
    if len(model.classes_) > 2:
        out |= {"classes": [str(k) for k in model.classes_], "coef": [_round(r) for r in model.coef_],
                "intercept": _round(model.intercept_)}
    else:
        out |= {"coef": _round(model.coef_[0]), "intercept": round(float(model.intercept_[0]), DECIMALS)}
    return out


def _one_thread():
    """BLAS threads only cost time on models this small (and the machine is shared)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _round(values) -> list[float]:
    return [round(float(v), DECIMALS) + 0.0 for v in values]


def _inner_folds(groups: Sequence[str], k: int = INNER_FOLDS) -> list[int]:
    articles = sorted(set(groups))
    random.Random(SEED).shuffle(articles)
    fold = {a: i % k for i, a in enumerate(articles)}
    return [fold[g] for g in groups]


def _out_of_fold(x, y, groups, names, c, predict: Callable[[Linear, dict], object]) -> list:
    folds = _inner_folds(groups)
    out: list = [None] * len(y)
    for k in sorted(set(folds)):
        train = [i for i, f in enumerate(folds) if f != k]
        if len({y[i] for i in train}) < 2:  # a fold with one class cannot be fitted: skip its scores
            continue
        model = Linear.from_json(_fit([x[i] for i in train], [y[i] for i in train], names, c))
        for i, f in enumerate(folds):
            if f == k:
                out[i] = predict(model, x[i])
    return out


def _choose_binary(x, y, groups, names) -> tuple[float, float]:
    """(C, threshold) with the best macro-F1 of out-of-fold probabilities (ties: the smaller C, threshold)."""
    from oped_extract.evaluation.metrics import binary_scores

    best = (-1.0, C_GRID[0], 0.5)
    for c in C_GRID:
        p = _out_of_fold(x, y, groups, names, c, lambda m, row: m.probability(row))
        scored = [(pi, yi) for pi, yi in zip(p, y, strict=True) if pi is not None]
        for t in THRESHOLDS:
            f1 = binary_scores([yi for _, yi in scored], [pi >= t for pi, _ in scored])["macro_f1"]
            if f1 > best[0] + 1e-12:
                best = (f1, c, t)
    return best[1], best[2]


def _choose_accuracy(x, y, groups, names) -> float:
    """C with the best out-of-fold accuracy (ties: the smaller C)."""
    def predict(model: Linear, row: dict):
        return model.choose(row) if model.classes else model.probability(row) >= 0.5

    best = (-1.0, C_GRID[0])
    for c in C_GRID:
        p = _out_of_fold(x, y, groups, names, c, predict)
        scored = [(pi, yi) for pi, yi in zip(p, y, strict=True) if pi is not None]
        accuracy = sum(pi == yi for pi, yi in scored) / max(len(scored), 1)
        if accuracy > best[0] + 1e-12:
            best = (accuracy, c)
    return best[1]


def profile_model(spec: dict) -> ProfileModel:
    return ProfileModel(Linear.from_json(spec["stance"]), float(spec["threshold"]),
                        Linear.from_json(spec["attribution"]), AuthorTypeVote(spec["author_type"]["min_vote"]))


# -- the weights file ---------------------------------------------------------------------------------------------
def train(gold: str | Path, model: str | None = None) -> dict:
    """Fit both profiles on a corpus; returns the weights file's content (see `write_model`)."""
    path = Path(gold)
    corpus = path / "devset.jsonl" if path.is_dir() and (path / "devset.jsonl").is_file() else path
    articles = _corpus(path)
    cues = load_stance_cues()
    profiles = {}
    for profile in PROFILES:
        spec = fit_profile(corpus_rows(articles, profile, model))
        profiles[profile] = {k: spec[k] for k in ("threshold", "stance", "attribution", "author_type")}
    content = {
        "format": MODEL_FORMAT,
        "about": "Learned stance decision of oped_stance: logistic models on standardised, named features "
                 "(src/oped_extract/nlp/stance_model.py). Refit with `make train`; the corpus does not ship.",
        "corpus": {"file": corpus.name, "sha256": _sha256(corpus) if corpus.is_file() else None,
                   "articles": len(articles), "sentences": sum(len(a.sentences) for a in articles)},
        "cues_sha256": cues.sha256,
        "training": {"folds": f"{INNER_FOLDS} grouped by article (seed {SEED})", "C_grid": list(C_GRID),
                     "thresholds": list(THRESHOLDS), "selection": "stance: macro-F1; types: accuracy",
                     "solver": "scikit-learn LogisticRegression (lbfgs, L2)"},
        "profiles": profiles,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()[:12]
    return {"version": f"{MODEL_FORMAT}-{digest}", **content}


def write_model(content: dict, out: str | Path) -> Path:
    """Deterministic bytes: same corpus and code, same file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def _corpus(path: Path) -> list[GoldArticle]:
    if not path.exists():
        raise ConfigError(f"no such corpus: {path} (give the devset folder or its devset.jsonl)")
    articles = load_gold(path)
    if not articles or not any(a.sentences for a in articles):
        raise ConfigError(f"{path} holds no annotated sentences to train on")
    return articles


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- honest figures -----------------------------------------------------------------------------------------------
def outer_folds(rows: Sequence[TrainingRow], k: int = OUTER_FOLDS, seed: int = SEED) -> list[int]:
    """Folds grouped by article and balanced across slices: each slice's articles dealt round-robin."""
    by_slice: dict[str, list[str]] = {}
    for r in rows:
        by_slice.setdefault(r.slice, [])
        if r.article not in by_slice[r.slice]:
            by_slice[r.slice].append(r.article)
    fold = {}
    for name in sorted(by_slice):
        articles = sorted(by_slice[name])
        random.Random(seed).shuffle(articles)
        fold |= {a: i % k for i, a in enumerate(articles)}
    return [fold[r.article] for r in rows]


def cross_validate(rows: Sequence[TrainingRow], k: int = OUTER_FOLDS, seed: int = SEED) -> tuple[list[dict], list[int]]:
    """Every sentence scored by a model fitted (and tuned) without its article: records as `stance_metrics`
    reads them, and each record's fold."""
    folds = outer_folds(rows, k, seed)
    records: list[dict] = [{}] * len(rows)
    for fold in range(k):
        train_rows = [r for r, f in zip(rows, folds, strict=True) if f != fold]
        model = profile_model(fit_profile(train_rows))
        for i, (r, f) in enumerate(zip(rows, folds, strict=True)):
            if f == fold:
                records[i] = evaluate_row(r, model)
    return records, folds


def evaluate_row(r: TrainingRow, model: ProfileModel) -> dict:
    is_stance, score, stance_type = classify(r.features, model)
    return {"file": r.article, "slice": r.slice, "gold_stance": r.is_stance, "gold_type": r.stance_type,
            "gold_holder": r.gold_holder, "is_stance": is_stance, "score": score, "stance_type": stance_type,
            "holder": r.holder if stance_type == "attribution" else ("author" if is_stance else None)}


CV_MEASURES = ("macro_f1", "non_stance_recall", "type_accuracy", "holder_accuracy", "brier")


def cv_table(records: Sequence[dict], folds: Sequence[int]) -> dict:
    """Per slice and overall: the pooled out-of-fold figures, and their mean and spread over the folds."""
    slices = sorted({r["slice"] for r in records}) + ["all"]
    table = {}
    for name in slices:
        members = [i for i, r in enumerate(records) if name == "all" or r["slice"] == name]
        pooled = _measures(stance_metrics([records[i] for i in members]))
        per_fold = [_measures(stance_metrics([records[i] for i in members if folds[i] == f]))
                    for f in sorted(set(folds))]
        table[name] = {"n": len(members), "pooled": pooled,
                       "mean": {m: statistics.fmean(p[m] for p in per_fold) for m in CV_MEASURES},
                       "sd": {m: statistics.pstdev(p[m] for p in per_fold) for m in CV_MEASURES}}
    return table


def repeated_cv(rows: Sequence[TrainingRow], repeats: int, k: int = OUTER_FOLDS) -> dict:
    """`cross_validate` over `repeats` fold assignments (seeds SEED, SEED + 1, …): on a corpus of a few hundred
    sentences one assignment moves the figures by about ±0.01. Per slice and overall, each pooled measure's mean,
    spread and values."""
    values: dict[str, dict[str, list[float]]] = {}
    for seed in range(SEED, SEED + repeats):
        records, folds = cross_validate(rows, k, seed)
        for name, row in cv_table(records, folds).items():
            for m in CV_MEASURES:
                values.setdefault(name, {}).setdefault(m, []).append(row["pooled"][m])
    return {name: {m: {"mean": statistics.fmean(v), "sd": statistics.pstdev(v), "values": v}
                   for m, v in measures.items()} for name, measures in values.items()}


def format_repeated(profile: str, table: dict, repeats: int) -> str:
    lines = [f"{profile}: the same over {repeats} fold assignments (seeds {SEED}–{SEED + repeats - 1}; pooled, "
             "mean ± sd)", f"  {'slice':<25}" + "".join(f"{m:>20}" for m in CV_MEASURES)]
    for name, row in table.items():
        lines.append(f"  {name:<25}" + "".join(f"{row[m]['mean']:>13.3f} ±{row[m]['sd']:.3f}" for m in CV_MEASURES))
    return "\n".join(lines)


def _measures(m: dict) -> dict:
    return {"macro_f1": m["macro_f1"], "non_stance_recall": m["neg"]["recall"], "type_accuracy": m["type_accuracy"],
            "holder_accuracy": m["holder_accuracy"], "brier": m["brier"]}


def format_cv_table(profile: str, table: dict) -> str:
    head = f"{profile}: 5-fold cross-validation grouped by article (pooled; fold mean ± sd)"
    lines = [head, f"  {'slice':<20}{'n':>5}" + "".join(f"{m:>26}" for m in CV_MEASURES)]
    for name, row in table.items():
        cells = "".join(f"{row['pooled'][m]:>12.3f} ({row['mean'][m]:.3f}±{row['sd'][m]:.2f})" for m in CV_MEASURES)
        lines.append(f"  {name:<20}{row['n']:>5}{cells}")
    return "\n".join(lines)


# -- ablation -----------------------------------------------------------------------------------------------------
def _inputs_without(drop: Sequence[str]) -> Callable[[dict], dict]:
    def inputs(features: dict) -> dict:
        return {k: v for k, v in stance_inputs(features).items() if not any(k.startswith(d) for d in drop)}
    return inputs


def _gated(features: dict) -> dict:
    """The sentence's evidence counted only where nothing is reported (the gate of earlier versions)."""
    out = stance_inputs(features)
    gate = 1.0 - out["reported"]
    return out | {f"sent:{n}": gate * features.get(n, 0.0) for n in SENTENCE_FEATURES}


def _all_features(features: dict) -> dict:
    return dict(features)


def _with_interaction(features: dict) -> dict:
    """The sentence's cues weighed by the kind of article: one product input more."""
    out = stance_inputs(features)
    return out | {"sent:cue_weight*art:cue_mean": out["sent:cue_weight"] * out["art:cue_mean"]}


def _per_category(features: dict) -> dict:
    """Each cue category's count in place of their prior-weighted sum: ~25 inputs instead of one."""
    out = {k: v for k, v in stance_inputs(features).items() if k != "sent:cue_weight"}
    return out | {f"sent:{k}": v for k, v in features.items() if k.startswith("cue:")}


def _narration_summed(features: dict) -> dict:
    """Past tense, calendar expressions and numbers as one summed input (two parameters fewer)."""
    out = stance_inputs(features)
    narration = out.pop("sent:root_past") + out.pop("sent:time_expr") + out.pop("sent:numbers") / 2
    return out | {"sent:narration": narration}


def _with_flags(features: dict) -> dict:
    """Modal verbs, a question and first-person words as inputs of their own (they also count as cues)."""
    names = ("question", "first_person", "modal_will", "modal_would", "modal_can", "modal_may", "modal_should",
             "modal_must")
    return stance_inputs(features) | {f"sent:{n}": features.get(n, 0.0) for n in names}


ABLATION_INPUTS: dict[str, Callable[[dict], dict]] = {
    "shipped: reported speech + sentence cues + narration + article": stance_inputs,
    "without reported-speech inputs": _inputs_without(("reported",)),
    "without the article feature (and its no-cue product)": _inputs_without(("art:",)),
    "without the no-cue x article product": _inputs_without((NO_CUE_IN_ARTICLE,)),
    "without the opener (But/Yet/However…, Sadly/Perhaps…)": _inputs_without(("sent:opener",)),
    "without narration features": _inputs_without(
        ("sent:no_cue", "sent:root_past", "sent:time_expr", "sent:numbers", "sent:copula_present")),
    "with the gate (the sentence's evidence only where nothing is reported)": _gated,
    "every named feature (70)": _all_features,
    "with a cues x article interaction": _with_interaction,
    "per-category cue counts instead of their weighted sum": _per_category,
    "narration as one summed input": _narration_summed,
    "with modal, question and first-person flags": _with_flags,
}


def _family(name: str, setting):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.svm import LinearSVC

    if name == "logistic regression":
        return _sklearn()(C=setting, max_iter=5000)
    if name == "gradient boosting":
        return HistGradientBoostingClassifier(max_depth=setting[0], learning_rate=setting[1], max_iter=150,
                                              random_state=0)
    return CalibratedClassifierCV(LinearSVC(C=setting, max_iter=20000), cv=3)


FAMILY_GRID = {"logistic regression": C_GRID, "gradient boosting": ((2, 0.05), (3, 0.05), (2, 0.1)),
               "linear SVM (calibrated)": (0.01, 0.03, 0.1, 0.3)}


def _stance_cv(rows: Sequence[TrainingRow], inputs: Callable[[dict], dict], family: str) -> list[bool]:
    """Out-of-fold stance decisions of one variant: the family's setting and the threshold chosen inside."""
    import numpy as np

    x = [inputs(r.features) for r in rows]
    names = sorted({k for row in x for k in row})
    matrix = np.array([[row.get(n, 0.0) for n in names] for row in x])
    y = np.array([r.is_stance for r in rows])

    def fit(idx, setting):
        mean, scale = matrix[idx].mean(axis=0), matrix[idx].std(axis=0)
        scale[scale == 0] = 1.0
        with _one_thread():
            model = _family(family, setting).fit((matrix[idx] - mean) / scale, y[idx])
        return lambda rows_idx: model.predict_proba((matrix[rows_idx] - mean) / scale)[:, 1]

    return _nested_binary(rows, FAMILY_GRID[family], fit)


def _nested_binary(rows: Sequence[TrainingRow], grid: Sequence, fit: Callable) -> list[bool]:
    """Nested cross-validation of a P(stance) model: `fit(train indices, setting)` gives a function from row
    indices to probabilities; the setting and the threshold are chosen on inner folds of each outer training
    fold, then the outer fold's sentences are decided by a model fitted on the whole training fold."""
    import numpy as np

    from oped_extract.evaluation.metrics import binary_scores

    y = np.array([r.is_stance for r in rows])
    folds = outer_folds(rows)
    pred = [False] * len(rows)
    for k in range(OUTER_FOLDS):
        train_idx = [i for i, f in enumerate(folds) if f != k]
        inner = _inner_folds([rows[i].article for i in train_idx])
        best = (-1.0, None, 0.5)
        for setting in grid:
            p = np.zeros(len(train_idx))
            for j in range(INNER_FOLDS):
                fit_idx = [i for i, f in zip(train_idx, inner, strict=True) if f != j]
                held = [n for n, f in enumerate(inner) if f == j]
                p[held] = fit(fit_idx, setting)([train_idx[n] for n in held])
            for t in THRESHOLDS:
                score = binary_scores(list(y[train_idx]), list(p >= t))["macro_f1"]
                if score > best[0] + 1e-12:
                    best = (score, setting, t)
        test_idx = [i for i, f in enumerate(folds) if f == k]
        for i, p_i in zip(test_idx, fit(train_idx, best[1])(test_idx), strict=True):
            pred[i] = bool(p_i >= best[2])
    return pred


TEXTCAT_EPOCHS = 12
TEXTCAT_MODELS = {
    "bag of words": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 2,
                     "no_output_layer": False},
    "ensemble": None,  # the factory's default: a CNN over hashed word features beside the bag of words
}


def _textcat(rows: Sequence[TrainingRow], articles: Sequence[GoldArticle], architecture: str) -> list[bool]:
    """spaCy's own `textcat` (STANCE vs OTHER, exclusive) on the sentence text, trained from scratch in each fold
    for TEXTCAT_EPOCHS epochs; dropout chosen, with the threshold, inside the folds."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    texts = {(a.file, s.index): s.text for a in articles for s in a.sentences}
    docs = [texts[(r.article, r.index)] for r in rows]
    config = {} if TEXTCAT_MODELS[architecture] is None else {"model": TEXTCAT_MODELS[architecture]}

    def fit(idx, dropout):
        fix_random_seed(0)
        nlp = spacy.blank("en")
        nlp.add_pipe("textcat", config=config)
        examples = [Example.from_dict(nlp.make_doc(docs[i]), {"cats": {"STANCE": float(rows[i].is_stance),
                                                                       "OTHER": float(not rows[i].is_stance)}})
                    for i in idx]
        with _one_thread():
            optimizer = nlp.initialize(lambda: examples)
            for epoch in range(TEXTCAT_EPOCHS):
                random.Random(epoch).shuffle(examples)
                for batch in minibatch(examples, size=16):
                    nlp.update(batch, sgd=optimizer, drop=dropout)
        return lambda rows_idx: [doc.cats["STANCE"] for doc in nlp.pipe(docs[i] for i in rows_idx)]

    return _nested_binary(rows, (0.1, 0.3), fit)


def ablation(rows: Sequence[TrainingRow], articles: Sequence[GoldArticle]) -> dict[str, dict]:
    """Stance macro-F1 and non-stance recall (out of fold, per slice and overall) of each variant: the shipped
    inputs without one group at a time, other model families on the same inputs, a bag of words, baselines."""
    from oped_extract.evaluation.metrics import binary_scores
    from oped_extract.evaluation.stance import vader_classifier

    gold = [r.is_stance for r in rows]
    variants: dict[str, list[bool]] = {}
    for label, inputs in ABLATION_INPUTS.items():
        variants[f"logistic regression: {label}"] = _stance_cv(rows, inputs, "logistic regression")
    for family in ("gradient boosting", "linear SVM (calibrated)"):
        variants[f"{family}: shipped inputs"] = _stance_cv(rows, stance_inputs, family)
        variants[f"{family}: every named feature"] = _stance_cv(rows, _all_features, family)
    variants["bag of words (tf-idf) + logistic regression"] = _bag_of_words(rows, articles)
    for architecture in TEXTCAT_MODELS:
        variants[f"spaCy textcat ({architecture}) on the sentence text"] = _textcat(rows, articles, architecture)
    vader = vader_classifier()
    texts = {(a.file, s.index): s.text for a in articles for s in a.sentences}
    variants["VADER |compound| >= 0.05"] = [vader(texts[(r.article, r.index)]) for r in rows]
    variants["every sentence is stance"] = [True] * len(rows)
    slices = sorted({r.slice for r in rows})
    table = {}
    for label, pred in variants.items():
        row = {}
        for name in slices + ["all"]:
            idx = [i for i, r in enumerate(rows) if name == "all" or r.slice == name]
            m = binary_scores([gold[i] for i in idx], [pred[i] for i in idx])
            row[name] = {"macro_f1": m["macro_f1"], "non_stance_recall": m["neg"]["recall"]}
        table[label] = row
    return table


def _bag_of_words(rows: Sequence[TrainingRow], articles: Sequence[GoldArticle]) -> list[bool]:
    """The topic-word family, for comparison: tf-idf of the sentence's words, class-balanced logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = {(a.file, s.index): s.text for a in articles for s in a.sentences}
    docs = [texts[(r.article, r.index)] for r in rows]
    y = [r.is_stance for r in rows]
    folds = outer_folds(rows)
    pred = [False] * len(rows)
    for k in range(OUTER_FOLDS):
        train_idx = [i for i, f in enumerate(folds) if f != k]
        test_idx = [i for i, f in enumerate(folds) if f == k]
        vectorizer = TfidfVectorizer(min_df=2).fit([docs[i] for i in train_idx])
        with _one_thread():
            model = _sklearn()(C=1.0, max_iter=5000, class_weight="balanced").fit(
                vectorizer.transform([docs[i] for i in train_idx]), [y[i] for i in train_idx])
        for i, p in zip(test_idx, model.predict(vectorizer.transform([docs[i] for i in test_idx])), strict=True):
            pred[i] = bool(p)
    return pred


def format_ablation(profile: str, table: dict[str, dict]) -> str:
    slices = list(next(iter(table.values())))
    lines = [f"{profile}: stance macro-F1 out of fold (non-stance recall overall)",
             f"  {'variant':<78}" + "".join(f"{s[:12]:>13}" for s in slices) + f"{'nsR':>7}"]
    for label, row in table.items():
        lines.append(f"  {label:<78}" + "".join(f"{row[s]['macro_f1']:>13.3f}" for s in slices)
                     + f"{row['all']['non_stance_recall']:>7.2f}")
    return "\n".join(lines)
