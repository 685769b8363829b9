"""Interpretable evidence for the stance decision: cue hits, reported speech, quotation state, the sentence's
narrative texture, and article-level features; one `SentenceEvidence` (named features + words) per sentence."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token

from oped_extract.nlp.holders import Antecedents, Holder, HolderResolver, NameIndex
from oped_extract.nlp.reported_speech import Report, ReportFinder, quote_state
from oped_extract.nlp.stance_lexicon import StanceCues
from oped_extract.nlp.token_table import TokenTable

FIRST_PERSON = frozenset({"i", "me", "my", "we", "us", "our", "ours", "myself", "ourselves"})
CONTRAST_OPENERS = frozenset({"but", "yet", "however", "still", "instead", "nonetheless", "nevertheless"})
# Cue categories whose adverbs, opening a sentence, are the author's comment on all of it ("Sadly, …",
# "Luckily, …", "Perhaps …"): the annotation rules make an otherwise narrative sentence evaluation by them.
ATTITUDE_CATEGORIES = ("evaluative_adverb", "hedge")
MODALS = {"modal_will": ("will", "wo", "shall", "'ll"), "modal_would": ("would", "'d"),
          "modal_can": ("can", "could", "ca"), "modal_may": ("may", "might"), "modal_should": ("should", "ought"),
          "modal_must": ("must",)}
NEGATIONS = frozenset({"not", "n't", "n’t", "never", "no", "nothing", "nor"})
CALENDAR_WORDS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                            "january", "february", "march", "april", "june", "july", "august", "september",
                            "october", "november", "december", "yesterday", "today", "tonight", "overnight", "ago",
                            "earlier", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
                            "dec"})
PERIOD_WORDS = frozenset({"week", "month", "year", "day", "weekend", "morning", "evening", "night", "hours"})
PERIOD_DETERMINERS = frozenset({"last", "this", "next", "past", "previous", "same", "that", "a", "the"})
DEGREE_WORDS = frozenset({"very", "so", "too", "more", "most", "less", "least", "even", "quite", "rather",
                          "increasingly", "deeply", "truly", "really", "utterly", "how", "as"})
NUMBER_WORDS = frozenset({"dozens", "hundreds", "thousands", "millions", "billions", "dozen", "%", "percent"})
# Order of preference between a sentence's main-clause reports (a report nested in another's content loses).
REPORT_RANK = {"according_to": 0, "tag": 0, "passive_by": 0, "subject": 0, "advocacy": 0, "relative": 1,
               "participial": 1, "existential": 1, "cognition": 2}


@dataclass
class CueHit:
    category: str
    start: int  # token indices in the doc
    end: int
    text: str


@dataclass
class SentenceEvidence:
    sent: Span
    features: dict[str, float]
    hits: list[CueHit]  # the author's cues (outside quotations and reported content)
    report: Report | None  # the main-clause report, if any
    ents: list[Span] = field(default_factory=list)  # the sentence's entities
    holder: Holder | None = None  # who the sentence reports, resolved in the text


class CueMatcher:
    """The cue categories of the lexicon: words and phrases through one PhraseMatcher pass per doc, single
    words by lower form or lemma (optionally by part of speech), and the built-in detectors."""

    def __init__(self, nlp: Language, cues: StanceCues):
        self.cues = cues
        self.single: dict[str, list[str]] = {}
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for name, entries in cues.words.items():
            multi = list(entries["multi"])
            for word in entries["single"]:
                if len(nlp.make_doc(word)) > 1:  # words the tokenizer splits ("cannot", "so-called")
                    multi.append(word)
                else:
                    self.single.setdefault(word, []).append(name)
            if multi:
                self.matcher.add(name, list(nlp.tokenizer.pipe(multi)))
        self.detectors = [c for c in cues.categories.values() if c.detector]
        self.sentiment = {c.name: vader_words(c.min_valence) for c in self.detectors
                          if c.detector == "sentiment_lexicon"}

    def doc_hits(self, doc: Doc) -> list[CueHit]:
        strings = doc.vocab.strings
        hits = [CueHit(strings[m], s, e, doc[s:e].text) for m, s, e in self.matcher(doc)]
        spans = {(h.start, h.end) for h in hits}
        # A phrase inside a longer phrase ("can" in "no state can") is not counted twice.
        return [h for h in hits if not any(s <= h.start and h.end <= e and (s, e) != (h.start, h.end)
                                           for s, e in spans)]

    def sentence_hits(self, sent: Span, doc_hits: list[CueHit], quoted: set[int], t: TokenTable,
                      parsed: bool = True) -> list[CueHit]:
        span = range(sent.start, sent.end)
        hits = [h for h in doc_hits if sent.start <= h.start and h.end <= sent.end]
        claimed = {i for h in hits for i in range(h.start, h.end)}
        categories = self.cues.categories
        for i in span:
            if i in claimed or t.punct[i] or t.space[i]:
                continue
            for name in self.single.get(t.lower[i]) or self.single.get(t.lemma_lower[i]) or ():
                pos = categories[name].pos
                # Without the statistical tagger (fast) an adjective that is also a noun or a participle often
                # comes out as one ("the radical project", "even worse", "compelling evidence"): for the listed
                # adjectives (not VADER's, which holds nouns such as "security") its position decides.
                if pos is None or t.pos[i] in pos or "ADJ" in pos and not parsed and _adjectival(sent.doc[i]):
                    hits.append(CueHit(name, i, i + 1, t.text[i]))
                    claimed.add(i)
        for category in self.detectors:
            if category.detector == "sentiment_lexicon":
                lexicon = self.sentiment[category.name]
                hits.extend(CueHit(category.name, i, i + 1, t.text[i]) for i in span
                            if i not in claimed and (category.pos is None or t.pos[i] in category.pos)
                            and (t.lower[i] in lexicon or t.lemma_lower[i] in lexicon))
            else:
                hits.extend(detect(category.detector, category.name, sent, t, quoted))
        # Quoted words are the speaker's, not the author's; a 1–3-word quotation is a scare quote. A word that
        # qualifies a figure ("at least 40", "more than a week", "a staggering 80%") tells the figure, an open
        # question ("it was not immediately clear whether…", "to see if…") is narrated, not posed, and so is what
        # it asks; "should be …ing" tells an expectation, not advice.
        unclear = _unclear_from(sent, t) if hits else sent.end
        return [h for h in hits if h.category == "scare_quote"
                or h.start not in quoted and not _qualifies_figure(h, t) and not _open_question(h, t)
                and not _expectation(h, t) and h.start < unclear]


FIGURE_ARTICLES = frozenset({"a", "an", "one"})


def _qualifies_figure(hit: CueHit, t: TokenTable) -> bool:
    """Whether a cue's words stand right before a number ("at least ten", "more than 400", "more than a week")."""
    i = hit.end
    if i < t.n and t.lower[i] in FIGURE_ARTICLES and i + 1 < t.n and t.lower[i + 1] in PERIOD_WORDS:
        return True
    return i < t.n and (t.like_num[i] or t.lower[i] in NUMBER_WORDS or t.text[i][:1] in "$£€")


