"""Stance-bearing sentences: the `oped_stance` component (cue lexicons, attribution holders, a calibrated score)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from oped_extract.errors import ConfigError
from oped_extract.nlp import extensions  # noqa: F401
from oped_extract.nlp.sentences import trim_whitespace

STANCE_TYPES = ("evaluation", "obligation", "recommendation", "prediction", "concession", "attribution")
# Ties between author stance types go to the more specific, action-oriented reading.
TYPE_PRIORITY = ("recommendation", "obligation", "prediction", "concession", "evaluation")
DETECTORS = ("question", "exclamation", "scare_quote", "superlative", "negated_evaluation", "characterisation",
             "factual_detail", "sentiment_lexicon")
AUTHOR_PRONOUNS = frozenset({"i", "we", "you"})
# "This does not imply…", "It says…": a demonstrative or expletive subject is not a party holding a position.
NON_HOLDERS = frozenset({"this", "that", "these", "those", "it", "which", "what", "there", "who", "one"})
# A type other than evaluation needs at least this much weight to name the sentence (one clear cue).
SPECIFIC_TYPE_MIN = 0.7
FACT_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL"})
NEGATIONS = frozenset({"not", "n't", "never", "no", "nothing", "nor"})
OPEN_QUOTES = frozenset({"“", "‘", "«"})
CLOSE_QUOTES = frozenset({"”", "’", "»"})


@dataclass
class Stance:
    is_stance: bool
    score: float
    stance_type: str | None = None
    cues: list[str] = field(default_factory=list)
    holder: str | None = None
    holder_entity_id: str | None = None
    target_entity_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CueCategory:
    name: str
    stance_type: str | None
    weight: float
    cap: int
    pos: frozenset[str] | None = None
    detector: str | None = None
    min_valence: float = 0.0


@dataclass
class StanceCues:
    """The lexicons and weights of stance_cues.json: what the component knows, kept out of code."""

    bias: float
    attribution_weight: float
    attribution_override: float
    categories: dict[str, CueCategory]
    words: dict[str, dict[str, list[str]]]  # category -> {"single": [...], "multi": [...]}
    reporting_verbs: frozenset[str]
    position_verbs: frozenset[str]
    attribution_phrases: list[str]
    context: dict[str, float]


def default_cues_path() -> Path:
    return Path(str(resources.files("oped_extract") / "data" / "stance_cues.json"))


def load_stance_cues(path: str | Path | None = None) -> StanceCues:
    """Read a cue lexicon file (the packaged one when `path` is None); a bad file fails fast with ConfigError."""
    file = Path(path) if path else default_cues_path()
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"stance cue file not found: {file} (set oped_stance's cues_path to an existing JSON file)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"stance cue file {file} is not valid UTF-8 JSON: {exc}") from exc
    try:
        categories, words = {}, {}
        for name, spec in raw["categories"].items():
            detector = spec.get("detector")
            if detector is not None and detector not in DETECTORS:
                raise ConfigError(f"stance cue file {file}: category {name!r} names unknown detector {detector!r}; "
                                  f"known: {', '.join(DETECTORS)}")
            stance_type = spec.get("type")
            if stance_type is not None and stance_type not in STANCE_TYPES:
                raise ConfigError(f"stance cue file {file}: category {name!r} has unknown type {stance_type!r}")
            categories[name] = CueCategory(name, stance_type, float(spec["weight"]), int(spec.get("cap", 1)),
                                           frozenset(spec["pos"]) if spec.get("pos") else None, detector,
                                           float(spec.get("min_valence", 0.0)))
            entries = [w.lower() for w in spec.get("words", [])]
            words[name] = {"single": [w for w in entries if " " not in w], "multi": [w for w in entries if " " in w]}
        return StanceCues(
            bias=float(raw["bias"]),
            attribution_weight=float(raw.get("attribution_weight", 2.5)),
            attribution_override=float(raw.get("attribution_override", 1.6)),
            categories=categories,
            words=words,
            reporting_verbs=frozenset(raw.get("reporting_verbs", [])),
            position_verbs=frozenset(raw.get("position_verbs", [])),
            attribution_phrases=list(raw.get("attribution_phrases", [])),
            context={"min_sentences": 6, "low": 0.4, "high": 0.55, "bonus": 0.0, **raw.get("context", {})},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"stance cue file {file} is malformed ({exc!r}); compare it with {default_cues_path()}") \
            from exc


@Language.factory(
    "oped_stance",
    default_config={"cues_path": None, "threshold": 0.5},
    assigns=["span._.stance"],
    requires=["doc.sents", "token.pos", "token.lemma", "doc.ents"],
)
def make_stance(nlp: Language, name: str, cues_path: str | None, threshold: float) -> StanceTagger:
    return StanceTagger(nlp, load_stance_cues(cues_path), threshold)


@dataclass
class _Hit:
    category: str
    start: int  # token indices in the doc
    end: int
    text: str


class StanceTagger:
    """Scores every sentence from cue hits; attribution sentences get the reporting party as holder."""

    def __init__(self, nlp: Language, cues: StanceCues, threshold: float = 0.5):
        self.cues = cues
        self.threshold = threshold
        self.single: dict[str, list[str]] = {}
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for name, entries in cues.words.items():
            multi = list(entries["multi"])
            for word in entries["single"]:
                # Words the tokenizer splits ("cannot", "can't", "so-called") are matched as phrases.
                if len(nlp.make_doc(word)) > 1:
                    multi.append(word)
                else:
                    self.single.setdefault(word, []).append(name)
            if multi:
                self.matcher.add(name, list(nlp.tokenizer.pipe(multi)))
        self.matcher.add("_attribution", list(nlp.tokenizer.pipe(cues.attribution_phrases)))
        self.detectors = [c for c in cues.categories.values() if c.detector]
        self.sentiment = {c.name: _vader_words(c.min_valence) for c in self.detectors
                          if c.detector == "sentiment_lexicon"}

    def __call__(self, doc: Doc) -> Doc:
        phrase_hits = self._phrase_hits(doc)
        parsed = doc.has_annotation("DEP")
        sents = list(doc.sents)
        all_ents = list(doc.ents)
        ents = [[e for e in all_ents if sent.start <= e.start < sent.end] for sent in sents]
        evidence = [self._evidence(sent, phrase_hits, parsed, e) for sent, e in zip(sents, ents, strict=False)]
        bonus = self._context_bonus([self.cues.bias + self._weight(hits) for hits, _ in evidence])
        for sent, sent_ents, (hits, reported) in zip(sents, ents, evidence, strict=False):
            stance = self._decide(hits, reported, bonus, sent_ents, doc)
            sent._.stance = stance
            trimmed = trim_whitespace(sent)
            if (trimmed.start, trimmed.end) != (sent.start, sent.end):
                trimmed._.stance = stance  # rows keyed on the trimmed offsets see the same result
        return doc

    def _context_bonus(self, logits: list[float]) -> float:
        """Argumentative context: in a longer text whose sentences mostly take positions, a sentence with a
        weaker cue is read as stance too. Rises smoothly with the mean sentence score between `low` and
        `high`; a lone sentence (a headline, a benchmark item) gets none."""
        ctx = self.cues.context
        if not logits or len(logits) < ctx["min_sentences"]:
            return 0.0
        mean = sum(_logistic(x) for x in logits) / len(logits)
        ramp = (mean - ctx["low"]) / max(ctx["high"] - ctx["low"], 1e-9)
        return float(ctx["bonus"]) * min(max(ramp, 0.0), 1.0)

    def _phrase_hits(self, doc: Doc) -> list[_Hit]:
        vocab = doc.vocab.strings
        hits = [_Hit(vocab[m], s, e, doc[s:e].text) for m, s, e in self.matcher(doc)]
        # A phrase inside a longer phrase ("can" in "no state can") is not counted twice.
        spans = {(h.start, h.end) for h in hits}
        return [h for h in hits if not any(s <= h.start and h.end <= e and (s, e) != (h.start, h.end)
                                           for s, e in spans)]

    def _evidence(self, sent: Span, phrase_hits: list[_Hit], parsed: bool, ents: list[Span]):
        """The author's cue hits in a sentence, and the attribution (verb, holder, reported tokens) if any."""
        toks = list(sent)
        quoted = _quoted_tokens(sent, toks)
        hits = [h for h in phrase_hits if sent.start <= h.start and h.end <= sent.end]
        claimed = {i for h in hits for i in range(h.start, h.end)}
        for tok in toks:
            if tok.i in claimed or tok.is_punct or tok.is_space:
                continue
            names = self.single.get(tok.lower_) or self.single.get(tok.lemma_.lower())
            for name in names or ():
                pos = self.cues.categories[name].pos
                if pos is None or tok.pos_ in pos:
                    hits.append(_Hit(name, tok.i, tok.i + 1, tok.text))
                    claimed.add(tok.i)
        for category in self.detectors:
            if category.detector == "sentiment_lexicon":
                lexicon = self.sentiment[category.name]
                hits.extend(_Hit(category.name, t.i, t.i + 1, t.text) for t in toks
                            if t.i not in claimed and (category.pos is None or t.pos_ in category.pos)
                            and (t.lower_ in lexicon or t.lemma_.lower() in lexicon))
            else:
                hits.extend(_detect(category.detector, category.name, sent, toks, quoted, ents))
        attribution = [h for h in hits if h.category == "_attribution"]
        hits = [h for h in hits if h.category != "_attribution" and (h.category == "scare_quote"
                                                                      or h.start not in quoted)]
        reported = _find_attribution(sent, toks, self.cues, quoted, parsed, attribution)
        if reported is not None:
            verb, _, inside = reported
            hits = [h for h in hits if h.start not in inside and not verb.start <= h.start < verb.end]
        return hits, reported

    def _decide(self, hits: list[_Hit], reported, bonus: float, ents: list[Span], doc: Doc) -> Stance:
        weight = self._weight(hits)
        if reported is not None and weight < self.cues.attribution_override:
            verb, holder_span, _ = reported
            score = _logistic(self.cues.bias + self.cues.attribution_weight + max(weight, 0.0))
            return Stance(True, round(score, 4), "attribution", [verb.text] + _cue_words(hits),
                          _holder_text(holder_span), _entity_id_of(holder_span, ents),
                          _target_ids(ents, holder_span))
        positive = [h for h in hits if self.cues.categories[h.category].weight > 0]
        score = _logistic(self.cues.bias + weight + (bonus if positive else 0.0))
        is_stance = score >= self.threshold
        return Stance(
            is_stance=is_stance,
            score=round(score, 4),
            stance_type=self._stance_type(positive, doc) if is_stance else None,
            cues=_cue_words(positive),
            holder="author" if is_stance else None,
            target_entity_ids=_target_ids(ents, None),
        )

    def _weight(self, hits: list[_Hit]) -> float:
        counts: dict[str, int] = {}
        for h in hits:
            counts[h.category] = counts.get(h.category, 0) + 1
        categories = self.cues.categories
        return sum(categories[n].weight * min(c, categories[n].cap) for n, c in counts.items())

    def _stance_type(self, hits: list[_Hit], doc: Doc) -> str:
        by_type: dict[str, float] = {}
        seen: dict[str, int] = {}
        for h in hits:
            cat = self.cues.categories[h.category]
            seen[h.category] = seen.get(h.category, 0) + 1
            if cat.stance_type and seen[h.category] <= cat.cap:
                by_type[cat.stance_type] = by_type.get(cat.stance_type, 0.0) + cat.weight
            if cat.stance_type == "concession" and h.start > 0 and doc[h.start - 1].text == ",":
                by_type["concession"] = by_type.get("concession", 0.0) + SPECIFIC_TYPE_MIN  # "X, but Y"
        # Evaluation is the default reading; a clear modal, predictive or concessive cue is more specific.
        specific = {t: w for t, w in by_type.items() if t != "evaluation" and w >= SPECIFIC_TYPE_MIN}
        if not specific:
            return "evaluation"
        best = max(specific.values())
        return next(t for t in TYPE_PRIORITY if specific.get(t) == best)


