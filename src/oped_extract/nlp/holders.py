"""Attribution holders: a party's words cleaned to a name, the fullest form of that name in the text, its
entity id, and simple coreference (a pronoun or a quote continuation takes the latest fitting party)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from oped_extract.nlp.reported_speech import AUTHOR_PRONOUNS, HOLDER_LABELS, PRONOUNS, ReportLexicon

DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those"})
# Heads that make a generic holder a party ("Many people hoped…", "Some argue…").
GENERIC_PARTIES = frozenset({"many", "some", "others", "most", "few", "several", "those"})
# Heads of a person (for "he"/"she") as against a group (for "it"/"they").
PERSON_HEADS = frozenset({"spokesman", "spokesperson", "spokeswoman", "official", "minister", "president",
                          "commander", "elder", "resident", "owner", "teacher", "leader", "chief", "envoy",
                          "ambassador", "adviser", "advisor", "secretary", "director", "witness", "officer"})

Holder = tuple[str, str | None]  # (text, entity_id)


class HolderResolver:
    """Turns a report's holder span into the holder the row records, for one text at a time."""

    def __init__(self, lexicon: ReportLexicon):
        self.lex = lexicon

    def kind(self, span: Span | None) -> str:
        """named (an entity), party (a social actor noun), vehicle (a report, a statement), pronoun, author
        ("I", "we"), other (a thing: "the violence claimed…")."""
        words = [t for t in span if not (t.is_punct or t.is_space)] if span is not None else []
        if not words:
            return "other"
        if len(words) == 1 and words[0].lower_ in AUTHOR_PRONOUNS:
            return "author"
        if len(words) == 1 and words[0].lower_ in PRONOUNS:
            return "pronoun"
        if any(t.ent_type_ in HOLDER_LABELS for t in words[:6]):
            return "named"
        head = _head(span)
        if head is not None and head.lower_ in self.lex.party_nouns:
            return "party"
        if head is not None and head.lower_ in self.lex.vehicle_nouns:
            return "vehicle"
        if any(t.lower_ in self.lex.party_nouns for t in words[:6]) or words[0].lower_ in GENERIC_PARTIES:
            return "party"
        return "other"

    def is_person(self, span: Span | None, names: NameIndex) -> bool:
        if span is None:
            return True
        if any(e.label_ == "PERSON" for e in names.ents if span.start <= e.start < span.end):
            return True
        return any(t.lower_ in PERSON_HEADS for t in span)

    def clean(self, span: Span) -> Span:
        """The party's words without determiner, apposition, relative or participial modifier and trailing
        punctuation; a vehicle noun gives way to its source ("a recent report from the X Institute" -> "X
        Institute", "the military statement" -> "military")."""
        doc = span.doc
        toks = list(span)
        for k, tok in enumerate(toks[1:], start=1):
            if tok.text in (",", "—", "–", ";", ":") and not _acronym_follows(toks, k):
                toks = toks[:k]
                break
            if tok.lower_ in ("who", "which", "that", "whose") or tok.tag_ in ("VBG", "VBN") \
                    and toks[k - 1].tag_ in ("NN", "NNS", "NNP", "NNPS") and not tok.ent_type_:
                toks = toks[:k]
                break
        while toks and (toks[0].lower_ in DETERMINERS or toks[0].is_punct or toks[0].is_space):
            toks = toks[1:]
        while toks and (toks[-1].is_punct and toks[-1].text != ")" or toks[-1].is_space or toks[-1].tag_ == "POS"
                        or toks[-1].lower_ in ("'s", "’s")):
            toks = toks[:-1]
        if not toks:
            return span
        vehicle = next((k for k, t in enumerate(toks)
                        if t.lower_ in self.lex.vehicle_nouns and (t.pos_ in ("NOUN", "PROPN", "VERB")
                                                                    or t.tag_.startswith("NN"))), None)
        if vehicle is not None:
            after = toks[vehicle + 1:]
            if len(after) > 1 and after[0].lower_ in ("from", "of", "by"):
                rest = after[1:]
                while rest and rest[0].lower_ in DETERMINERS:
                    rest = rest[1:]
                if rest:
                    return doc[rest[0].i: rest[-1].i + 1]
            before = toks[:vehicle]
            while before and (before[-1].tag_ == "POS" or before[-1].lower_ in ("'s", "’s")):
                before = before[:-1]
            while before and before[0].lower_ in DETERMINERS | {"new", "recent", "latest", "official"}:
                before = before[1:]
            if before:
                return doc[before[0].i: before[-1].i + 1]
        return doc[toks[0].i: toks[-1].i + 1]

    def resolve(self, span: Span | None, names: NameIndex, antecedent: Holder | None) -> Holder | None:
        """The holder a row records: a pronoun takes its antecedent; a name takes its fullest form in the
        text when the name is the holder's head; a description stays as written (cleaned)."""
        if span is None:
            return antecedent
        kind = self.kind(span)
        if kind == "pronoun":
            return antecedent or (span.text, None)
        cleaned = self.clean(span)
        ents = [e for e in names.ents if e.start >= cleaned.start and e.end <= cleaned.end]
        words = [t.lower_.rstrip(".") for t in cleaned if not t.is_punct]
        if not ents and words and all(w in self.lex.title_words or w.rstrip("s") in self.lex.title_words
                                      for w in words):
            titled = names.titled(words)  # "the prime minister" -> the person the text calls Prime Minister X
            if titled is not None:
                return names.fullest(titled, self.lex.title_words)
        if not ents:
            return cleaned.text, None
        persons = [e for e in ents if e.label_ == "PERSON"]
        if persons:
            return names.fullest(persons[-1], self.lex.title_words)
        head = _head(cleaned)
        for ent in ents:
            if head is not None and ent.start <= head.i < ent.end:
                rest = [t for t in cleaned if not ent.start <= t.i < ent.end and t.lower_ not in DETERMINERS]
                if all(t.is_punct or t.text.isupper() for t in rest):  # "the BOJ", "UNSC (…)"
                    text, entity_id = names.fullest(ent, self.lex.title_words)
                    return (cleaned.text if len(cleaned.text) > len(text) else text), entity_id
        entity_id = next((e._.entity_id for e in ents if head is not None and e.start <= head.i < e.end),
                         ents[0]._.entity_id)
        return cleaned.text, entity_id