def _expectation(hit: CueHit, t: TokenTable) -> bool:
    """The non-deontic "should" of a progressive: "Osman should be preparing for a new life" (narration)."""
    i = hit.start
    return t.lower[i] == "should" and hit.end == i + 1 and i + 2 < t.n and t.lower[i + 1] == "be" \
        and t.tag[i + 2] == "VBG"


INTERROGATIVES = frozenset({"if", "whether", "who", "what", "when", "where", "why", "how"})
NARRATED_UNCLEAR = frozenset({"was", "were", "immediately"})  # "it was not clear", "it is not immediately clear"
# Words after which "if"/"whether" opens an indirect question, not a condition.
KNOWING = frozenset({"clear", "unclear", "known", "unknown", "know", "see", "ask", "asked", "wonder", "sure",
                     "certain", "decide", "determine", "tell", "say"})


def _unclear_from(sent: Span, t: TokenTable) -> int:
    """Where the question of a narrated "it was not (immediately) clear whether/if/who…" begins: what follows is
    what nobody knew yet, so its modals ("would need to rely on") are not the author's. (The author's own "it is
    not clear whether…" keeps them.) The sentence's end if there is none."""
    for j in range(sent.start, sent.end - 1):
        before = range(max(sent.start, j - 4), j)
        if _clear_question(t, j) and any(t.lower[k] in NEGATIONS for k in before) \
                and any(t.lower[k] in NARRATED_UNCLEAR for k in before):
            return j + 1
    return sent.end


