"""Sentence boundaries for op-ed prose: the `oped_sentence_bounds` component (runs before the parser)."""

from __future__ import annotations

import re

import numpy
from spacy.attrs import IS_PUNCT, IS_SPACE, ORTH, SENT_START
from spacy.errors import Errors
from spacy.language import Language
from spacy.tokens import Doc, Span

# Abbreviations that end in a period but almost never end a sentence (titles, ranks, "No. 10", months).
TITLE_ABBREVIATIONS = frozenset({
    "mr.", "mrs.", "ms.", "dr.", "prof.", "gen.", "lt.", "col.", "maj.", "capt.", "cpt.", "sgt.", "adm.", "brig.",
    "cmdr.", "gov.", "sen.", "rep.", "pres.", "amb.", "hon.", "rev.", "fr.", "st.", "mt.", "ft.", "no.", "nos.",
    "vs.", "v.", "e.g.", "i.e.", "cf.", "approx.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep.",
    "sept.", "oct.", "nov.", "dec.", "jr.", "sr.", "inc.", "corp.", "ltd.", "co.", "dept.", "univ.", "art.", "sec.",
})
# "U.S.", "U.K.", "U.N.", "E.U.", "p.m.": an initialism ends a sentence only if a new one plainly starts.
INITIALISM = re.compile(r"^(?:[A-Za-z]\.){2,}$")
SENTENCE_OPENERS = frozenset({
    "the", "a", "an", "it", "its", "he", "she", "they", "we", "i", "you", "this", "that", "these", "those", "but",
    "and", "yet", "so", "in", "on", "at", "for", "if", "when", "while", "as", "there", "his", "her", "their", "our",
    "after", "before", "since", "however", "meanwhile",
})


@Language.factory(
    "oped_sentence_bounds",
    default_config={"split_on_newlines": True},
    assigns=["token.is_sent_start"],
    requires=["token.tag"],
)
def make_sentence_bounds(nlp: Language, name: str, split_on_newlines: bool) -> SentenceBounds:
    return SentenceBounds(split_on_newlines)


class SentenceBounds:
    """Presets is_sent_start where op-ed prose is unambiguous; the parser (or, in the fast profile, the
    rule-based sentencizer it runs after) decides the rest.

    True: the first token after a newline (a paragraph break). False: after semicolons and colons, after title
    abbreviations and most initialisms, on a closing quote after end punctuation, on lower-case words after ?/!
    ("'Why now?' he asked."), and on the newline tokens themselves (they stay with the sentence they end).
    """

    def __init__(self, split_on_newlines: bool = True):
        self.split_on_newlines = split_on_newlines

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) < 2:
            return doc
        if doc.has_annotation("DEP"):
            raise ValueError(Errors.E043)  # as Token.is_sent_start would: the parse already set the boundaries
        # A word after a word is decided by no rule below (most tokens): those are skipped without making a
        # Token, from two flags per token and whether its text ends in a full stop. The boundaries are read and
        # written as one array (setting Token.is_sent_start checks the whole doc for a parse each time).
        strings = doc.vocab.strings
        orths, punct, space, old_starts = doc.to_array([ORTH, IS_PUNCT, IS_SPACE, SENT_START]).T.tolist()
        dotted = {orth: strings[orth].endswith(".") for orth in set(orths)}
        marked = [p or s or dotted[o] for o, p, s in zip(orths, punct, space, strict=True)]
        starts = [1 if v == 1 else 0 if v == 0 else -1 for v in old_starts]  # True, unset, False
        opened_by_quote = False
        for i in range(1, len(doc)):
            if not (opened_by_quote or punct[i] or space[i] or marked[i - 1]):
                continue
            tok, prev = doc[i], doc[i - 1]
            if tok.is_space or opened_by_quote:
                starts[i] = -1  # nor does the word right after a quote that opened the sentence
            elif self.split_on_newlines and "\n" in (prev.text if prev.is_space else prev.whitespace_):
                starts[i] = 1
            elif _never_starts_after(prev, tok):
                starts[i] = -1
            elif tok.is_quote and prev.text in (".", "?", "!") and prev.whitespace_:
                starts[i] = 1  # '… said. "Never."': a quote opening after a full stop opens a sentence
            elif INITIALISM.match(prev.text):
                starts[i] = 1  # "… at 10 a.m. Officials …": _never_starts_after let it through
            opened_by_quote = bool(tok.is_quote and starts[i] == 1 and tok.whitespace_ == "")
        doc.from_array([SENT_START], numpy.array(starts, dtype=numpy.int64).astype(numpy.uint64))
        return doc


def _never_starts_after(prev, tok) -> bool:
    if prev.text in (";", ":", ",", "—", "–", "(") or prev.text in ("-",):
        return True
    if tok.is_quote and prev.text in (".", "?", "!", "…") and (tok.text in ("”", "’", "»") or not prev.whitespace_):
        return True  # the closing quote belongs to the sentence it closes
    if tok.is_punct and tok.text in (")", ",", ";", ":", ".", "?", "!"):
        return True
    low = prev.text.lower()
    if low in TITLE_ABBREVIATIONS:
        return True
    if prev.text == "." and prev.i > 0 and not prev.doc[prev.i - 1].whitespace_ \
            and prev.doc[prev.i - 1].lower_ + "." in TITLE_ABBREVIATIONS:
        return True  # "Lt." split by the tokenizer into "Lt" "."
    if INITIALISM.match(prev.text):
        # Before the parser the tagger has run: "U.S. Army" (NNP) continues, "U.S. The" may end a sentence.
        return not (tok.is_title and (tok.lower_ in SENTENCE_OPENERS or tok.tag_ not in ("NNP", "NNPS")))
    if prev.text in ("?", "!") or prev.is_quote and tok.i >= 2 and prev.doc[tok.i - 2].text in ("?", "!"):
        return tok.is_lower and tok.is_alpha
    return False


def trim_whitespace(sent: Span) -> Span:
    """The sentence without leading/trailing whitespace tokens (the newline that ends a paragraph)."""
    start, end = sent.start, sent.end
    while start < end and sent.doc[start].is_space:
        start += 1
    while end > start and sent.doc[end - 1].is_space:
        end -= 1
    return sent.doc[start:end]
