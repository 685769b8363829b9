"""Reported speech: quotation state across a text, and who a sentence reports as holding a position.

Both profiles: with a dependency parse (default) the patterns read the tree and fall back to the tag patterns
when the parse finds no main-clause report; without a parse (fast) they read tags and word order. Each finding
is a `Report`: its kind, the reporting word(s), the holder's words, whether it sits in a main (or continuative)
clause, and the token indices of the reported content. Word lists come from the cue file's `reported_speech`
section (`ReportLexicon`); the grammar (pronouns, subordinators, time words) stays here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from oped_extract.nlp.token_table import TokenTable

KINDS = ("subject", "tag", "according_to", "passive_by", "advocacy", "relative", "cognition", "participial",
         "existential", "embedded")
HOLDER_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"})
PRONOUNS = frozenset({"he", "she", "it", "they", "him", "her", "them"})
AUTHOR_PRONOUNS = frozenset({"i", "we", "you", "me", "us"})
# "This shows…", "It is said…": words that are not a party holding a position.
NON_HOLDERS = frozenset({"this", "that", "these", "those", "it", "which", "what", "there", "who", "one", "some",
                         "none", "all", "nothing", "something", "anyone", "everyone"})
SUBORDINATORS = frozenset({"after", "as", "when", "while", "because", "since", "if", "though", "although",
                           "before", "until", "unless", "whereas", "once", "whether", "that", "which", "who",
                           "where", "whom", "whose", "what", "how", "why"})
# "The blast claimed the lives of…": the objects that make "claim" no claim.
LIVES = frozenset({"life", "lives", "toll"})
OPEN_QUOTES = frozenset({"“", "‘", "«"})
CLOSE_QUOTES = frozenset({"”", "’", "»"})
NEGATIONS = frozenset({"not", "n't", "never", "n’t"})
# How far back the opening mark of a parenthetical between subject and verb may be: a longer aside only where
# it opens as an adverbial ("during…", "for its part", "speaking to…").
SHORT_ASIDE, LONG_ASIDE = 8, 14
ADVERBIAL_OPENERS = frozenset({"IN", "RB", "VBG", "TO"})
# "…, who have both called for", "they all said": a quantifier after its subject, not a determiner.
FLOATING_QUANTIFIERS = frozenset({"both", "all", "each"})
# Between a subject and its verb: "has also said", "had a day earlier said", "have long maintained".
ADVERB_WORDS = FLOATING_QUANTIFIERS | frozenset({
    "has", "have", "had", "also", "then", "further", "long", "already", "now", "repeatedly", "recently", "earlier",
    "later", "previously", "once", "again", "strongly", "publicly", "reportedly", "separately", "immediately",
    "squarely", "however", "meanwhile", "too", "not", "n't", "never", "would", "will", "could", "may", "might"})
HAVE_BE_FORMS = frozenset({"has", "have", "had", "is", "are", "was", "were"})
TIME_WORDS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
                        "february", "march", "april", "may", "june", "july", "august", "september", "october",
                        "november", "december", "week", "month", "year", "day", "days", "weeks", "months",
                        "earlier", "later", "today", "yesterday", "morning", "evening", "night", "tonight"})
TIME_FILLERS = frozenset({"on", "in", "at", "last", "this", "next", "a", "the", "that", "earlier", "later",
                          "early", "late", "same", "previous", ","})
# Verb forms that are verbs whatever the tagger says ("said" tagged as an adjective, "say" as a noun).
IRREGULAR_PAST = frozenset({"said", "told", "wrote", "written", "thought", "felt", "found", "spoke", "spoken",
                            "shown", "says", "tells", "say", "tell"})
IRREGULAR_FORMS = {"say": ("said", "says", "saying"), "tell": ("told", "tells", "telling"),
                   "write": ("wrote", "writes", "written", "writing"), "think": ("thought", "thinks", "thinking"),
                   "feel": ("felt", "feels", "feeling"), "find": ("found", "finds", "finding"),
                   "show": ("showed", "shows", "shown", "showing"), "speak": ("spoke", "speaks", "spoken", "speaking")}
NP_TAGS = frozenset({"DT", "PDT", "JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "POS", "PRP$", "CD", "HYPH",
                     "VBN", "VBG"})
NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})


@dataclass(frozen=True)
class ReportLexicon:
    """The word lists reported-speech detection reads (the cue file's `reported_speech` section)."""

    communication: frozenset[str]  # say, tell, deny, condemn …: a party's stated position
    cognition: frozenset[str]  # believe, hope, oppose …: a party's known position
    advocacy: frozenset[str]  # urge, press …: "urged X to"
    needs_complement: frozenset[str]  # call (for), point (to), express (hope) …
    position_nouns: frozenset[str]  # "expressed hope/concern"
    report_nouns: frozenset[str]  # "there have been reports of…"
    noun_forms: frozenset[str]  # forms that are also nouns ("reports", "calls"): need verb tags
    vehicle_nouns: frozenset[str]  # statement, report, poll: the medium, not the party
    party_nouns: frozenset[str]  # official, spokesman, government: a social actor
    title_words: frozenset[str]  # titles dropped from names

    @property
    def surface(self) -> dict[str, str]:
        return _inflections(self.communication | self.cognition)


@dataclass
class Report:
    kind: str  # one of KINDS
    verb: Span  # the reporting word(s): "said", "according to", "reports"
    holder: Span | None  # the party's words in this sentence
    main: bool = True  # in a main or continuative clause (False: adverbial or embedded)
    content: set[int] = field(default_factory=set)  # token indices of the reported content
    negated: bool = False  # "did not immediately respond"


@dataclass
class QuoteState:
    """Per token of a doc: inside a quotation. Quotations may run across sentences."""

    inside: list[bool]
    table: TokenTable

    def share(self, sent: Span) -> float:
        t = self.table
        words = [i for i in range(sent.start, sent.end) if not (t.punct[i] or t.space[i])]
        return sum(self.inside[i] for i in words) / len(words) if words else 0.0

    def starts_inside(self, sent: Span) -> bool:
        """The sentence continues a quotation opened in an earlier sentence."""
        t = self.table
        first = next((i for i in range(sent.start, sent.end) if not (t.space[i] or t.quote[i])), None)
        return first is not None and self.inside[first] and not t.quote[sent.start]

    def tokens(self, sent: Span) -> set[int]:
        inside = self.inside
        return {i for i in range(sent.start, sent.end) if inside[i]}


def quote_state(doc: Doc, table: TokenTable | None = None) -> QuoteState:
    """Token-level quotation state across the whole text. Curly quotes pair by direction and straight ones
    alternate; a mark glued to an alphabetic neighbour is an apostrophe ("don’t", "Taliban‘s"); a quotation
    left open at a paragraph break closes there unless the next paragraph re-opens it (news style). A text whose
    first paragraph closes a quotation it never opened is an excerpt that begins inside one."""
    t = table or TokenTable(doc)
    words, n = t.text, t.n
    inside = [False] * n
    open_at: int | None = None
    opened = False  # a quotation has opened before, or the first paragraph has ended
    for i, text in enumerate(words):
        if t.space[i] and "\n" in text:
            opened = True
            if open_at is not None and (i + 1 >= n or not (words[i + 1] in OPEN_QUOTES or words[i + 1] == '"')):
                open_at = None
            continue
        is_open = text in OPEN_QUOTES or text in ('"', "``") and open_at is None
        is_close = text in CLOSE_QUOTES or text in ('"', "''") and open_at is not None
        if open_at is not None and text in OPEN_QUOTES and i > 0 and not t.spaced[i - 1] and not t.space[i - 1]:
            is_close = True  # “…“: an opening mark glued to the word before it closes the quotation
        if text in ("‘", "’") and _is_apostrophe(t, i):
            is_open = is_close = False
            if text == "’" and open_at is not None and words[open_at] == "‘" \
                    and not (i + 1 < n and t.alpha[i + 1] and not t.spaced[i]):
                is_close = True  # ‘Taliban’: a single quotation closes on its own mark
        if not opened and open_at is None and _closes_unopened(t, i):
            # The text begins inside a quotation (an excerpt): the words before its first, closing mark are quoted.
            for k in range(i + 1):
                inside[k] = True
            opened = True
            continue
        if open_at is None and is_open:
            open_at = i
            opened = True
            inside[i] = True
        elif open_at is not None:
            inside[i] = True
            if is_close:
                open_at = None
    return QuoteState(inside, t)


def _closes_unopened(t: TokenTable, i: int) -> bool:
    """A mark that can only close a quotation: a closing double quote, or a quote mark glued to sentence
    punctuation and followed by a space or the end ('…about it.'')."""
    text = t.text[i]
    if text in ("”", "»"):
        return True
    if text not in ("’", "'", '"', "''"):
        return False
    after_punct = i > 0 and not t.spaced[i - 1] and t.text[i - 1] in (".", ",", "!", "?")
    return after_punct and (i + 1 >= t.n or t.spaced[i] or t.space[i + 1])


def _is_apostrophe(t: TokenTable, i: int) -> bool:
    glued_left = i > 0 and not t.spaced[i - 1] and t.alpha[i - 1]
    glued_right = i + 1 < t.n and not t.spaced[i] and t.alpha[i + 1]
    if glued_left and glued_right:
        return True
    # "girls’ rights", "Taliban‘s": glued to the word before, then a space or a clitic
    return glued_left and (t.spaced[i] or i + 1 < t.n and t.lower[i + 1] in ("s", "t", "re", "ll"))


def _inflections(lemmas) -> dict[str, str]:
    """Surface form -> lemma for every reporting verb: lets the fast profile's tag slips through."""
    out: dict[str, str] = {}
    for lemma in sorted(lemmas):
        forms = IRREGULAR_FORMS.get(lemma)
        if forms is None:
            stem = lemma[:-1] if lemma.endswith("e") else lemma
            consonant_y = lemma.endswith("y") and len(lemma) > 1 and lemma[-2] not in "aeiou"
            third = lemma + "es" if lemma.endswith(("s", "sh", "ch", "x")) else \
                lemma[:-1] + "ies" if consonant_y else lemma + "s"
            past = lemma[:-1] + "ied" if consonant_y else stem + "ed"
            forms = (third, past, stem + "ing")
        for form in (lemma, *forms):
            out.setdefault(form, lemma)
    return out


class ReportFinder:
    """Finds reported speech sentence by sentence; `parsed` picks the dependency or the tag patterns."""

    def __init__(self, lexicon: ReportLexicon):
        self.lex = lexicon
        self.surface = lexicon.surface
        self.verbs = lexicon.communication | lexicon.cognition

    def __call__(self, sent: Span, quotes: QuoteState, parsed: bool) -> list[Report]:
        t, doc, span = quotes.table, sent.doc, range(sent.start, sent.end)
        lowers = {t.lower[i] for i in span}
        toks = list(sent) if "according" in lowers or "there" in lowers else []
        found = self._according_to(sent, toks, quotes) if "according" in lowers else []
        if "there" in lowers:
            found += self._existential(sent, toks)
        # One pass for the candidate reporting words; the patterns only look at those.
        candidates = [(doc[i], lemma) for i in span
                      if not quotes.inside[i] and (lemma := self.reporting_lemma(t, i, doc))]
        if parsed:
            found += self._parsed(sent, candidates)
            if candidates and not any(r.main for r in found):  # a parse slip ("lauded" read as an adjective)
                found += [r for r in self._tagged(sent, candidates, quotes) if r.main]
        else:
            found += self._tagged(sent, candidates, quotes)
        for report in found:
            report.negated = _negated(report.verb[0], sent)
            if report.kind != "according_to" and _as_sourcing(report.verb[0], sent):
                report.kind, report.main = "tag", True  # "As this newspaper reported, …"
        return found

    def reporting_lemma(self, t: TokenTable, i: int, doc: Doc) -> str | None:
        """The reporting lemma of token i, or None. An unambiguous verb form counts whatever its tag; a form
        that is also a noun ("reports", "calls") only with a verb tag and not after a determiner."""
        lower, verbal = t.lower[i], t.tag[i].startswith("VB")
        lemma = self.surface.get(lower)
        if lemma is None:
            lemma = t.lemma_lower[i]
            if lemma not in self.verbs or not verbal:
                return None
        unambiguous = lower.endswith("ed") or lower in IRREGULAR_PAST
        if lower in self.lex.noun_forms and (not verbal or _after_determiner(doc[i])):
            return None
        if not unambiguous and not verbal:
            return None
        return lemma

    # -- both profiles -------------------------------------------------------------------------------------------
    def _according_to(self, sent: Span, toks: list[Token], quotes: QuoteState) -> list[Report]:
        doc = sent.doc
        out = []
        for tok in toks:
            if tok.lower_ != "according" or tok.i + 1 >= sent.end or doc[tok.i + 1].lower_ != "to" \
                    or quotes.inside[tok.i]:
                continue
            start = end = tok.i + 2
            while end < sent.end and not (doc[end].is_punct and doc[end].text not in ("-", "(", ")")) \
                    and doc[end].lower_ not in ("who", "which", "that"):
                end += 1
            if end > start:
                content = set(range(sent.start, sent.end)) - set(range(tok.i, end))
                out.append(Report("according_to", doc[tok.i:tok.i + 2], doc[start:end], True, content))
        return out

    def _existential(self, sent: Span, toks: list[Token]) -> list[Report]:
        """ "There have been reports of…": the reports are the source."""
        toks = [t for t in toks if not t.is_space]
        for k, tok in enumerate(toks[:-3]):
            if tok.lower_ == "there" and toks[k + 1].lemma_ == "be":
                for t in toks[k + 2: k + 5]:
                    if t.lemma_.lower() in self.lex.report_nouns:
                        span = sent.doc[t.i:t.i + 1]
                        return [Report("existential", span, span, True, set(range(t.i + 1, sent.end)))]
        return []

    # -- dependency patterns (default profile) -------------------------------------------------------------------
    def _parsed(self, sent: Span, candidates: list[tuple[Token, str]]) -> list[Report]:
        out = []
        for tok, lemma in candidates:
            report = self._parsed_verb(tok, lemma, sent)
            if report is not None:
                out.append(report)
        return out

    def _parsed_verb(self, verb: Token, lemma: str, sent: Span) -> Report | None:
        doc = sent.doc
        children = list(verb.children)
        main = _is_main(verb, sent)
        relative = verb.dep_ == "relcl" and _continuative(verb)
        subject = next((c for c in children if c.dep_ in ("nsubj", "nsubjpass", "csubj")), None)
        if verb.dep_ == "relcl" and subject is None:
            subject = verb.head if relative else None
        elif verb.dep_ == "relcl" and subject.lower_ in ("who", "which", "that"):
            subject = verb.head  # restrictive: kept, as an embedded report
        participial = False
        if subject is None and verb.dep_ in ("xcomp", "conj", "advcl"):
            # "was quick to condemn", "denounced … and said", "…, saying": the governing verb's subject
            gov = verb.head.head if verb.head.dep_ == "acomp" else verb.head
            if verb.dep_ == "xcomp" and gov.dep_ == "advcl" and gov.tag_ == "VBG":
                # "…, prompting the minister to say …": the object of the participle speaks
                subject = next((c for c in gov.children if c.dep_ in ("dobj", "nsubj")), None)
                participial = True
            else:
                subject = next((c for c in gov.children if c.dep_ in ("nsubj", "nsubjpass")), None)
                if verb.dep_ == "advcl":
                    participial = verb.tag_ == "VBG"
                    subject = subject if participial else None
        content = {t.i for c in children if c.dep_ in ("ccomp", "xcomp", "dobj", "prep", "attr", "dep")
                   for t in c.subtree}
        quoted = _quoted_as_saying(verb, lemma)
        if quoted is not None:  # "a report quoted X as saying…": X speaks, the report carries it
            return Report("subject", doc[verb.i:verb.i + 1], quoted, main or relative, content)
        inverted = _inverted_object(verb, sent)
        if inverted is not None:  # "…, argue their supporters; …": the object after the verb speaks
            return Report("tag", doc[verb.i:verb.i + 1], inverted, True, set(range(sent.start, verb.i)))
        agent = next((c for c in children if c.dep_ == "agent"), None)
        pobj = next((c for c in agent.children if c.dep_ == "pobj"), None) if agent is not None else None
        if pobj is not None:  # "was condemned by X", "was assured by Islamabad"
            return Report("passive_by", doc[verb.i:verb.i + 1], _subtree(pobj), main or relative, content)
        if subject is None or subject.dep_ == "nsubjpass" and verb.head is not subject:
            return None  # agentless passive: "were reported killed", "was announced"
        if _inside_quotation(subject, sent):
            return None  # '"No extension…," X told…': the parse took the quotation for the subject; tags decide
        if subject.lower_ in ("it", "there") and any(c.dep_ == "expl" for c in children) \
                or subject.lower_ in TIME_WORDS:
            return None  # "The ISPR had a day earlier said" parsed with "day" as the subject: the tags decide
        holder = _subtree(subject) if subject is not verb.head else _np_span(subject)
        name = next((c for c in subject.children if c.dep_ == "appos" and c.ent_type_ == "PERSON"), None)
        if name is not None and subject.ent_type_ != "PERSON":  # "Sharif's adviser…, Sartaj Aziz, said"
            holder = _np_span(name)
        deps = {c.dep_ for c in children}
        if lemma in self.lex.advocacy and "dobj" in deps and deps & {"xcomp", "ccomp"}:
            return Report("advocacy", doc[verb.i:verb.i + 1], holder, main or relative, content)
        if lemma in self.lex.needs_complement and not self._position_complement(verb, lemma):
            return None
        if participial:
            return Report("participial", doc[verb.i:verb.i + 1], holder, _is_main(_governor(verb), sent), content)
        kind = "cognition" if lemma in self.lex.cognition and lemma not in self.lex.communication else "subject"
        if relative:
            kind = "relative"
        elif verb.dep_ == "parataxis" or verb.dep_ == "ROOT" and subject.i > verb.i or _is_tag(verb, sent):
            kind = "tag"
        if not (main or relative):
            kind = "embedded"
        return Report(kind, doc[verb.i:verb.i + 1], holder, main or relative, content)

    def _position_complement(self, verb: Token, lemma: str) -> bool:
        """call for/on, point to/out, speak of, express hope, show/find that, ask/press X to."""
        children = list(verb.children)
        lowers = {c.lower_ for c in children}
        if lemma == "call":
            return bool(lowers & {"for", "on"})
        if lemma == "point":
            return bool(lowers & {"to", "out", "towards", "toward"})
        if lemma in ("speak", "talk"):
            return bool(lowers & {"of", "about"})
        if lemma in ("express", "voice", "convey"):
            return any(c.dep_ == "dobj" and c.lemma_.lower() in self.lex.position_nouns for c in children)
        if lemma in ("show", "find"):
            return any(c.dep_ == "ccomp" for c in children)
        if lemma in ("ask", "press"):
            return "for" in lowers or any(c.dep_ == "dobj" for c in children) \
                and any(c.dep_ in ("xcomp", "ccomp") for c in children)
        if lemma == "claim":  # "the attack claimed the lives of…" is no claim
            return not any(c.dep_ == "dobj" and c.lemma_.lower() in LIVES for c in children)
        return True

    # -- tag patterns (fast profile; default-profile fallback) --------------------------------------------------
    def _tagged(self, sent: Span, candidates: list[tuple[Token, str]], quotes: QuoteState) -> list[Report]:
        doc = sent.doc
        out = []
        for tok, lemma in candidates:
            prev = doc[tok.i - 1] if tok.i > sent.start else None
            possessive = prev is not None and prev.text in ("’", "'") and _is_apostrophe(quotes.table, prev.i)
            if prev is not None and tok.tag_ == "VBN" and prev.tag_ in ("POS", "DT", "JJ", "PRP$", "''", "HYPH") \
                    and not _floating_quantifier(prev, sent) \
                    or possessive and (tok.tag_ == "VBN" or tok.lower_.endswith("ed")):
                continue  # "the two countries’ disputed border": a participle modifying a noun
            if lemma in QUOTING_LEMMAS and any(
                    doc[j].lower_ == "as" and doc[j + 1].lower_.endswith("ing")
                    for j in range(tok.i + 1, min(tok.i + 20, sent.end - 1))):
                continue  # "X quoted Y as saying": Y's report follows
            if tok.lower_.endswith("ing"):
                quoted = _tagged_quoted_as(doc, tok, sent)
                if quoted is not None:  # "…quoted Zamir Kabulov, Russia's envoy, as saying"
                    out.append(Report("subject", doc[tok.i:tok.i + 1], quoted, True, set(range(tok.i + 1, sent.end))))
                    continue
                # only ", saying …" / ", calling …" / ", indirectly blaming …" is a participial report
                if prev is not None and prev.tag_ == "RB" and prev.i > sent.start:
                    prev = doc[prev.i - 1]
                subject = _opening_np(doc, tok, sent) if prev is not None and prev.text == "," else None
                if subject is not None:
                    out.append(Report("participial", doc[tok.i:tok.i + 1], subject,
                                      not _subordinate_before(doc, subject.start, sent),
                                      set(range(tok.i + 1, sent.end))))
                continue
            report = self._tagged_verb(tok, lemma, sent, quotes)
            if report is not None:
                out.append(report)
        return out

    def _tagged_verb(self, verb: Token, lemma: str, sent: Span, quotes: QuoteState) -> Report | None:
        doc = sent.doc
        prev = _skip_back(doc, verb.i - 1, sent.start, ("RB",))
        if verb.tag_ == "VBN" and prev >= sent.start and doc[prev].lemma_ == "be":
            nxt = verb.i + 1
            while nxt < sent.end and doc[nxt].tag_ == "RB":
                nxt += 1
            if nxt < sent.end and doc[nxt].lower_ == "by":  # "was dismissed by ISPR"
                end = _np_end(doc, nxt + 1, sent.end)
                if end > nxt + 1:
                    return Report("passive_by", doc[verb.i:verb.i + 1], doc[nxt + 1:end],
                                  not _subordinate_before(doc, verb.i, sent), set(range(sent.start, nxt)))
            return None  # agentless passive
        before = doc[verb.i - 1] if verb.i > sent.start else None
        if before is not None and before.text == "," and not quotes.inside[before.i]:
            # "X, the foreign office spokesperson, told…": the subject before an apposition comes first
            subject = self._tagged_subject(verb, lemma, sent, quotes)
            if subject is not None and subject.holder is not None and self._partyish(subject.holder):
                return subject
            opening = _appositive_subject(doc, verb, sent)
            if opening is not None:
                return Report("subject", doc[verb.i:verb.i + 1], opening, True, set(range(verb.i + 1, sent.end)))
        if before is not None and (before.text in (",", "”", '"', "’") or quotes.inside[before.i]):
            # Inverted tag: '…," said the minister' / '…, says Osman Mohammed, a teacher.'
            end = _np_end(doc, verb.i + 1, sent.end)
            rest = [t for t in doc[end:sent.end] if not (t.is_punct or t.is_space)]
            if end > verb.i + 1 and (len(rest) <= 3 or doc[end].text in (",", ";") or quotes.inside[before.i]
                                     or before.is_quote):
                return Report("tag", doc[verb.i:verb.i + 1], doc[verb.i + 1:end], True,
                              set(range(sent.start, verb.i)))
        return self._tagged_subject(verb, lemma, sent, quotes)

    def _tagged_subject(self, verb: Token, lemma: str, sent: Span, quotes: QuoteState) -> Report | None:
        doc = sent.doc
        content = set(range(verb.i + 1, sent.end))
        subj_end = _skip_back(doc, verb.i - 1, sent.start, ("RB", "MD"), ADVERB_WORDS)
        if subj_end >= sent.start and doc[subj_end].text in (",", "—", "–"):
            # "Pakistan, for its part, believes", "the head — sipping tea in a hotel — told": skip a short
            # parenthetical between commas or dashes
            mark = doc[subj_end].text
            k = subj_end - 1
            while k >= max(sent.start, subj_end - LONG_ASIDE) and doc[k].text != mark:
                k -= 1
            # "Baloch, during the weekly press briefing in Islamabad on Thursday, stated"
            fits = subj_end - k <= SHORT_ASIDE or doc[k + 1].tag_ in ADVERBIAL_OPENERS
            if k >= sent.start and doc[k].text == mark and k < subj_end - 1 and fits:
                aside = doc[k + 1:subj_end]
                if mark == "," and all(t.ent_type_ == "PERSON" for t in aside):  # "Sharif's adviser, Sartaj Aziz,"
                    return Report("subject", doc[verb.i:verb.i + 1], aside, not _subordinate_before(doc, k, sent),
                                  content)
                subj_end = k - 1
        subj_end = _skip_time(doc, subj_end, sent.start)  # "Pakistani authorities on Thursday said"
        subj_end = _skip_back(doc, subj_end, sent.start, ("MD",), ADVERB_WORDS)  # "had a day earlier said"
        acronym_end = None  # "the United Nations Security Council (UNSC) also endorsed": the acronym stays
        if subj_end > sent.start and doc[subj_end].text == ")":
            k = subj_end - 1
            while k > max(sent.start, subj_end - 4) and doc[k].text != "(":
                k -= 1
            if doc[k].text == "(" and k - 1 >= sent.start:
                acronym_end, subj_end = subj_end, k - 1
        if subj_end < sent.start:
            return None
        if doc[subj_end].lower_ == "to" and (object_ := _prompted(doc, subj_end, sent)) is not None:
            # "…, prompting the minister to say": the object of the participle speaks
            return Report("participial", doc[verb.i:verb.i + 1], object_, True, content)
        if doc[subj_end].lower_ in ("and", "but", "to", "nor") and subj_end > sent.start:
            # "X launched a trade war and suggested…", "X was quick to condemn…": the clause's subject
            subject = _opening_np(doc, verb, sent)
            if subject is None or doc[subj_end].lower_ == "to" and doc[subj_end - 1].tag_ not in ("JJ", "VBD", "VBZ"):
                return None
            return Report("subject", doc[verb.i:verb.i + 1], subject,
                          not _subordinate_before(doc, subject.start, sent), content)
        if doc[subj_end].lower_ in ("who", "which") and subj_end - 1 >= sent.start and doc[subj_end - 1].text == ",":
            start = _np_start(doc, subj_end - 2, sent.start)  # "…, who announced that…"
            if start < subj_end - 1:
                return Report("relative", doc[verb.i:verb.i + 1], doc[start:subj_end - 1], True, content)
            return None
        start = _np_start(doc, subj_end, sent.start)
        if start > subj_end:
            return None
        holder = doc[start:(acronym_end or subj_end) + 1]
        if start - 2 >= sent.start and doc[start - 1].text == "," and doc[start - 2].ent_type_ == "PERSON":
            # "Abdul Qahar Balkhi, the spokesperson of the ministry, added": the name before its apposition
            first = start - 2
            while first - 1 >= sent.start and doc[first - 1].ent_type_ == "PERSON" and doc[first].ent_iob_ == "I":
                first -= 1
            holder = doc[first:start - 1]
        if len(holder) == 1 and holder[0].lower_ in NON_HOLDERS \
                and not (holder[0].lower_ == "it" and _clause_initial(doc, holder.start, sent)):
            return None  # "this shows…"; a clause-initial "It said" is a party
        after = doc[verb.i + 1] if verb.i + 1 < sent.end else None
        main = not _subordinate_before(doc, start, sent)
        if after is None or after.is_punct and after.text not in ('"', "“", ":", ","):
            # '"…," the minister said.' / '…, the ministry said.'
            if start > sent.start and (doc[start - 1].text in (",", "”", '"', "’") or quotes.inside[start - 1]):
                return Report("tag", doc[verb.i:verb.i + 1], holder, True, set(range(sent.start, start)))
            if lemma in self.lex.needs_complement:
                return None
            return Report("subject", doc[verb.i:verb.i + 1], holder, main, set())
        if lemma in self.lex.advocacy:
            obj_end = _np_end(doc, verb.i + 1, sent.end)
            if obj_end > verb.i + 1 and obj_end < sent.end and doc[obj_end].lower_ == "to":
                return Report("advocacy", doc[verb.i:verb.i + 1], holder, main, content)
        if lemma in self.lex.needs_complement and not self._tagged_position_complement(verb, lemma, sent):
            return None
        kind = "cognition" if lemma in self.lex.cognition and lemma not in self.lex.communication else "subject"
        if not main:
            kind = "embedded"
        elif start > sent.start and doc[start - 1].text == "," and _near_end(verb, sent):
            kind = "tag"
        return Report(kind, doc[verb.i:verb.i + 1], holder, main, content)

    def _tagged_position_complement(self, verb: Token, lemma: str, sent: Span) -> bool:
        doc = sent.doc
        nxt = list(doc[verb.i + 1: min(verb.i + 4, sent.end)])
        lowers = [t.lower_ for t in nxt]
        if lemma == "call":
            return lowers[:1] in (["for"], ["on"])
        if lemma == "point":
            return bool(set(lowers[:2]) & {"to", "out", "towards", "toward"})
        if lemma in ("speak", "talk"):
            return bool(set(lowers[:2]) & {"of", "about"})
        if lemma in ("express", "voice", "convey"):
            return any(t.lemma_.lower() in self.lex.position_nouns for t in nxt)
        if lemma in ("show", "find"):
            return "that" in lowers or bool(nxt) and nxt[0].tag_ in ("DT", "NN", "NNS", "JJ")
        if lemma in ("ask", "press"):
            return any(t.lower_ in ("to", "for") for t in doc[verb.i + 1: min(verb.i + 8, sent.end)])
        if lemma == "claim":
            obj = next((t for t in doc[verb.i + 1: min(verb.i + 6, sent.end)] if t.tag_ in ("NN", "NNS")), None)
            return obj is None or obj.lemma_.lower() not in LIVES
        return True

    def _partyish(self, span: Span) -> bool:
        return any(t.ent_type_ in HOLDER_LABELS or t.lower_ in self.lex.party_nouns for t in span)


# -- dependency helpers ---------------------------------------------------------------------------------------------
def _is_main(verb: Token, sent: Span) -> bool:
    """ROOT, a parataxis tag on it, or a verb conjoined to one (through any chain of conj)."""
    tok = verb
    while tok.dep_ == "conj" and tok.head is not tok:
        tok = tok.head
    if tok.dep_ in ("ROOT", "parataxis"):
        return True
    if tok.dep_ not in ("ccomp", "advcl") or tok.head.dep_ != "ROOT":
        return False
    # "…, the ministry said": spaCy sometimes hangs the tag under the content as ccomp/advcl; and the quotation
    # a verb introduces ('X told the media: "Don't worry…"') as the sentence's root.
    return _is_tag(tok, sent) if tok.i > tok.head.i else _introduces_quotation(tok, sent)


def _introduces_quotation(verb: Token, sent: Span) -> bool:
    """The verb's clause ends in a colon or comma before an opening quotation that holds the verb's head."""
    doc = verb.doc
    for j in range(verb.i + 1, min(verb.i + 8, sent.end - 1)):
        if doc[j].text in (":", ","):
            return doc[j + 1].is_quote and verb.head.i > j + 1
    return False


def _is_tag(verb: Token, sent: Span) -> bool:
    """A sourcing tag: the reporting clause follows the content, set off by a comma or a closing quote."""
    first = min(t.i for t in verb.subtree)
    return first > sent.start + 2 and verb.doc[first - 1].text in (",", "”", '"', "’")


def _continuative(verb: Token) -> bool:
    """A comma-set-off relative clause ("…, who announced that…"), not a restrictive modifier."""
    first = min(t.i for t in verb.subtree)
    return first > 0 and verb.doc[first - 1].text in (",", "—", "–", "-")


def _governor(verb: Token) -> Token:
    tok = verb
    while tok.dep_ in ("xcomp", "advcl", "acomp") and tok.head is not tok:
        tok = tok.head
    return tok


def _inside_quotation(tok: Token, sent: Span) -> bool:
    return sum(1 for t in tok.doc[sent.start: tok.i] if t.is_quote) % 2 == 1


def _subtree(tok: Token) -> Span:
    return tok.doc[tok.left_edge.i: tok.right_edge.i + 1]


def _np_span(tok: Token) -> Span:
    """A head's noun phrase without its relative clauses, appositions and trailing punctuation."""
    left = min([tok.i] + [t.i for c in tok.children if c.i < tok.i for t in c.subtree])
    return tok.doc[left: tok.i + 1]


def _negated(verb: Token, sent: Span) -> bool:
    # Token.children only on a parsed doc: without a parse the tree fields are not set (and not safe to read).
    if sent.doc.has_annotation("DEP") and any(c.dep_ == "neg" for c in verb.children):
        return True
    return any(t.lower_ in NEGATIONS for t in verb.doc[max(verb.i - 3, sent.start): verb.i])


def _as_sourcing(verb: Token, sent: Span) -> bool:
    """ "As X reported/said, …" opening a sentence: the outlet or party is the source."""
    toks = [t for t in sent if not (t.is_space or t.is_quote)]
    return bool(toks) and toks[0].lower_ == "as" and verb.i - toks[0].i <= 6 \
        and any(t.text == "," for t in sent.doc[verb.i + 1: min(verb.i + 3, sent.end)])


# -- tag helpers ----------------------------------------------------------------------------------------------------
def _floating_quantifier(tok: Token, sent: Span) -> bool:
    """ "…, who have both called for", "they all said": a quantifier after its subject or auxiliary, not a
    determiner."""
    if tok.lower_ not in FLOATING_QUANTIFIERS or tok.i - 1 < sent.start:
        return False
    before = sent.doc[tok.i - 1]
    return before.tag_ in ("WP", "PRP", "MD", "NNS", "NNPS") or before.lower_ in HAVE_BE_FORMS


def _after_determiner(tok: Token) -> bool:
    """ "a border post", "the UNSC report": the word heads a noun phrase opened by a determiner."""
    doc = tok.doc
    k = tok.i - 1
    while k >= 0 and doc[k].tag_ in ("NN", "NNS", "NNP", "NNPS", "JJ", "HYPH") and tok.i - k < 6:
        k -= 1
    return k >= 0 and (doc[k].tag_ in ("DT", "PRP$", "POS", "CD") or k < tok.i - 1 and doc[k].tag_ == "IN")


def _clause_initial(doc: Doc, i: int, sent: Span) -> bool:
    j = i - 1
    while j >= sent.start and (doc[j].is_space or doc[j].is_quote):
        j -= 1
    return j < sent.start or doc[j].text in (",", ";", ":") or doc[j].lower_ in ("and", "but")


def _skip_back(doc: Doc, i: int, start: int, tags, words=frozenset()) -> int:
    while i >= start and (doc[i].tag_ in tags or doc[i].lower_ in words):
        i -= 1
    return i


def _skip_time(doc: Doc, i: int, start: int) -> int:
    """Skip a time adverbial between subject and verb: "Pakistani authorities on Thursday said"."""
    j, seen = i, False
    while j >= start and i - j < 5 and (doc[j].lower_ in TIME_WORDS or doc[j].lower_ in TIME_FILLERS
                                       or doc[j].like_num):
        seen = seen or doc[j].lower_ in TIME_WORDS
        j -= 1
    return j if seen else i


def _np_start(doc: Doc, end: int, start: int) -> int:
    """First token of the noun phrase ending at `end`, with of/in/at/from attachments and conjunctions."""
    if end < start or doc[end].tag_ not in NOUN_TAGS | {"PRP", "CD"} and not doc[end].ent_type_:
        return end + 1
    i = end
    while i - 1 >= start:
        prev = doc[i - 1]
        in_np = prev.tag_ in NP_TAGS and prev.lower_ not in ("that", "which", "who") \
            or prev.ent_type_ and prev.ent_iob_ != "O" and prev.text != ","
        if in_np:
            # a participle opening the phrase modifies its noun ("Neighbouring governments"); elsewhere it ends it
            if prev.tag_ in ("VBN", "VBG") and not prev.ent_type_ \
                    and not (i - 1 == start or doc[i - 2].tag_ in ("DT", "PRP$")):
                break
            i -= 1
        elif prev.lower_ in ("of", "in", "at", "from", "and", "for") and i - 2 >= start \
                and doc[i - 2].tag_ in NOUN_TAGS:
            i -= 1
        else:
            break
    return i


def _np_end(doc: Doc, i: int, end: int) -> int:
    """End (exclusive) of the noun phrase starting at i, up to a comma, a verb or a clause word."""
    j = i
    while j < end and (doc[j].tag_ in NP_TAGS - {"VBN", "VBG"} or doc[j].tag_ == "PRP" or doc[j].ent_iob_ == "I"
                       or doc[j].lower_ in ("of", "and") and j > i):
        j += 1
    while j > i and doc[j - 1].lower_ in ("of", "and", "the"):
        j -= 1
    return j


def _opening_np(doc: Doc, verb: Token, sent: Span) -> Span | None:
    """The first noun phrase of the sentence: "X condemned the attack, calling it…" -> X."""
    i = sent.start
    while i < verb.i and doc[i].tag_ not in NOUN_TAGS | {"PRP"}:
        i += 1
    end = _np_end(doc, i, verb.i) if i < verb.i else i
    return doc[i:end] if end > i else None


def _appositive_subject(doc: Doc, verb: Token, sent: Span) -> Span | None:
    """ "Zala Zazai, a pioneering policewoman, who had fled…, told…": an opening name followed by comma-set-off
    segments with no finite verb outside a relative clause is the subject."""
    i = sent.start
    while i < verb.i and (doc[i].is_space or doc[i].is_quote):
        i += 1
    if i + 2 < verb.i and doc[i].tag_ == "RB" and doc[i + 1].text == ",":  # "Meanwhile, X, …, told"
        i += 2
    if i >= verb.i:
        return None
    end = _np_end(doc, i, verb.i)  # a name, perhaps after its title ("Prime Minister Shehbaz Sharif")
    if end + 2 < verb.i and doc[end].text == "(" and doc[end + 2].text == ")":  # "… Pakistan (TTP)"
        end += 3
    if end >= verb.i or doc[end].text != "," or not any(t.ent_type_ in HOLDER_LABELS for t in doc[i:end]):
        return None
    relative = False
    for t in doc[end:verb.i]:
        if t.lower_ in ("who", "which", "whose"):
            relative = True
        elif t.text == ",":
            relative = False
        elif t.tag_ in ("VBD", "VBZ", "VBP") and not relative:
            return None
    return doc[i:end]


def _subordinate_before(doc: Doc, i: int, sent: Span) -> bool:
    """A subordinator opens the clause that holds token i (no comma, colon or dash in between)."""
    j = i - 1
    while j >= sent.start and doc[j].text not in (",", ";", ":", "—", "–"):
        if doc[j].lower_ in SUBORDINATORS and doc[j].tag_ in ("IN", "WDT", "WP", "WRB", "WP$"):
            return True
        j -= 1
    return False


QUOTING_LEMMAS = frozenset({"quote", "cite"})


def _quoted_as_saying(verb: Token, lemma: str) -> Span | None:
    """The object of "quoted/cited X as saying"."""
    if lemma not in QUOTING_LEMMAS:
        return None
    obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
    saying = any(c.lower_ == "as" and any(g.tag_ == "VBG" for g in c.children) for c in verb.children)
    return _np_span(obj) if obj is not None and saying else None


def _tagged_quoted_as(doc: Doc, verb: Token, sent: Span) -> Span | None:
    """Without a parse: "quoted X(, an aside,) as saying" – the words after the quoting verb up to a comma."""
    if verb.i - 1 < sent.start or doc[verb.i - 1].lower_ != "as":
        return None
    for q in range(verb.i - 2, max(sent.start, verb.i - 20) - 1, -1):
        if doc[q].lemma_.lower() in QUOTING_LEMMAS:
            end = _np_end(doc, q + 1, verb.i - 1)
            return doc[q + 1:end] if end > q + 1 else None
    return None


def _inverted_object(verb: Token, sent: Span) -> Span | None:
    """ "…, argue their supporters; …": a reporting verb after a comma, without a subject, whose object closes the
    clause is an inverted tag and its object the speaker."""
    doc = verb.doc
    if verb.i - 1 <= sent.start or doc[verb.i - 1].text != "," or verb.i < verb.head.i:
        return None
    if any(c.dep_ in ("nsubj", "nsubjpass", "ccomp", "xcomp") for c in verb.children):
        return None
    obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
    if obj is None:
        return None
    speaker = _subtree(obj)
    return speaker if speaker.end < sent.end and doc[speaker.end].text in (";", ".", ",") else None


def _prompted(doc: Doc, to: int, sent: Span) -> Span | None:
    """The words between a comma-set-off "-ing" word and `to` ("…, prompting the minister to say")."""
    for x in range(to - 1, max(sent.start, to - 9), -1):
        if doc[x].text in (",", ";", ":"):
            return None
        if doc[x].lower_.endswith("ing") and doc[x - 1].text == ",":
            return doc[x + 1:to] if x + 1 < to else None
    return None


def _near_end(verb: Token, sent: Span) -> bool:
    rest = [t for t in verb.doc[verb.i + 1: sent.end] if not (t.is_punct or t.is_space)]
    return len(rest) <= 6