def _clear_question(t: TokenTable, j: int) -> bool:
    """Token j is the "clear" of "clear whether/if/who…"."""
    return t.lower[j] == "clear" and j + 1 < t.n and t.lower[j + 1] in INTERROGATIVES


def _open_question(hit: CueHit, t: TokenTable) -> bool:
    """The "if"/"whether" of an indirect question, or the "clear" of "not (immediately) clear whether/who…"."""
    i = hit.start
    if t.lower[i] in ("if", "whether") and hit.end == i + 1:
        return i > 0 and (t.lower[i - 1] in KNOWING or t.lemma_lower[i - 1] in KNOWING)
    for j in range(i, min(i + 4, t.n - 1)):  # the "clear" itself, or the "not" of "not immediately clear"
        if _clear_question(t, j):
            return any(t.lower[k] in NEGATIONS for k in range(max(0, j - 3), j + 1))
    return False


class StanceFeatures:
    """Evidence for every sentence of a doc, with the article's aggregates and resolved holders."""

    def __init__(self, nlp: Language, cues: StanceCues):
        self.cues = cues
        self.matcher = CueMatcher(nlp, cues)
        self.finder = ReportFinder(cues.reports)
        self.holders = HolderResolver(cues.reports)
        self.attitude = frozenset(w for name in ATTITUDE_CATEGORIES if name in cues.words
                                  for w in cues.words[name]["single"])

    def __call__(self, doc: Doc) -> list[SentenceEvidence]:
        parsed = doc.has_annotation("DEP")
        table = TokenTable(doc)
        quotes = quote_state(doc, table)
        doc_hits = self.matcher.doc_hits(doc)
        sents = list(doc.sents)
        all_ents = list(doc.ents)
        out = []
        for k, sent in enumerate(sents):
            quoted = quotes.tokens(sent)
            reports = self.finder(sent, quotes, parsed)
            main = [r for r in reports if r.main and r.kind != "embedded" and not r.negated]
            report = _main_report(main)
            hits = self.matcher.sentence_hits(sent, doc_hits, quoted, table, parsed)
            if report is not None:  # the reported content and the reporting verb are not the author's cues
                hits = [h for h in hits if h.start not in report.content
                        and not report.verb.start <= h.start < report.verb.end]
            f = self._cue_features(hits)
            for r in reports:
                f[f"rs:{r.kind}"] = 1.0
            if main:
                f["rs:main"] = 1.0
            if any(r.negated for r in reports):
                f["rs:negated"] = 1.0
            if report is not None:
                f[f"holder:{self.holders.kind(report.holder)}"] = 1.0
            share = quotes.share(sent)
            f["quote_share"] = share
            if share > 0.5 and not self._restrictive_quotation(sent, quoted, table):
                f["rs:quote"] = 1.0
            if quotes.starts_inside(sent):
                f["rs:continuation"] = 1.0
            f.update(_sentence_features(sent, k, len(sents), quoted, table, parsed, self.attitude))
            ents = [e for e in all_ents if sent.start <= e.start < sent.end]
            out.append(SentenceEvidence(sent, f, hits, report, ents))
        _context(out)
        _article(out)
        self._resolve_holders(out, doc)
        return out

    def _restrictive_quotation(self, sent: Span, quoted: set[int], t: TokenTable) -> bool:
        """The quotation is what a restrictive clause reports ("…the UNSC report that revealed "…""): the
        sentence is labelled by its main clause, which quotes no one."""
        first = min((i for i in quoted if i >= sent.start), default=None)
        if first is None or first - 3 < sent.start:
            return False
        verb = first - 1 if not t.punct[first - 1] else first - 2  # "that said:" / "which warned,"
        return bool(self.finder.reporting_lemma(t, verb, sent.doc)) and t.lower[verb - 1] in ("that", "which", "who") \
            and verb - 2 >= sent.start and t.text[verb - 2] != ","

    def _cue_features(self, hits: list[CueHit]) -> dict[str, float]:
        counts: dict[str, int] = {}
        for h in hits:
            counts[h.category] = counts.get(h.category, 0) + 1
        f: dict[str, float] = {}
        weight = 0.0
        for name, count in counts.items():
            category = self.cues.categories[name]
            f[f"cue:{name}"] = float(min(count, category.cap))
            weight += category.weight * min(count, category.cap)
        f["cue_weight"] = weight
        f["no_cue"] = float(not hits)  # no cue at all reads differently from one weak cue
        for name, count in counts.items():  # each author type's vote: the prior weight of its cues
            category = self.cues.categories[name]
            if category.stance_type and category.stance_type != "evaluation":
                key = f"vote:{category.stance_type}"
                f[key] = f.get(key, 0.0) + category.weight * min(count, category.cap)
        return f

    def _resolve_holders(self, out: list[SentenceEvidence], doc: Doc) -> None:
        """A report's holder in the text's own words; a quotation's speaker from a tag later in the same
        quotation run, else the latest party (the speaker introduced just before)."""
        names = NameIndex.of(doc, self.cues.reports.title_words)
        parties = Antecedents()
        parsed = doc.has_annotation("DEP")
        for k, ev in enumerate(out):
            pronoun = ev.report.holder.text.lower() if ev.report is not None and ev.report.holder is not None \
                and len(ev.report.holder) == 1 else None
            if ev.report is not None:
                ev.holder = self.holders.resolve(ev.report.holder, names, parties.latest(pronoun))
            elif ev.features.get("rs:quote") or ev.features.get("rs:continuation"):
                speaker = None
                for later in out[k + 1: k + 5]:
                    if not later.features.get("rs:continuation"):
                        break
                    if later.report is not None:
                        speaker = self.holders.resolve(later.report.holder, names, parties.latest())
                        break
                ev.holder = speaker or parties.latest()
            if ev.holder is not None and (ev.report is None or self.holders.kind(ev.report.holder) != "author"):
                person = self.holders.is_person(ev.report.holder, names) if ev.report is not None else True
                parties.add(ev.holder, person)
            elif ev.report is None:
                # A named subject in narration is what a later "it" or "he" may refer to.
                subject = _subject_entity(ev.sent, ev.ents, parsed)
                if subject is not None:
                    parties.add(names.fullest(subject, self.cues.reports.title_words), subject.label_ == "PERSON")