@dataclass
class NameIndex:
    """The names of one text: the fullest form of each (same entity id, the surname of a longer person name,
    the acronym of a longer organisation name)."""

    ents: list[Span]
    by_id: dict[str, Span] = field(default_factory=dict)

    @classmethod
    def of(cls, doc: Doc, title_words: frozenset[str]) -> NameIndex:
        index = cls([e for e in doc.ents if e.label_ in HOLDER_LABELS])
        for ent in index.ents:
            key = ent._.entity_id or ent.text
            best = index.by_id.get(key)
            if best is None or len(_strip_title(ent.text, title_words)) > len(_strip_title(best.text, title_words)):
                index.by_id[key] = ent
        return index

    def titled(self, title: list[str]) -> Span | None:
        """The first person the text introduces with this title ("Prime Minister Shehbaz Sharif")."""
        for ent in self.ents:
            if ent.label_ != "PERSON":
                continue
            doc = ent.doc
            before = [t.lower_.rstrip(".") for t in doc[max(ent.start - len(title), 0): ent.start]]
            inside = [t.lower_.rstrip(".") for t in ent[: len(title)]]
            if title in (before, inside):
                return ent
        return None

    def fullest(self, ent: Span, title_words: frozenset[str]) -> Holder:
        best = self.by_id.get(ent._.entity_id or ent.text, ent)
        text = _strip_title(best.text, title_words)
        if ent.label_ == "PERSON" or ent.label_ in ("ORG", "NORP", "GPE") and len(text.split()) == 1:
            for other in self.ents:
                if other.label_ != ent.label_ and not (ent.label_ != "PERSON" and other.label_ == "ORG"):
                    continue
                full = _strip_title(other.text, title_words)
                if len(full) <= len(text):
                    continue
                if ent.label_ == "PERSON" and re.search(rf"(?<![\w-]){re.escape(text)}$", full):
                    text, best = full, other  # "Baloch" -> "Mumtaz Zahra Baloch"
                elif text.isupper() and 2 <= len(text) <= 6 and text in _initials(full):
                    text, best = full, other  # "BOJ" -> "Bank of Japan"
        return text, best._.entity_id or ent._.entity_id


class Antecedents:
    """The parties a text has named so far, latest last: a pronoun or a quote continuation takes the latest
    fitting one ("he"/"she" a person, "it"/"they" a group)."""

    def __init__(self):
        self.parties: list[tuple[Holder, bool]] = []

    def add(self, holder: Holder, is_person: bool) -> None:
        self.parties.append((holder, is_person))

    def latest(self, pronoun: str | None = None) -> Holder | None:
        if not self.parties:
            return None
        if pronoun in ("he", "she", "him", "her"):
            return next((h for h, person in reversed(self.parties) if person), self.parties[-1][0])
        if pronoun in ("it", "they", "them"):
            return next((h for h, person in reversed(self.parties) if not person), self.parties[-1][0])
        return self.parties[-1][0]


def _head(span: Span):
    """The head noun: the last noun before the first preposition, comma or clause word."""
    head = None
    for tok in span:
        if tok.text in (",", "(", "—", "–") or tok.lower_ in ("who", "which", "that") \
                or tok.tag_ == "IN" and head is not None:
            break
        if tok.pos_ in ("NOUN", "PROPN", "PRON") or tok.tag_ in ("NN", "NNS", "NNP", "NNPS"):
            head = tok
    return head


def _acronym_follows(toks, k) -> bool:
    """", or TTP," after a name: the acronym stays with it."""
    return k + 2 < len(toks) and toks[k + 1].lower_ == "or" and toks[k + 2].text.isupper()


def _initials(name: str) -> tuple[str, str]:
    """Initials of the capitalised words, and of all words: "Bank of Japan" -> ("BJ", "BOJ")."""
    words = [w for w in re.split(r"[\s-]+", name) if w]
    return "".join(w[0] for w in words if w[0].isupper()), "".join(w[0] for w in words).upper()


def _strip_title(text: str, title_words: frozenset[str]) -> str:
    words = text.split()
    while len(words) > 1 and (words[0].lower().rstrip(".") in title_words or words[0].lower() in DETERMINERS):
        words = words[1:]
    return " ".join(words)
