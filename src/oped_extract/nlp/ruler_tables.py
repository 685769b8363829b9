"""POS, morphology and lemma exceptions from tags, words and dependencies: `oped_pos_from_tags`, the attribute
ruler's work without its Matcher."""

from __future__ import annotations

import numpy
from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, POS, TAG
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc

# Penn Treebank -> Universal POS, as en_core_web_sm's attribute ruler maps them: for a pipeline without one.
DEFAULT_TAG_MAP = {
    "_SP": "SPACE", ".": "PUNCT", ",": "PUNCT", "-LRB-": "PUNCT", "-RRB-": "PUNCT", "``": "PUNCT", "''": "PUNCT",
    ":": "PUNCT", "HYPH": "PUNCT", "NFP": "PUNCT", "$": "SYM", "#": "SYM", "SYM": "SYM", "AFX": "ADJ",
    "CC": "CCONJ", "CD": "NUM", "DT": "DET", "PDT": "DET", "WDT": "DET", "WP$": "DET", "EX": "PRON", "PRP": "PRON",
    "PRP$": "PRON", "WP": "PRON", "FW": "X", "LS": "X", "XX": "X", "IN": "ADP", "RP": "ADP", "JJ": "ADJ",
    "JJR": "ADJ", "JJS": "ADJ", "MD": "AUX", "NN": "NOUN", "NNS": "NOUN", "NNP": "PROPN", "NNPS": "PROPN",
    "POS": "PART", "TO": "PART", "RB": "ADV", "RBR": "ADV", "RBS": "ADV", "UH": "INTJ", "VB": "VERB",
    "VBD": "VERB", "VBG": "VERB", "VBN": "VERB", "VBP": "VERB", "VBZ": "VERB", "WRB": "SCONJ",
}


def tag_map_of(attribute_ruler) -> dict[str, str]:
    """TAG -> POS as the model's own attribute ruler maps them (its single-token, TAG-only patterns)."""
    mapping: dict[str, str] = {}
    for entry in attribute_ruler.patterns:
        pattern = entry["patterns"][0]
        if len(pattern) == 1 and set(pattern[0]) == {"TAG"} and "POS" in entry["attrs"]:
            mapping[pattern[0]["TAG"]] = entry["attrs"]["POS"]
    return mapping


@Language.factory(
    "oped_pos_from_tags",
    default_config={"patterns": []},
    assigns=["token.pos", "token.morph", "token.lemma"],
    requires=["token.tag"],
)
def make_pos_from_tags(nlp: Language, name: str, patterns: list[dict]) -> AttributeTable:
    return AttributeTable(nlp, patterns)


class _Rule:
    """One single-token attribute-ruler pattern, its constraints compiled to string ids."""

    def __init__(self, order: int, constraints: dict, attrs: dict, strings, morphology) -> None:
        self.order = order
        self.tests: list[tuple[int, bool, frozenset | bool]] = []  # (column, negated, values)
        for key, value in constraints.items():
            column = COLUMNS.index(key)
            if key == "IS_SPACE":
                self.tests.append((column, False, bool(value)))
            elif isinstance(value, dict):
                (op, values), = value.items()
                self.tests.append((column, op == "NOT_IN", frozenset(strings.add(v) for v in values)))
            else:
                self.tests.append((column, False, frozenset({strings.add(value)})))
        self.pos = POS_IDS[attrs["POS"]] if "POS" in attrs else None
        self.lemma = strings.add(attrs["LEMMA"]) if "LEMMA" in attrs else None
        self.morph = morphology.add(attrs["MORPH"]) if "MORPH" in attrs else None

    def matches(self, row: list[int]) -> bool:
        for column, negated, values in self.tests:
            if isinstance(values, bool):
                if bool(row[column]) != values:
                    return False
            elif (row[column] in values) == negated:
                return False
        return True


COLUMNS = ("TAG", "LOWER", "DEP", "IS_SPACE")