def _main_report(reports: list[Report]) -> Report | None:
    reports = [r for r in reports if not any(o is not r and r.verb.start in o.content for o in reports)] or reports
    reports = [r for r in reports if r.kind in REPORT_RANK]
    return min(reports, key=lambda r: (REPORT_RANK[r.kind], r.verb.start)) if reports else None


def _sentence_features(sent: Span, k: int, n: int, quoted: set[int], t: TokenTable,
                       parsed: bool, attitude: frozenset[str]) -> dict[str, float]:
    span = range(sent.start, sent.end)
    words = [i for i in span if not (t.punct[i] or t.space[i])]
    outside = [i for i in words if i not in quoted]
    lower = t.lower
    root = _main_verb(sent, t, parsed)
    f = {
        "len_log": math.log1p(len(words)),
        "first_sentence": float(k == 0),
        "position": k / max(n - 1, 1),
        "question": float(any(t.text[i] == "?" and i not in quoted for i in span)),
        "first_person": float(any(lower[i] in FIRST_PERSON for i in outside)),
        # The author's turn: "But/Yet/However…" or an attitude adverb ("Sadly, …", "Perhaps …").
        "opener": float(bool(words) and (lower[words[0]] in CONTRAST_OPENERS
                                         or lower[words[0]] in attitude and t.pos[words[0]] == "ADV")),
        "time_expr": float(min(_time_expressions(outside, t), 2)),
        "numbers": float(min(sum(t.like_num[i] or lower[i] in NUMBER_WORDS for i in outside), 3)),
        "root_past": float(root is not None and root.tag_ in ("VBD", "VBN")),
        "root_present": float(root is not None and root.tag_ in ("VBZ", "VBP")),
        "copula_present": float(root is not None and root.lemma_ in ("be", "remain", "seem", "become")
                                and root.tag_ in ("VBZ", "VBP")),
    }
    modals = {lower[i] for i in outside if t.tag[i] == "MD"}
    for name, forms in MODALS.items():
        f[name] = float(not modals.isdisjoint(forms))
    return f


