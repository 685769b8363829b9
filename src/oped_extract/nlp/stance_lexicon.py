"""The stance cue file (data/stance_cues.json): cue categories and the reported-speech word lists, validated
strictly so a bad file fails at start-up with its key named."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from oped_extract.errors import ConfigError
from oped_extract.nlp.reported_speech import ReportLexicon

STANCE_TYPES = ("evaluation", "obligation", "recommendation", "prediction", "concession", "attribution")
DETECTORS = ("question", "exclamation", "scare_quote", "superlative", "negated_evaluation", "characterisation",
             "sentiment_lexicon")
TOP_KEYS = frozenset({"about", "version", "categories", "reported_speech"})
CATEGORY_KEYS = frozenset({"type", "weight", "cap", "pos", "words", "detector", "min_valence"})
REPORT_KEYS = {"communication_verbs": "communication", "cognition_verbs": "cognition",
               "advocacy_verbs": "advocacy", "needs_complement": "needs_complement",
               "position_nouns": "position_nouns", "report_nouns": "report_nouns", "noun_forms": "noun_forms",
               "vehicle_nouns": "vehicle_nouns", "party_nouns": "party_nouns", "title_words": "title_words"}


@dataclass(frozen=True)
class CueCategory:
    name: str
    stance_type: str | None  # the author stance type the category points to
    weight: float  # prior weight: summed into the `cue_weight` feature
    cap: int  # hits counted per sentence
    pos: frozenset[str] | None = None
    detector: str | None = None
    min_valence: float = 0.0


@dataclass
class StanceCues:
    """What the stance component knows, kept out of code."""

    categories: dict[str, CueCategory]
    words: dict[str, dict[str, list[str]]]  # category -> {"single": [...], "multi": [...]}
    reports: ReportLexicon
    sha256: str  # of the file's bytes: the learned weights name the lexicon they were fitted with


def default_cues_path() -> Path:
    return Path(str(resources.files("oped_extract") / "data" / "stance_cues.json"))


def load_stance_cues(path: str | Path | None = None) -> StanceCues:
    """Read a cue file (the packaged one when `path` is None). The `reported_speech` section may be left out
    (the packaged lists are used); any other mistake raises ConfigError naming the key."""
    file = Path(path) if path else default_cues_path()
    try:
        data = file.read_bytes()
        raw = json.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"stance cue file not found: {file} (set oped_stance's cues_path to an existing JSON file)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"stance cue file {file} is not valid UTF-8 JSON: {exc}") from exc
    where = f"stance cue file {file}"
    if not isinstance(raw, dict) or not isinstance(raw.get("categories"), dict):
        raise ConfigError(f"{where} needs a 'categories' object; compare it with {default_cues_path()}")
    _no_unknown_keys(raw, TOP_KEYS, where)
    categories, words = {}, {}
    for name, spec in raw["categories"].items():
        categories[name], words[name] = _category(name, spec, where)
    section = raw.get("reported_speech")
    if section is None and file != default_cues_path():
        section = json.loads(default_cues_path().read_text(encoding="utf-8"))["reported_speech"]
    return StanceCues(categories, words, _report_lexicon(section, where), hashlib.sha256(data).hexdigest())


def _category(name: str, spec, where: str) -> tuple[CueCategory, dict[str, list[str]]]:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: category {name!r} must be an object")
    _no_unknown_keys(spec, CATEGORY_KEYS, f"{where}: category {name!r}")
    detector = spec.get("detector")
    if detector is not None and detector not in DETECTORS:
        raise ConfigError(f"{where}: category {name!r} names unknown detector {detector!r}; "
                          f"known: {', '.join(DETECTORS)}")
    stance_type = spec.get("type")
    if stance_type is not None and stance_type not in STANCE_TYPES:
        raise ConfigError(f"{where}: category {name!r} has unknown type {stance_type!r}")
    try:
        category = CueCategory(name, stance_type, float(spec["weight"]), int(spec.get("cap", 1)),
                               frozenset(spec["pos"]) if spec.get("pos") else None, detector,
                               float(spec.get("min_valence", 0.0)))
        entries = [str(w).lower() for w in spec.get("words", [])]
    except KeyError:
        raise ConfigError(f"{where}: category {name!r} has no 'weight'") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: category {name!r} is malformed ({exc})") from exc
    return category, {"single": [w for w in entries if " " not in w], "multi": [w for w in entries if " " in w]}


def _report_lexicon(section, where: str) -> ReportLexicon:
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: 'reported_speech' must be an object of word lists")
    _no_unknown_keys(section, frozenset(REPORT_KEYS), f"{where}: reported_speech")
    missing = sorted(set(REPORT_KEYS) - set(section))
    if missing:
        raise ConfigError(f"{where}: reported_speech lacks {', '.join(missing)}")
    lists = {}
    for key, field_name in REPORT_KEYS.items():
        if not isinstance(section[key], list):
            raise ConfigError(f"{where}: reported_speech.{key} must be a list of words")
        lists[field_name] = frozenset(str(w).lower() for w in section[key])
    return ReportLexicon(**lists)


def _no_unknown_keys(obj: dict, allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; "
                          f"allowed: {', '.join(sorted(allowed))}")
