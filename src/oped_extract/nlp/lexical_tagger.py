"""Tags and lemmas without the statistical tagger: the `oped_lexical_tags` component of the fast profile.

The model's tok2vec + tagger + lemmatizer cost about a quarter of its time. The stance cues need coarse POS, a
few fine tags (past tense, superlatives, proper nouns) and lemmas, which a closed-class word list, the model's own
lemmatizer tables (WordNet base forms per POS, irregular forms, suffix rules), the NER's labels and a handful of
context rules give well enough (measured against the tagger on the gold op-ed and CheckThat! dev: see README).
"""

from __future__ import annotations

import json
import warnings
from importlib import resources
from pathlib import Path

import numpy
from spacy.attrs import (
    ENT_TYPE,
    IS_PUNCT,
    IS_SPACE,
    IS_TITLE,
    IS_UPPER,
    LEMMA,
    LIKE_NUM,
    LOWER,
    ORTH,
    POS,
    TAG,
)
from spacy.language import Language
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc

from oped_extract.nlp.ruler_tables import DEFAULT_TAG_MAP

# Entity labels whose capitalised tokens are proper nouns; NORP ("Afghan", "Pakistani") reads as an adjective.
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"})
PUNCT_TAGS = {",": ",", ".": ".", "!": ".", "?": ".", ":": ":", ";": ":", "—": ":", "–": ":", "...": ":", "…": ":",
              "(": "-LRB-", ")": "-RRB-", "[": "-LRB-", "]": "-RRB-", "-": "HYPH", '"': "''", "“": "``", "”": "''",
              "‘": "``", "’": "''", "'": "''", "$": "$", "#": "#"}
# After these a word opens a sentence (the sentencizer runs after us), so its capital says nothing.
OPENERS = frozenset({".", "!", "?", ":", ";", '"', "“", "‘", "'", "(", "—", "–", "-"})
DETERMINER_LIKE = frozenset({"DT", "PRP$", "POS", "JJ", "JJR", "JJS", "CD", "PDT"})
NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
VERB_NEXT = frozenset({"DT", "PRP$", "PRP", "IN", "TO", "CD", "RB", "JJ"})
# Where a clause may begin: an "-s" word there with an object is a verb ("…, tells us", "merely notes that").
CLAUSE_START = frozenset({".", ",", ":", "CC", "``", "''", "-LRB-", "RB", "PRP"})
SUBJECT_PRONOUNS = frozenset({"i", "we", "you", "he", "she", "it", "they", "who", "which", "that"})
BE_FORMS = frozenset({"is", "are", "am", "was", "were", "be", "been", "being", "'s", "’s", "'re", "’re", "'m", "’m"})
HAVE_FORMS = frozenset({"has", "have", "had", "having", "'ve", "’ve"})
DO_FORMS = frozenset({"do", "does", "did"})
PERFECT_OR_PASSIVE = BE_FORMS | HAVE_FORMS  # before a participle
AUX_LEMMAS = frozenset({"be", "have", "do"})
LINKING_VERBS = frozenset({"feel", "seem", "become", "remain", "look", "sound", "appear", "prove", "stay", "grow"})
# Where the model's attribute ruler overrides the tag's usual POS.
POS_OVERRIDES = {"not": "PART", "n't": "PART", "n’t": "PART", "which": "PRON", "who": "PRON", "whom": "PRON",
                 "what": "PRON", "that": "SCONJ", "because": "SCONJ", "although": "SCONJ", "though": "SCONJ",
                 "whether": "SCONJ", "if": "SCONJ", "while": "SCONJ", "whereas": "SCONJ", "unless": "SCONJ"}
CACHE_LIMIT = 200_000  # words whose readings are kept (a few tens of MB at most)
BASE_TAGS = {"noun": "NN", "verb": "VB", "adj": "JJ", "adv": "RB"}
# Unknown words: a suffix says the most likely class.
ADJ_SUFFIXES = ("ous", "ful", "ive", "able", "ible", "ic", "ical", "ish", "less", "al", "ary", "ant", "ent")
NOUN_SUFFIXES = ("tion", "sion", "ment", "ness", "ity", "ism", "ist", "ship", "ence", "ance", "hood", "er", "or")


