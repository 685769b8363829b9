"""Sentence boundaries for op-ed prose: the `oped_sentence_bounds` component (runs before the parser)."""

from __future__ import annotations

import re

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
        opened_by_quote = False
        for tok in doc[1:]:
            prev = doc[tok.i - 1]
            if not (opened_by_quote or tok.is_punct or tok.is_space or prev.is_punct or prev.is_space
                    or prev.text.endswith(".")):
                continue  # a word after a word: no rule below applies (most tokens; keeps this cheap)
            if tok.is_space or opened_by_quote:
                tok.is_sent_start = False  # nor does the word right after a quote that opened the sentence
            elif self.split_on_newlines and "\n" in (prev.text if prev.is_space else prev.whitespace_):
                tok.is_sent_start = True
            elif _never_starts_after(prev, tok):
                tok.is_sent_start = False
            elif tok.is_quote and prev.text in (".", "?", "!") and prev.whitespace_:
                tok.is_sent_start = True  # '… said. "Never."': a quote opening after a full stop opens a sentence
            elif INITIALISM.match(prev.text):
                tok.is_sent_start = True  # "… at 10 a.m. Officials …": _never_starts_after let it through
            opened_by_quote = bool(tok.is_quote and tok.is_sent_start and tok.whitespace_ == "")
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