def _vader_words(min_valence: float) -> frozenset[str]:
    """Words of VADER's general-purpose sentiment lexicon (MIT licence, a dependency) at least this polar."""
    from vaderSentiment import vaderSentiment

    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].isalpha() and abs(float(parts[1])) >= min_valence:
            words.add(parts[0].lower())
    return frozenset(words)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _cue_words(hits: list[_Hit]) -> list[str]:
    return list(dict.fromkeys(h.text for h in sorted(hits, key=lambda h: h.start)))


def _quoted_tokens(sent: Span, toks: list[Token]) -> set[int]:
    """Token indices inside quotation marks: quoted words are someone else's, not the author's stance."""
    inside: set[int] = set()
    open_at: int | None = None
    for tok in toks:
        text = tok.text
        if text == '"' or text in OPEN_QUOTES and open_at is None or text in CLOSE_QUOTES and open_at is not None:
            if open_at is None:
                open_at = tok.i
            else:
                inside.update(range(open_at, tok.i + 1))
                open_at = None
    if open_at is not None and sent.end - open_at > 1:
        inside.update(range(open_at, sent.end))  # a quotation running on into the next sentence
    for tok in toks:
        # A closing mark right after end punctuation with no opener: the sentence closes a running quotation.
        if tok.text in CLOSE_QUOTES | {"'", '"'} and tok.i > sent.start and tok.i not in inside \
                and tok.doc[tok.i - 1].text in (".", ",", "!", "?") and tok.doc[tok.i - 1].i not in inside:
            inside.update(range(sent.start, tok.i + 1))
    return inside


