"""The learned stance decision (data/stance_model.json), applied as dot products (no scikit-learn at run time).
Per profile: P(stance) and P(attribution | stance), logistic models over named features; the author's own type
(evaluation unless a prediction, recommendation, obligation or concession cue votes strongly enough, with the
minimum vote chosen on the corpus)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from oped_extract.errors import ConfigError

MODEL_FORMAT = 1
# A sentence reports a party: a main-clause report with a party for holder, or a quotation.
REPORT_FLAGS = ("rs:main", "rs:quote", "rs:continuation")
WEAK_HOLDERS = ("holder:author", "holder:other", "holder:vehicle")
# The sentence's own evidence (its cues and narrative texture) and the article-level feature of the stance model.
SENTENCE_FEATURES = ("cue_weight", "no_cue", "root_past", "time_expr", "numbers", "copula_present", "opener")
ARTICLE_FEATURES = ("art:cue_mean",)
# A sentence that reports no one and has no cue reads differently in an argued piece than in a news report.
NO_CUE_IN_ARTICLE = "art:cue_mean*unreported_no_cue"
STANCE_FEATURES = ("reported", "reported_party", "reported_cognition") + tuple(
    f"sent:{n}" for n in SENTENCE_FEATURES) + ARTICLE_FEATURES + (NO_CUE_IN_ARTICLE,)
ATTRIBUTION_FEATURES = (
    "rs:main", "rs:quote", "rs:continuation", "rs:prev_reported", "rs:quote_tag_next", "holder:named", "holder:party",
    "holder:pronoun", "holder:other", "holder:author", "holder:vehicle", "rs:cognition", "rs:tag", "rs:according_to",
    "rs:passive_by", "rs:relative", "rs:participial", "rs:embedded", "rs:negated", "cue_weight", "quote_share",
    "art:reported_share", "first_person")
# Ties between author types go to the more specific, action-oriented reading.
TYPE_PRIORITY = ("recommendation", "obligation", "prediction", "concession")


def stance_inputs(features: dict[str, float]) -> dict[str, float]:
    """The stance model's inputs from a sentence's features: reported speech, the sentence's own evidence and the
    article's. The sentence's cues count in reported sentences too: counting them only where nothing is reported
    (a gate) cost 0.7–0.8 points of macro-F1 over ten fold assignments (docs/stance.md)."""
    reported = 1.0 if any(features.get(k) for k in REPORT_FLAGS) else 0.0
    party = reported * float(not any(features.get(k) for k in WEAK_HOLDERS))
    out = {"reported": reported, "reported_party": party,
           "reported_cognition": reported * features.get("rs:cognition", 0.0)}
    for name in SENTENCE_FEATURES:
        out[f"sent:{name}"] = features.get(name, 0.0)
    for name in ARTICLE_FEATURES:
        out[name] = features.get(name, 0.0)
    out[NO_CUE_IN_ARTICLE] = out["art:cue_mean"] * (1.0 - reported) * features.get("no_cue", 0.0)
    return out


@dataclass(frozen=True)
class Linear:
    """One logistic model on standardised features: z = intercept + Σ coef · (x − mean) / scale."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]  # one row per class (one row: the positive class of a binary model)
    intercept: tuple[float, ...]
    classes: tuple[str, ...] = ()  # names of the rows of a multinomial model

    def scores(self, x: dict[str, float]) -> list[float]:
        z = [(x.get(n, 0.0) - m) / s for n, m, s in zip(self.features, self.mean, self.scale, strict=True)]
        return [b + sum(w * v for w, v in zip(row, z, strict=True)) for row, b in zip(self.coef, self.intercept,
                                                                                        strict=True)]

    def probability(self, x: dict[str, float]) -> float:
        return _logistic(self.scores(x)[0])

    def choose(self, x: dict[str, float]) -> str:
        scores = self.scores(x)
        return self.classes[max(range(len(scores)), key=scores.__getitem__)]

    @classmethod
    def from_json(cls, raw: dict) -> Linear:
        coef = raw["coef"]
        rows = tuple(tuple(map(float, r)) for r in coef) if coef and isinstance(coef[0], list) \
            else (tuple(map(float, coef)),)
        intercept = raw["intercept"]
        intercepts = tuple(map(float, intercept)) if isinstance(intercept, list) else (float(intercept),)
        return cls(tuple(raw["features"]), tuple(map(float, raw["mean"])), tuple(map(float, raw["scale"])), rows,
                   intercepts, tuple(raw.get("classes", ())))


@dataclass(frozen=True)
class AuthorTypeVote:
    """The author's type: the specific type with the largest cue vote (`vote:<type>` features), if that vote
    reaches `min_vote`; else evaluation."""

    min_vote: float

    def choose(self, x: dict[str, float]) -> str:
        votes = {t: x.get(f"vote:{t}", 0.0) for t in TYPE_PRIORITY}
        best = max(votes.values())
        if best < self.min_vote or best <= 0.0:
            return "evaluation"
        return next(t for t in TYPE_PRIORITY if votes[t] == best)


@dataclass(frozen=True)
class ProfileModel:
    stance: Linear
    threshold: float  # P(stance) at or above it is stance (chosen by grouped cross-validation)
    attribution: Linear
    author_type: AuthorTypeVote


@dataclass(frozen=True)
class StanceModel:
    version: str  # "<format>-<12 hex of the fitted content>", recorded by rows that use the model
    profiles: dict[str, ProfileModel]  # "default" (parsed docs), "fast" (unparsed docs)
    corpus_sha256: str
    cues_sha256: str

    def for_doc(self, parsed: bool) -> ProfileModel:
        return self.profiles["default" if parsed else "fast"]


def default_model_path() -> Path:
    return Path(str(resources.files("oped_extract") / "data" / "stance_model.json"))


def load_stance_model(path: str | Path | None = None) -> StanceModel:
    """Read fitted weights (the packaged file when `path` is None); a bad file fails fast with ConfigError."""
    file = Path(path) if path else default_model_path()
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"stance model file not found: {file} (run `make train`, or set oped_stance's "
                          "model_path to a file `oped-extract train` wrote)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"stance model file {file} is not valid UTF-8 JSON: {exc}") from exc
    try:
        if raw["format"] != MODEL_FORMAT:
            raise ConfigError(f"stance model file {file} has format {raw['format']!r}; this version reads "
                              f"format {MODEL_FORMAT} (retrain with `oped-extract train`)")
        profiles = {}
        for name in ("default", "fast"):
            spec = raw["profiles"][name]
            profiles[name] = ProfileModel(Linear.from_json(spec["stance"]), float(spec["threshold"]),
                                          Linear.from_json(spec["attribution"]),
                                          AuthorTypeVote(float(spec["author_type"]["min_vote"])))
        return StanceModel(str(raw["version"]), profiles, str(raw["corpus"]["sha256"]), str(raw["cues_sha256"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"stance model file {file} is malformed ({exc!r}); retrain it with "
                          "`oped-extract train`") from exc


def _logistic(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
