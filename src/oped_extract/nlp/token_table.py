"""A doc's token attributes as plain lists, read once with `Doc.to_array`: the passes that look at every token
of every sentence (stance evidence, quotation state, reported speech) index these lists instead of making a
`Token` object for each look."""

from __future__ import annotations

from spacy.attrs import IS_ALPHA, IS_PUNCT, IS_QUOTE, IS_SPACE, LEMMA, LIKE_NUM, LOWER, ORTH, POS, SHAPE, SPACY, TAG
from spacy.tokens import Doc

_STRINGS = (ORTH, LOWER, LEMMA, POS, TAG, SHAPE)
_FLAGS = (IS_PUNCT, IS_SPACE, IS_QUOTE, IS_ALPHA, LIKE_NUM, SPACY)


class TokenTable:
    """Per token i of the doc: `text[i]`, `lower[i]`, `lemma[i]` (as set), `lemma_lower[i]`, `pos[i]`, `tag[i]`,
    `shape[i]` (strings, as `Token.text`, `.lower_`, …), and the booleans `punct[i]`, `space[i]` (a whitespace
    token), `quote[i]`, `alpha[i]`, `like_num[i]` and `spaced[i]` (whitespace follows the token)."""

    __slots__ = ("n", "text", "lower", "lemma", "lemma_lower", "pos", "tag", "shape", "punct", "space", "quote",
                 "alpha", "like_num", "spaced")

    def __init__(self, doc: Doc):
        self.n = n = len(doc)
        strings = doc.vocab.strings
        if n:
            columns = doc.to_array([*_STRINGS, *_FLAGS]).T.tolist()
        else:
            columns = [[] for _ in range(len(_STRINGS) + len(_FLAGS))]
        named = {v: strings[v] if v else "" for c in columns[:len(_STRINGS)] for v in set(c)}
        self.text, self.lower, self.lemma, self.pos, self.tag, self.shape = (
            [named[v] for v in c] for c in columns[:len(_STRINGS)])
        self.lemma_lower = [w.lower() for w in self.lemma]
        self.punct, self.space, self.quote, self.alpha, self.like_num, self.spaced = (
            [v == 1 for v in c] for c in columns[len(_STRINGS):])