def _closed_class() -> tuple[dict[str, str], dict[str, str]]:
    raw = json.loads((resources.files("oped_extract") / "data" / "closed_class.json").read_text(encoding="utf-8"))
    tags: dict[str, str] = {}
    for tag, words in raw["tags"].items():
        for word in words:
            tags.setdefault(word, tag)
    return tags, raw["lemmas"]


@Language.factory(
    "oped_lexical_tags",
    default_config={"tag_map": []},
    assigns=["token.tag", "token.pos", "token.lemma"],
    requires=["doc.ents"],
)
def make_lexical_tags(nlp: Language, name: str, tag_map: list[list[str]] | dict[str, str]) -> LexicalTagger:
    """`tag_map`: (tag, POS) pairs; a list, because tags such as ":" and "#" cannot be keys of a saved config."""
    lookups = nlp.get_pipe("lemmatizer").lookups if "lemmatizer" in nlp.pipe_names else None
    return LexicalTagger(nlp, dict(tag_map), lookups)


class LexicalTagger:
    """Assigns TAG, POS and LEMMA from word lists and context: a fraction of the tagger's cost."""

    def __init__(self, nlp: Language, tag_map: dict[str, str], lookups=None) -> None:
        self.strings = nlp.vocab.strings
        self.closed, self.closed_lemmas = _closed_class()
        self.index: dict[str, frozenset[str]] = {}
        self.exc: dict[str, dict[str, list[str]]] = {}
        self.rules: dict[str, list[tuple[str, str]]] = {}
        self._checked = False  # warned (once) if no tables came, from the lemmatizer or a saved pipeline
        if lookups is not None:
            index, exc, rules = (lookups.get_table(t, {}) for t in ("lemma_index", "lemma_exc", "lemma_rules"))
            self._use_tables({pos: list(index.get(pos, ())) for pos in BASE_TAGS},
                             {pos: dict(exc.get(pos, {})) for pos in BASE_TAGS},
                             {pos: list(rules.get(pos, ())) for pos in BASE_TAGS})
        tag_map = tag_map or DEFAULT_TAG_MAP  # a pipeline without an attribute ruler
        self.tag_ids = {tag: self.strings.add(tag) for tag in (*tag_map, *PUNCT_TAGS.values(), "NFP", "XX")}
        self.pos_of_tag = {tag: POS_IDS[pos] for tag, pos in tag_map.items()}
        self.space_ids = (self.strings.add("_SP"), POS_IDS["SPACE"])
        self.aux, self.unknown_pos = POS_IDS["AUX"], POS_IDS["X"]
        self._candidates: dict[str, tuple[tuple[str, str], ...]] = {}

    def _use_tables(self, index: dict, exc: dict, rules: dict) -> None:
        for pos in BASE_TAGS:
            self.index[pos] = frozenset(index.get(pos, ()))
            self.exc[pos] = dict(exc.get(pos, {}))
            self.rules[pos] = [(old, new) for old, new in rules.get(pos, ()) if old]

    # A saved pipeline keeps the lemmatizer's tables this component took (the fast profile drops the lemmatizer).
    def to_disk(self, path, *, exclude=()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tables = {"index": {pos: sorted(words) for pos, words in self.index.items()}, "exc": self.exc,
                  "rules": self.rules}
        (path / "lemma_tables.json").write_text(json.dumps(tables), encoding="utf-8")

    def from_disk(self, path, *, exclude=()) -> LexicalTagger:
        saved = Path(path) / "lemma_tables.json"
        if saved.is_file():
            tables = json.loads(saved.read_text(encoding="utf-8"))
            self._use_tables(tables["index"], tables["exc"], tables["rules"])
        return self

    def __call__(self, doc: Doc) -> Doc:
        if not self._checked:
            self._checked = True
            if not self.index:
                warnings.warn("oped_lexical_tags: the pipeline has no lemmatizer tables; open-class words are "
                              "tagged from their suffixes alone", stacklevel=2)
        n = len(doc)
        if not n:
            return doc
        cols = doc.to_array([ORTH, LOWER, ENT_TYPE, IS_PUNCT, IS_SPACE, LIKE_NUM, IS_TITLE, IS_UPPER]).tolist()
        strings = self.strings
        ent_labels = {e.label: e.label_ for e in doc.ents}
        tag_ids, pos_ids, lemma_ids = [0] * n, [0] * n, [0] * n
        # (tag, lowercase word, lemma) of the two words to the left; a paragraph break reads as a full stop.
        prev: tuple[str, str, str] = (".", "", "")
        prev2 = prev
        opener = True
        for i, (orth, lower, ent, punct, space, num, title, upper) in enumerate(cols):
            text = strings[orth]
            if space:
                tag_ids[i], pos_ids[i], lemma_ids[i] = self.space_ids[0], self.space_ids[1], orth
                if "\n" in text:
                    prev, opener = (".", "", ""), True
                continue
            word = strings[lower]
            if punct:
                tag, lemma = PUNCT_TAGS.get(text, "NFP" if len(text) > 1 else ":"), text
            elif num and not text.isalpha() or num and word not in self.closed:
                tag, lemma = "CD", word
            else:
                tag, lemma = self._tag_word(word, text, ent_labels.get(ent), bool(title or upper and len(text) > 1),
                                            opener, prev, prev2, self._next_word(cols, i))
            tag_ids[i] = self.tag_ids.get(tag) or strings.add(tag)
            pos_ids[i] = self._pos(tag, lemma, word)
            lemma_ids[i] = lower if lemma == word else orth if lemma == text else strings.add(lemma)
            prev2, prev = prev, (tag, word, lemma)
            # "… at 10 a.m. Officials": after an abbreviation a capital may open a sentence too; names the NER
            # found ("U.S. Army") stay proper nouns.
            opener = text in OPENERS or text.endswith(".")
        doc.from_array([TAG, POS, LEMMA], numpy.array([tag_ids, pos_ids, lemma_ids], dtype="uint64").T)
        return doc

    def _pos(self, tag: str, lemma: str, word: str) -> int:
        if tag == "MD" or tag[0] == "V" and lemma in AUX_LEMMAS:
            return self.aux
        if word in POS_OVERRIDES and tag in ("RB", "IN", "WDT", "WP"):
            return POS_IDS[POS_OVERRIDES[word]]
        return self.pos_of_tag.get(tag, self.unknown_pos)

    def _next_word(self, cols: list, i: int) -> str:
        for j in range(i + 1, min(i + 3, len(cols))):
            if not cols[j][4]:  # not whitespace
                return "" if cols[j][3] else self.strings[cols[j][1]]
        return ""

    def _tag_word(self, word: str, text: str, label: str | None, capital: bool, opener: bool,
                  prev: tuple[str, str, str], prev2: tuple[str, str, str], nxt: str) -> tuple[str, str]:
        closed = self.closed.get(word)
        if capital and text.isupper() and len(text) > 1 and closed:
            return "NNP", text  # "US", "IT": an acronym, not the pronoun
        if closed and not (capital and not opener and closed in ("RB", "JJ", "RBR", "RBS", "UH")):
            return self._closed_tag(word, prev, nxt), self.closed_lemmas.get(word, word)
        if label == "NORP":  # "Afghan officials", "the Afghans"
            return ("NNPS" if word.endswith("s") and not word.endswith("ss") else "JJ"), text
        if label is None and text.isupper() and _predicative(prev, prev2) \
                and any(tag == "JJ" for tag, _ in self._candidates_of(word)):
            return "JJ", word  # "everything is not OK": a capitalised adjective after a copula, not a name
        if label in NAME_LABELS and capital or capital and not opener:
            return "NNP", text
        cands = self._candidates_of(word)
        if not cands:
            return ("NNP", text) if capital else (self._unknown(word, prev[0]), word)
        return self._choose(word, cands, prev, prev2, nxt)

    def _closed_tag(self, word: str, prev_word: tuple[str, str, str], nxt: str) -> str:
        tag, prev = self.closed[word], prev_word[0]
        if word in ("'s", "’s"):
            return "POS" if prev in NOUN_TAGS or prev == "CD" else "VBZ"
        if word == "i" and (prev == "HYPH" or nxt == "-"):
            return "NNP"  # "Jamaat-i-Islami", "Tehrik-i-Taliban": a name's link, not the pronoun
        if word == "that" and (prev in (".", ",", ":", "CC") or not prev):
            # Opening a clause: "That felt good" (DT) against "that he would…" (IN).
            return "IN" if self.closed.get(nxt) in ("PRP", "DT", "PRP$") else "DT"
        if word == "that":
            return "WDT" if prev in NOUN_TAGS and self.closed.get(nxt) in ("MD", "VBZ", "VBP", "VBD") else "IN"
        if word == "her":
            return "PRP$" if nxt and nxt not in self.closed else "PRP"
        if word == "there":
            return "EX" if nxt in BE_FORMS or self.closed.get(nxt) == "MD" else "RB"
        if word in ("more", "most", "less", "least"):
            adjective = nxt and any(t.startswith(("JJ", "RB")) for t, _ in self._candidates_of(nxt)) \
                and nxt not in self.closed
            return tag if adjective else {"more": "JJR", "less": "JJR", "most": "JJS", "least": "JJS"}[word]
        if tag == "VBP" and prev in ("MD", "TO") and (word in HAVE_FORMS or word in DO_FORMS):
            return "VB"
        return tag

    def _candidates_of(self, word: str) -> tuple[tuple[str, str], ...]:
        found = self._candidates.get(word)
        if found is None:
            if len(self._candidates) >= CACHE_LIMIT:  # a long run meets ever more rare words: stay bounded
                self._candidates.clear()
            found = tuple(dict.fromkeys(self._lookup(word)))
            if word.endswith("s") and any(t == "NNS" and base != word for t, base in found):
                # The index lists some plurals as base forms of their own ("leaders", "years"): the plural
                # reading, with its singular lemma, comes first.
                found = tuple(c for c in found if c != ("NN", word))
            self._candidates[word] = found
        return found

    def _lookup(self, word: str):
        for pos, base_tag in BASE_TAGS.items():
            irregular = self.exc.get(pos, {}).get(word)
            # An adjective "exception" that is its own base and a noun ("interest", "customer") is listed to stop
            # the suffix rules: no comparative or superlative reading ("more inter", "more custom").
            own_base = pos == "adj" and bool(irregular) and irregular[0] == word and word in self.index.get("noun", ())
            if irregular and not own_base:
                yield _irregular_tag(pos, word), irregular[0]
            if word in self.index.get(pos, ()):
                yield base_tag, word
            for old, new in () if own_base else self.rules.get(pos, ()):
                if word.endswith(old) and len(word) > len(old) + 1:
                    base = word[: len(word) - len(old)] + new
                    if base in self.index[pos]:
                        yield _rule_tag(pos, old), base

    def _unknown(self, word: str, prev: str) -> str:
        if word.endswith("ly"):
            return "RB"
        if word.endswith("ing"):
            return "VBG"
        if word.endswith("ed"):
            return "VBN" if prev in ("VBZ", "VBP", "VBD") else "VBD"
        if word.endswith(NOUN_SUFFIXES):
            return "NN"  # before the adjective suffixes: "-ment" is not "-ent"
        if word.endswith(ADJ_SUFFIXES):
            return "JJ"
        if word.endswith("s") and not word.endswith("ss"):
            return "NNS"
        return "NN"

    def _choose(self, word: str, cands: tuple[tuple[str, str], ...], prev: tuple[str, str, str],
                prev2: tuple[str, str, str], nxt: str) -> tuple[str, str]:
        by_class: dict[str, list[tuple[str, str]]] = {}
        for tag, lemma in cands:
            by_class.setdefault(tag[:2], []).append((tag, lemma))
        # Look through one adverb or negation: "will not attack", "is very clear", "has already said".
        if prev[0] == "RB":
            prev = prev2
        verb_context = prev[0] in ("MD", "TO") or prev[1] in DO_FORMS
        cls = self._reading(word, by_class, prev, nxt, verb_context, prev2)
        if cls == "VB":
            return self._verb_tag(by_class["VB"], prev[0], prev[1] in PERFECT_OR_PASSIVE, verb_context)
        return by_class[cls][0]

    def _reading(self, word: str, by_class: dict[str, list[tuple[str, str]]], left: tuple[str, str, str],
                 nxt: str, verb_context: bool, left2: tuple[str, str, str]) -> str:
        """Noun, verb, adjective or adverb reading ("NN", "VB", "JJ", "RB") of an open-class word in context."""
        prev, prev_lower, prev_lemma = left
        if len(by_class) == 1:
            return next(iter(by_class))
        verb = by_class.get("VB", ())
        if verb and verb_context:
            return "VB"  # "will attack", "to strike", "did not claim"
        if verb and prev_lower in HAVE_FORMS and any(t in ("VBD", "VBN") for t, _ in verb):
            return "VB"  # "has attacked"
        if prev_lower in BE_FORMS:
            if verb and word.endswith(("ed", "en")):
                return "VB"  # "is shaped by", "were absorbed": passive participles
            if word.endswith("ing") and any(t == "VBG" for t, _ in verb) and nxt and (
                    self.closed.get(nxt) in ("DT", "PRP$") or self._nouny(nxt)):
                return "VB"  # "are raising interest rates", "is hitting the": a progressive with its object
            if "JJ" in by_class:
                return "JJ"  # "is clear"
            return "VB" if any(t == "VBG" for t, _ in verb) else _first(by_class)
        if "JJ" in by_class and prev_lemma in LINKING_VERBS:
            return "JJ"  # "felt free", "seems clear"
        if verb and prev == "IN" and word.endswith("ing"):
            return "VB"  # "by dismantling"
        next_nouny = self._nouny(nxt)
        if prev in DETERMINER_LIKE or prev == "IN":
            return "JJ" if "JJ" in by_class and next_nouny else "NN" if "NN" in by_class else _first(by_class)
        if verb and (prev == "PRP" and prev_lower in SUBJECT_PRONOUNS or prev in ("WDT", "WP")):
            return "VB"  # "they claim", "which shows"
        tags = {t for t, _ in verb}
        if verb and prev in ("NN", "NNP") and tags <= {"VB"} and left2[0] != "CC" and "NN" in by_class:
            return "NN"  # a singular noun is no subject for a base-form verb: "the immigration debate of"
        next_closed = self.closed.get(nxt)
        if verb and prev in NOUN_TAGS and nxt != "of" and ("VBD" in tags or next_closed in VERB_NEXT):
            return "VB"  # "Pakistan launched", "Kabul denies the"
        if verb and left2[0].startswith("VB") and prev == "CC" and tags & {"VB", left2[0]}:
            return "VB"  # coordinated verbs: "adopt and champion", "condemned and rejected"
        if "VBZ" in tags and prev in CLAUSE_START and (next_closed in ("DT", "PRP$", "PRP") or nxt == "that"):
            return "VB"  # "…, tells us", "merely notes that": a verb with its object
        if word.endswith("ly") and "RB" in by_class:
            return "RB"
        if "JJ" in by_class and next_nouny:
            return "JJ"
        return _first(by_class)

    def _nouny(self, word: str) -> bool:
        """An open-class word that can be a noun."""
        return bool(word) and word not in self.closed and any(t.startswith("NN") for t, _ in self._candidates_of(word))

    @staticmethod
    def _verb_tag(options: list[tuple[str, str]], prev: str, perfect_or_passive: bool,
                  verb_context: bool) -> tuple[str, str]:
        tags = {t: lemma for t, lemma in options}
        if verb_context and "VB" in tags:
            return "VB", tags["VB"]
        if "VBD" in tags or "VBN" in tags:
            lemma = tags.get("VBD") or tags["VBN"]
            participle = perfect_or_passive or prev in DETERMINER_LIKE or "VBD" not in tags
            return ("VBN" if participle else "VBD"), lemma
        for tag in ("VBZ", "VBG"):
            if tag in tags:
                return tag, tags[tag]
        return ("VBP" if "VB" in tags and prev not in ("MD", "TO") else options[0][0]), options[0][1]


def _predicative(prev: tuple[str, str, str], prev2: tuple[str, str, str]) -> bool:
    """Right after a copula, or after its negation ("is OK", "is not OK", "seemed OK")."""
    if prev[1] in ("not", "n't", "n’t"):
        prev = prev2
    return prev[1] in BE_FORMS or prev[2] in LINKING_VERBS


def _first(by_class: dict[str, list]) -> str:
    """No context rule applies: the likelier reading of an ambiguous open-class word."""
    for cls in ("NN", "VB", "JJ", "RB"):
        if cls in by_class:
            return cls
    return next(iter(by_class))


def _irregular_tag(pos: str, word: str) -> str:
    if pos == "verb":
        return "VBG" if word.endswith("ing") else "VBN" if word.endswith("n") else "VBD"
    if pos == "adj":
        return "JJS" if word.endswith("st") else "JJR"
    if pos == "noun":
        return "NNS"
    return "RB"


def _rule_tag(pos: str, suffix: str) -> str:
    if pos == "noun":
        return "NNS"
    if pos == "adj":
        return "JJS" if suffix.startswith("est") else "JJR"
    if pos == "verb":
        return {"ing": "VBG", "ed": "VBD"}.get(suffix, "VBZ")
    return "RB"