class AttributeTable:
    """The attribute ruler's work without its Matcher: the TAG->POS/MORPH table plus its single-token exceptions
    ("is" AUX/be, "that" SCONJ as a marker, DT as a pronoun, auxiliaries by dependency), looked up by tag and word;
    only its few multi-token and regex patterns ("there are" as VERB, slang lemmas) still go through a Matcher."""

    def __init__(self, nlp: Language, patterns: list[dict]) -> None:
        strings, morphology = nlp.vocab.strings, nlp.vocab.morphology
        self.of_tag: dict[int, tuple[int, int]] = {}  # TAG -> (POS, MORPH)
        self.by_tag: dict[int, list[_Rule]] = {}
        self.by_lower: dict[int, list[_Rule]] = {}
        self.anywhere: list[_Rule] = []
        self.matcher = Matcher(nlp.vocab)
        self.matched: dict[int, tuple[_Rule, int]] = {}
        self.merged: dict[tuple[int, int], list[_Rule]] = {}  # (TAG, LOWER) -> the rules to try, in order
        for order, entry in enumerate(patterns):
            attrs = {k: v for k, v in entry["attrs"].items() if k in ("POS", "LEMMA", "MORPH")}
            for pattern in entry["patterns"]:
                if not attrs:
                    continue  # sets nothing the outputs or the lemmatizer read
                if len(pattern) != 1 or not set(pattern[0]) <= set(COLUMNS) \
                        or any(isinstance(v, dict) and set(v) - {"IN", "NOT_IN"} for v in pattern[0].values()):
                    # Multi-token and regex patterns ("there are" as VERB, slang lemmas): a Matcher of just these.
                    self.matcher.add(str(order), [pattern])
                    self.matched[strings.add(str(order))] = (_Rule(order, {}, attrs, strings, morphology),
                                                             entry.get("index", 0))
                    continue
                constraints = pattern[0]
                if set(constraints) == {"TAG"} and isinstance(constraints["TAG"], str) and "LEMMA" not in attrs:
                    self.of_tag[strings.add(constraints["TAG"])] = (
                        POS_IDS[attrs["POS"]] if "POS" in attrs else 0,
                        morphology.add(attrs["MORPH"]) if "MORPH" in attrs else 0)
                    continue
                rule = _Rule(order, constraints, attrs, strings, morphology)
                index, values = self._index_of(constraints)
                if index is None:
                    self.anywhere.append(rule)
                for value in values:
                    index.setdefault(strings.add(value), []).append(rule)
        # Every tag's rules include the ones that test neither tag nor word, in the ruler's order.
        for tag, rules in self.by_tag.items():
            self.by_tag[tag] = sorted(rules + self.anywhere, key=_order)
        self.anywhere.sort(key=_order)
        if not self.of_tag:
            self.of_tag = {strings.add(tag): (POS_IDS[pos], 0) for tag, pos in DEFAULT_TAG_MAP.items()}

    def _index_of(self, constraints: dict) -> tuple[dict | None, list[str]]:
        for column, index in (("TAG", self.by_tag), ("LOWER", self.by_lower)):
            value = constraints.get(column)
            if isinstance(value, str):
                return index, [value]
            if isinstance(value, dict) and "IN" in value:
                return index, list(value["IN"])
        return None, []

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        rows = doc.to_array([TAG, LOWER, DEP, IS_SPACE, LEMMA]).tolist()
        of_tag, by_tag, by_lower, anywhere, merged = self.of_tag, self.by_tag, self.by_lower, self.anywhere, self.merged
        extra: dict[int, list[_Rule]] = {}
        for match_id, start, end in self.matcher(doc, allow_missing=True):
            rule, index = self.matched[match_id]
            extra.setdefault(range(start, end)[index], []).append(rule)
        out = []
        for i, row in enumerate(rows):
            pos, morph = of_tag.get(row[0], (0, 0))
            lemma = row[4]
            rules = by_tag.get(row[0], anywhere)
            if row[1] in by_lower:  # the few words with rules of their own; bounded by the patterns
                key = (row[0], row[1])
                if key not in merged:
                    merged[key] = sorted(rules + by_lower[row[1]], key=_order)
                rules = merged[key]
            if i in extra:
                rules = sorted(rules + extra[i], key=_order)
            for rule in rules:  # in the ruler's order: a later pattern overrides an earlier one
                if rule.matches(row):
                    pos = rule.pos if rule.pos is not None else pos
                    lemma = rule.lemma if rule.lemma is not None else lemma
                    morph = rule.morph if rule.morph is not None else morph
            out.append((pos, morph, lemma))
        doc.from_array([POS, MORPH, LEMMA], numpy.array(out, dtype="uint64"))
        return doc


def _order(rule: _Rule) -> int:
    return rule.order