def _adjectival(tok: Token) -> bool:
    """A token the lexical tagger called a noun or a participle in an adjective's place: before a noun ("the
    radical project", "compelling evidence"), or after a degree word or a copula ("even worse", "is shocking")."""
    if tok.pos_ not in ("NOUN", "VERB") or tok.ent_type_ or tok.pos_ == "VERB" and tok.tag_ != "VBG":
        return False
    doc = tok.doc
    nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    if nxt is not None and nxt.text == "-" and tok.i + 2 < len(doc):
        nxt = doc[tok.i + 2]  # "Clear-sighted", "Anti-white"
    prev = doc[tok.i - 1] if tok.i > 0 else None
    before_noun = nxt is not None and nxt.pos_ in ("NOUN", "ADJ", "PROPN") and tok.pos_ == "NOUN" \
        and tok.tag_ != "NNS" or nxt is not None and nxt.pos_ == "NOUN" and tok.tag_ == "VBG"
    after_degree = prev is not None and (prev.lower_ in DEGREE_WORDS or prev.lemma_ in ("be", "seem", "remain",
                                                                                         "become", "look", "sound"))
    return before_noun or after_degree and (nxt is None or nxt.is_punct or nxt.pos_ in ("ADP", "CCONJ", "PART"))


def _context(out: list[SentenceEvidence]) -> None:
    for k, ev in enumerate(out):
        prev = out[k - 1] if k else None
        if prev is not None and (prev.report is not None or prev.features.get("rs:quote")):
            ev.features["rs:prev_reported"] = 1.0
        nxt = out[k + 1] if k + 1 < len(out) else None
        if ev.features.get("rs:quote") and nxt is not None and nxt.report is not None \
                and nxt.features.get("rs:continuation"):
            ev.features["rs:quote_tag_next"] = 1.0


def _article(out: list[SentenceEvidence]) -> None:
    """What kind of text the sentence sits in: an argued piece has cue-dense sentences, a news report has
    reported speech in most of them. A lone sentence is its own article."""
    n = len(out)
    if not n:
        return
    aggregates = {
        "art:cue_mean": sum(ev.features.get("cue_weight", 0.0) for ev in out) / n,
        "art:reported_share": sum(bool(ev.features.get("rs:main") or ev.features.get("rs:quote"))
                                  for ev in out) / n,
    }
    for ev in out:
        ev.features.update(aggregates)


def _main_verb(sent: Span, t: TokenTable, parsed: bool) -> Token | None:
    """The finite verb of the main clause: the root's auxiliary or the root (parse), else the first finite verb."""
    if parsed:
        root = sent.root
        aux = [c for c in root.children if c.dep_ in ("aux", "auxpass") and c.tag_ in ("VBD", "VBZ", "VBP", "MD")]
        return aux[0] if aux else root
    first = next((i for i in range(sent.start, sent.end) if t.tag[i] in ("VBD", "VBZ", "VBP", "MD")), None)
    return None if first is None else sent.doc[first]