def _quote_runs(sent: Span, quoted: set[int]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i in range(sent.start, sent.end + 1):
        if i in quoted and start is None:
            start = i
        elif i not in quoted and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _detect(detector: str, name: str, sent: Span, toks: list[Token], quoted: set[int],
            ents: list[Span]) -> list[_Hit]:
    doc = sent.doc
    words = [t for t in toks if not t.is_space]
    if not words:
        return []
    if detector in ("question", "exclamation"):
        mark = "?" if detector == "question" else "!"
        return [_Hit(name, t.i, t.i + 1, t.text) for t in words if t.text == mark and t.i not in quoted][:1]
    if detector == "scare_quote":
        hits = []
        for start, end in _quote_runs(sent, quoted):
            inner = [t for t in doc[start:end] if not (t.is_quote or t.is_punct)]
            before = doc[start - 1] if start > sent.start else None
            # One to three quoted words not introduced by speech: the author distancing from a term.
            if 1 <= len(inner) <= 3 and (before is None or before.text not in (":", ",")):
                hits.append(_Hit(name, start, end, doc[start:end].text))
        return hits
    if detector == "superlative":
        return [_Hit(name, t.i, t.i + 1, t.text) for t in words
                if t.tag_ in ("JJS", "RBS") and not (t.lower_ in ("most", "least") and t.tag_ == "JJS")]
    if detector == "negated_evaluation":
        for t in words:
            if t.lower_ in NEGATIONS:
                nxt = [n for n in doc[t.i + 1: min(t.i + 4, sent.end)] if not n.is_punct]
                if nxt and (nxt[0].lower_ in ("a", "an", "only", "just", "merely", "simply", "enough", "so")
                            or any(n.pos_ == "ADJ" for n in nxt)):
                    return [_Hit(name, t.i, t.i + 1, t.text)]
        return []
    if detector == "characterisation":
        for t in words:
            if t.lemma_ in ("be", "remain", "become", "seem") and t.tag_ in ("VBZ", "VBP"):
                nxt = [n for n in doc[t.i + 1: min(t.i + 3, sent.end)] if n.lower_ not in NEGATIONS]
                if nxt and (nxt[0].pos_ == "ADJ" or nxt[0].lower_ in ("a", "an", "the")
                            and len(nxt) > 1 and nxt[1].pos_ == "ADJ"):
                    return [_Hit(name, t.i, t.i + 1, t.text)]
        return []
    if detector == "factual_detail":
        return [_Hit(name, e.start, e.end, e.text) for e in ents if e.label_ in FACT_LABELS]
    return []


def _find_attribution(sent: Span, toks: list[Token], cues: StanceCues, quoted: set[int], parsed: bool,
                      phrase_hits: list[_Hit]) -> tuple[Span, Span, set[int]] | None:
    """(reporting verb, holder span, token indices of the reported content) for a reported position."""
    for h in phrase_hits:  # "according to X"
        if h.start in quoted:
            continue
        holder = _according_to_holder(sent, h)
        if holder is not None:
            doc = sent.doc
            inside = set(range(sent.start, sent.end)) - set(range(h.start, holder.end))
            return doc[h.start:h.end], holder, inside
    for tok in toks:
        if tok.i in quoted or tok.lemma_.lower() not in cues.reporting_verbs or tok.pos_ not in ("VERB", "AUX"):
            continue
        found = _parsed_attribution(tok, cues) if parsed else _unparsed_attribution(tok, sent, cues, quoted)
        if found is not None:
            holder, inside = found
            if holder.root.lower_ in AUTHOR_PRONOUNS or holder.text.lower() in AUTHOR_PRONOUNS:
                return None  # "I think", "we argue": the author's own stance
            return sent.doc[tok.i: tok.i + 1], holder, inside
    return None


def _according_to_holder(sent: Span, hit: _Hit) -> Span | None:
    doc = sent.doc
    end = hit.end
    while end < sent.end and not (doc[end].is_punct and doc[end].text not in ("'s", "’s", "-")):
        end += 1
    return doc[hit.end:end] if end > hit.end else None


def _parsed_attribution(verb: Token, cues: StanceCues) -> tuple[Span, set[int]] | None:
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if not subjects or subjects[0].dep_ == "nsubjpass" or subjects[0].lower_ in ("it", "there"):
        return None
    complements = [c for c in verb.children if c.dep_ in ("ccomp", "xcomp")]
    # The object of "reject", "condemn" is named in the author's words: it marks the position, not its content.
    positions = [c for c in verb.children if c.dep_ in ("dobj", "prep")] \
        if verb.lemma_.lower() in cues.position_verbs else []
    if not complements and not positions:
        return None
    subject = subjects[0]
    if subject.lower_ in NON_HOLDERS:
        return None
    holder = verb.doc[subject.left_edge.i: subject.right_edge.i + 1]
    inside = {t.i for c in complements for t in c.subtree}
    return holder, inside


def _unparsed_attribution(verb: Token, sent: Span, cues: StanceCues, quoted: set[int]) \
        -> tuple[Span, set[int]] | None:
    """The same decision from tags alone (fast profile, no parse): NP + reporting verb + that/quote/clause."""
    if verb.tag_ not in ("VBD", "VBZ", "VBP", "VBN"):
        return None
    doc = sent.doc
    i = verb.i - 1
    while i >= sent.start and (doc[i].pos_ in ("AUX", "ADV", "PART") or doc[i].lower_ in ("has", "have", "had")):
        i -= 1
    if i >= sent.start and doc[i].lower_ in NON_HOLDERS:
        return None
    if i < sent.start or doc[i].pos_ not in ("NOUN", "PROPN", "PRON"):
        # '"…," said the minister.': the holder follows the verb
        if i >= sent.start and (doc[i].text in (",", "”", '"') or doc[i].i in quoted):
            j = verb.i + 1
            while j < sent.end and doc[j].pos_ in ("DET", "ADJ", "NOUN", "PROPN", "PRON"):
                j += 1
            if j > verb.i + 1:
                return doc[verb.i + 1:j], set(range(sent.start, i + 1))
        return None
    end = i + 1
    while i - 1 >= sent.start and doc[i - 1].pos_ in ("DET", "ADJ", "NOUN", "PROPN", "PART") and \
            doc[i - 1].lower_ not in ("that", "which"):
        i -= 1
    holder = doc[i:end]
    nxt = doc[verb.i + 1] if verb.i + 1 < sent.end else None
    if nxt is None or nxt.is_punct and nxt.text not in ('"', "“", ":"):
        if holder.start > sent.start and (doc[holder.start - 1].text in (",", "”", '"')
                                          or holder.start - 1 in quoted):
            return holder, set(range(sent.start, holder.start))  # '"…," the minister said.'
        return None
    ahead = doc[verb.i + 1: min(verb.i + 7, sent.end)]
    if nxt.is_quote or nxt.text == ":" or verb.lemma_.lower() in cues.position_verbs \
            or nxt.pos_ in ("PRON", "DET", "PROPN", "NOUN") or any(t.lower_ == "that" for t in ahead):
        return holder, set(range(verb.i + 1, sent.end))
    return None


def _holder_text(span: Span) -> str:
    toks = list(span)
    while toks and (toks[0].pos_ == "DET" or toks[0].is_punct):
        toks = toks[1:]
    while toks and toks[-1].is_punct:
        toks = toks[:-1]
    if not toks:
        return span.text
    return span.doc[toks[0].i: toks[-1].i + 1].text


def _entity_id_of(span: Span, ents: list[Span]) -> str | None:
    for ent in ents:
        if ent.start < span.end and span.start < ent.end and ent._.entity_id:
            return ent._.entity_id
    return None


def _target_ids(ents: list[Span], holder: Span | None) -> list[str]:
    ids = []
    for ent in ents:
        if holder is not None and ent.start < holder.end and holder.start < ent.end:
            continue
        if ent._.entity_id and ent._.entity_id not in ids:
            ids.append(ent._.entity_id)
    holder_id = _entity_id_of(holder, ents) if holder is not None else None
    return [i for i in ids if i != holder_id]
