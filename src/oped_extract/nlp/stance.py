"""Stance-bearing sentences: the `oped_stance` component. Evidence per sentence (stance_features), a learned
decision (stance_model: a calibrated P(stance), attribution or the author's type), holders linked to entities."""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from oped_extract.nlp import extensions  # noqa: F401
from oped_extract.nlp.sentences import trim_whitespace
from oped_extract.nlp.stance_features import SentenceEvidence, StanceFeatures
from oped_extract.nlp.stance_lexicon import STANCE_TYPES, StanceCues, load_stance_cues
from oped_extract.nlp.stance_model import ProfileModel, StanceModel, load_stance_model, stance_inputs

__all__ = ["STANCE_TYPES", "Stance", "StanceTagger", "load_stance_cues", "load_stance_model"]
ATTRIBUTION_MIN = 0.5  # P(attribution | stance) at or above it makes a stance sentence a reported position


@dataclass
class Stance:
    is_stance: bool
    score: float  # P(stance), calibrated on the corpus
    stance_type: str | None = None
    cues: list[str] = field(default_factory=list)  # the words behind the decision, reporting words first
    holder: str | None = None  # "author", the reported party, or None for non-stance
    holder_entity_id: str | None = None
    target_entity_ids: list[str] = field(default_factory=list)


@Language.factory(
    "oped_stance",
    default_config={"cues_path": None, "model_path": None},
    assigns=["span._.stance"],
    requires=["doc.sents", "token.pos", "token.lemma", "doc.ents"],
)
def make_stance(nlp: Language, name: str, cues_path: str | None, model_path: str | None) -> StanceTagger:
    tagger = StanceTagger(nlp, load_stance_cues(cues_path), load_stance_model(model_path))
    nlp.meta["oped_stance"] = tagger.describe()
    return tagger


class StanceTagger:
    """Sets `sent._.stance` on every sentence; `model_version` names the fitted weights behind the decisions."""

    def __init__(self, nlp: Language, cues: StanceCues, model: StanceModel):
        self.cues = cues
        self.model = model
        self.features = StanceFeatures(nlp, cues)
        self.model_version = model.version

    def describe(self) -> dict:
        return {"model_version": self.model.version, "corpus_sha256": self.model.corpus_sha256,
                "cues_sha256": self.cues.sha256, "cues_match_model": self.cues.sha256 == self.model.cues_sha256}

    def __call__(self, doc: Doc) -> Doc:
        model = self.model.for_doc(doc.has_annotation("DEP"))
        for ev in self.features(doc):
            stance = decide(ev, model)
            ev.sent._.stance = stance
            trimmed = trim_whitespace(ev.sent)
            if (trimmed.start, trimmed.end) != (ev.sent.start, ev.sent.end):
                trimmed._.stance = stance  # rows keyed on the trimmed offsets see the same result
        return doc


def classify(features: dict[str, float], model: ProfileModel) -> tuple[bool, float, str | None]:
    """(is stance, P(stance), type) from a sentence's features."""
    score = model.stance.probability(stance_inputs(features))
    if score < model.threshold:
        return False, score, None
    if model.attribution.probability(features) >= ATTRIBUTION_MIN:
        return True, score, "attribution"
    return True, score, model.author_type.choose(features)


def decide(ev: SentenceEvidence, model: ProfileModel) -> Stance:
    """The learned decision for one sentence's evidence, with the words behind it and its entities."""
    is_stance, score, stance_type = classify(ev.features, model)
    targets = _target_ids(ev)
    if stance_type == "attribution":  # a quotation with no speaker found in the text keeps holder None
        holder, entity_id = ev.holder or (None, None)
        return Stance(True, round(score, 4), stance_type, _reporting_words(ev) + _words(ev.hits), holder,
                      entity_id, [t for t in targets if t != entity_id])
    return Stance(is_stance, round(score, 4), stance_type, _words(ev.hits), "author" if is_stance else None, None,
                  targets)


def _words(hits) -> list[str]:
    return list(dict.fromkeys(h.text for h in sorted(hits, key=lambda h: h.start)))


def _reporting_words(ev: SentenceEvidence) -> list[str]:
    if ev.report is not None:
        return [ev.report.verb.text]
    quote = next((t.text for t in ev.sent if t.is_quote), None)
    return [quote] if quote else []


def _target_ids(ev: SentenceEvidence) -> list[str]:
    """The sentence's entities, in order, without duplicates and without the reported party's words."""
    holder_span: Span | None = ev.report.holder if ev.report is not None else None
    ids = []
    for ent in ev.ents:
        if holder_span is not None and ent.start < holder_span.end and holder_span.start < ent.end:
            continue
        if ent._.entity_id and ent._.entity_id not in ids:
            ids.append(ent._.entity_id)
    return ids