def _time_expressions(idx: list[int], t: TokenTable) -> int:
    """Calendar words, years and "last week"-style phrases (among the tokens `idx`): the texture of narrated
    events."""
    n = 0
    lower = t.lower
    for k, i in enumerate(idx):
        low = lower[i]
        calendar = low in CALENDAR_WORDS or t.shape[i] == "dddd" and low[:2] in ("19", "20")
        period = low in PERIOD_WORDS and k > 0 and lower[idx[k - 1]] in PERIOD_DETERMINERS
        n += calendar or period
    return n


def _subject_entity(sent: Span, sent_ents: list[Span], parsed: bool) -> Span | None:
    ents = [e for e in sent_ents if e.label_ in ("PERSON", "ORG", "GPE", "NORP")]
    if not ents:
        return None
    if parsed:
        return next((e for e in ents if any(t.dep_ in ("nsubj", "nsubjpass") for t in e)), None)
    return ents[0] if ents[0].start - sent.start <= 3 else None


def vader_words(min_valence: float) -> frozenset[str]:
    """Words of VADER's general-purpose sentiment lexicon (MIT licence, a dependency) at least this polar."""
    from vaderSentiment import vaderSentiment

    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].isalpha() and abs(float(parts[1])) >= min_valence:
            words.add(parts[0].lower())
    return frozenset(words)


def _bare_question(words: list[int], t: TokenTable) -> bool:
    """A transition question of at most three words and no verb ("What next?", "The catch?") poses no claim."""
    content = [i for i in words if not t.punct[i]]
    return len(content) <= 3 and not any(t.pos[i] in ("VERB", "AUX") for i in content)


def detect(detector: str, name: str, sent: Span, t: TokenTable, quoted: set[int]) -> list[CueHit]:
    """The built-in detectors: question, exclamation, scare quote, superlative, negated evaluation ("is not
    a …"), copular characterisation ("remains elusive")."""
    words = [i for i in range(sent.start, sent.end) if not t.space[i]]
    if not words:
        return []
    text, lower, tag, pos = t.text, t.lower, t.tag, t.pos
    if detector in ("question", "exclamation"):
        mark = "?" if detector == "question" else "!"
        if detector == "question" and _bare_question(words, t):
            return []
        return [CueHit(name, i, i + 1, text[i]) for i in words if text[i] == mark and i not in quoted][:1]
    if detector == "scare_quote":
        hits = []
        for start, end in _quote_runs(sent, quoted):
            inner = [i for i in range(start, end) if not (t.quote[i] or t.punct[i])]
            before = text[start - 1] if start > sent.start else None
            # One to three quoted words not introduced by speech: the author distancing from a term.
            if 1 <= len(inner) <= 3 and (before is None or before not in (":", ",")):
                hits.append(CueHit(name, start, end, sent.doc[start:end].text))
        return hits
    if detector == "superlative":
        return [CueHit(name, i, i + 1, text[i]) for i in words
                if tag[i] in ("JJS", "RBS") and not (lower[i] in ("most", "least") and tag[i] == "JJS")]
    if detector == "negated_evaluation":
        for i in words:
            if lower[i] in NEGATIONS:
                nxt = [n for n in range(i + 1, min(i + 4, sent.end)) if not t.punct[n]]
                if nxt and (lower[nxt[0]] in ("a", "an", "only", "just", "merely", "simply", "enough", "so")
                            or any(pos[n] == "ADJ" for n in nxt)):
                    return [CueHit(name, i, i + 1, text[i])]
        return []
    if detector == "characterisation":
        for i in words:
            if t.lemma[i] in ("be", "remain", "become", "seem") and tag[i] in ("VBZ", "VBP"):
                nxt = [n for n in range(i + 1, min(i + 3, sent.end)) if lower[n] not in NEGATIONS]
                if nxt and (pos[nxt[0]] == "ADJ" or lower[nxt[0]] in ("a", "an", "the")
                            and len(nxt) > 1 and pos[nxt[1]] == "ADJ"):
                    return [CueHit(name, i, i + 1, text[i])]
        return []
    return []


def _quote_runs(sent: Span, quoted: set[int]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i in range(sent.start, sent.end + 1):
        if i in quoted and start is None:
            start = i
        elif i not in quoted and start is not None:
            runs.append((start, i))
            start = None
    return runs

