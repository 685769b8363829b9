"""How names are written: the span conventions, patterns and label rules of `oped_entities`.

The rules of the project's annotation guide (spans without determiners, possessives, titles or generic heads;
hyphenated names whole; named laws, operations and summits) as functions over a document's tokens. They read
plain string lists (`Tokens`) rather than spaCy Token objects, which keeps the whole pass near a millisecond an
article. Nothing here names a particular article: the word lists are English, the region's naming customs and
news conventions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from spacy.attrs import ORTH, POS, SENT_START, SPACY
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc

# Titles and honorifics before a name; never part of the PERSON span ("Gen. Asim Munir" → "Asim Munir").
# Lowercase, without a trailing full stop.
PERSONAL_TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame",
    "gen", "general", "lt", "lieutenant", "maj", "major", "brig", "brigadier", "col", "colonel", "capt",
    "captain", "cmdr", "commander", "adm", "admiral", "marshal", "sgt", "sergeant", "cpl", "corporal",
    "maulana", "mullah", "mulla", "mufti", "qari", "mirwaiz", "maulvi", "moulvi", "allama", "ayatollah",
    "maharaja", "maharani", "king", "queen", "prince", "princess", "pope", "emperor", "sen", "rep", "gov",
})
# Words that end a title ("Health Secretary", "Supreme Leader", "Lt-Gen", "Chief Justice").
TITLE_HEADS = PERSONAL_TITLES | frozenset({
    "president", "vice-president", "pm", "premier", "chancellor", "minister", "secretary", "senator", "senators",
    "representative", "congressman", "congresswoman", "governor", "mayor", "ambassador", "envoy", "spokesman",
    "spokesperson", "spokeswoman", "justice", "judge", "coas", "cjcsc", "cjp", "dg", "igp", "cm", "chairman",
    "chairperson", "commissioner", "adviser", "advisor", "leader", "nominee", "candidate",
})
# Words that may come before a title head inside a title ("Deputy Prime Minister", "Foreign Minister").
TITLE_MODIFIERS = frozenset({
    "chief", "deputy", "prime", "vice", "supreme", "field", "acting", "former", "late", "caretaker", "interim",
    "senior", "junior", "federal", "provincial", "state", "foreign", "interior", "defence", "defense", "finance",
    "health", "home", "information", "education", "external", "commerce", "trade", "law", "planning",
    "religious", "energy", "water", "railways", "economic", "security", "national", "attorney", "surgeon",
    "inspector", "director", "managing", "executive", "principal", "special", "first", "lady", "air",
    "lt", "lieutenant", "major", "brigadier", "rear", "grand", "high", "labor", "labour", "culture", "-",
})
# Offices between a title and a name: "Minister of Defense Khawaja Asif".
OFFICE_WORDS = frozenset({
    "of", "for", "the", "and", "state", "foreign", "affairs", "interior", "defence", "defense", "finance",
    "information", "health", "education", "law", "justice", "commerce", "trade", "planning", "religious",
    "home", "external", "energy", "water", "railways", "communications", "economic", "human", "rights",
    "national", "food", "security", "broadcasting", "parliamentary", "science", "technology", "industries",
    "labour", "labor", "culture", "tourism", "narcotics", "control", "refugees", "repatriation", "frontier",
    "regions", "overseas", "climate", "change", "environment", "agriculture", "petroleum", "power",
    "housing", "transport", "aviation", "maritime", "shipping", "privatisation", "privatization",
})
# Parts of a name written lowercase ("Zaheer ul Islam", "Tehrik-i-Taliban", "Osama bin Laden").
NAME_PARTICLES = frozenset({
    "ul", "ur", "ud", "us", "un", "uz", "e", "i", "al", "el", "ad", "ed", "bin", "ibn", "binti", "de", "da",
    "van", "von", "der", "den", "la", "le", "di", "du", "dos", "das", "y", "o", "ka", "ki", "um", "tul",
})
PERSON_PARTICLES = frozenset({"ul", "ur", "ud", "us", "uz", "al", "bin", "ibn"})
# Heads outside a place's span: any case for these ("Khost Province", "Kharkiv region"), lowercase for all.
CAPITALISED_ADMIN_HEADS = frozenset({
    "Province", "Provinces", "District", "Region", "Division", "Tehsil", "Governorate", "Oblast",
})
ADMIN_HEADS = frozenset({
    "province", "provinces", "district", "districts", "region", "division", "tehsil", "county", "governorate",
    "oblast", "prefecture", "municipality", "area", "areas",
})
# A capitalised head making the name a natural feature ("Rajgal Valley", "Indus River"): LOC.
LOC_HEADS = frozenset({
    "valley", "river", "mountains", "mountain", "pass", "glacier", "lake", "desert", "plateau", "range", "hills",
    "sea", "ocean", "gulf", "bay", "strait", "straits", "peninsula", "basin", "delta", "plains",
})
# A lowercase head after a bare name makes the name a LOC ("the Neelum valley" → `Neelum` LOC).
LOWER_LOC_HEADS = frozenset({"valley", "river", "mountains", "glacier", "lake", "desert", "pass", "range"})
LAW_HEADS = frozenset({
    "treaty", "agreement", "accord", "accords", "declaration", "act", "amendment", "convention", "charter",
    "protocol", "pact", "ordinance", "constitution",
})
LOWERCASE_LAW_HEADS = frozenset({"treaty", "agreement", "accord", "accords", "declaration", "pact"})
EVENT_HEADS = frozenset({"summit", "olympics", "games"})
FAC_HEADS = frozenset({
    "motorway", "highway", "expressway", "airport", "port", "bridge", "dam", "barrage", "stadium", "tower",
    "towers", "mosque", "masjid", "palace", "fort", "prison", "jail", "airbase", "embassy", "canal", "tunnel",
})
NAMED_EVENTS = frozenset({"9/11", "26/11", "7/7", "Brexit"})
CALENDAR_WORDS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december",
})
SPEECH_VERBS = frozenset({
    "said", "says", "say", "told", "tells", "added", "adds", "stated", "wrote", "writes", "argued", "argues",
    "claimed", "claims", "noted", "notes", "asked", "asks", "insisted", "explained", "warned", "urged",
    "announced", "tweeted", "posted", "replied", "responded", "recalled", "believes", "thinks",
})
PLACE_PREPOSITIONS = frozenset({
    "in", "at", "near", "from", "to", "into", "towards", "toward", "outside", "across", "around", "via",
    "through", "inside", "between", "visited", "besieging", "besieged",
})
PLACE_NOUNS = frozenset({
    "town", "towns", "city", "cities", "village", "villages", "district", "districts", "province", "provinces",
    "area", "areas", "region", "tehsil", "capital", "outskirts", "suburb", "suburbs", "border", "crossing",
    "valley", "residents", "resident", "garrison",
})
TOWN_WORDS = frozenset({"town", "towns", "city", "cities", "village", "villages", "district", "districts"})
# Lowercase prefixes of hyphenated compounds around a name ("anti-Israel", "pro-Palestinian").
COMPOUND_PREFIXES = frozenset({"anti", "pro", "non", "ex", "post", "pre", "neo", "pan", "trans", "inter"})
# Parts of a name the model tends to drop ("Sheikh Rasheed Ahmad", "Khawaja Asif", "Qazi Khalilullah").
NAME_PREFIXES = frozenset({
    "sheikh", "shaikh", "khawaja", "khwaja", "qazi", "syed", "sayed", "sardar", "makhdoom", "chaudhry",
    "chaudhary", "mian", "nawabzada", "sahibzada",
})
# Heads of organisation names: a title before these is part of the name ("General Assembly").
ORG_HEADS = frozenset({
    "assembly", "council", "court", "committee", "commission", "office", "ministry", "department", "agency",
    "bureau", "army", "forces", "force", "corps", "party", "league", "movement", "front", "group", "bank", "fund",
    "university", "college", "school", "hospital", "institute", "foundation", "authority", "board", "staff",
    "headquarters", "directorate", "house", "secretariat", "service", "services", "police", "senate", "congress",
})
HOLIDAYS = frozenset({
    "eid", "ramadan", "ramzan", "diwali", "christmas", "easter", "nowruz", "navroz", "muharram", "ashura", "holi",
    "hanukkah", "thanksgiving", "passover",
})
# Words never a named entity on their own, whatever the model says ("AI" as a country or a company).
NEVER = frozenset({"AI", "A.I."})
# Last words too general to stand alone for a name in the text ("the State" is not the Islamic State).
GENERIC_HEADS = frozenset({
    "state", "government", "army", "party", "court", "office", "ministry", "department", "council", "assembly",
    "republic", "emirate", "union", "front", "movement", "league", "network", "agency", "forces", "force", "group",
    "organisation", "organization", "committee", "commission", "bank", "police", "corps", "taliban", "pakistan",
    "afghanistan", "india", "iran", "china", "province", "line", "international", "news", "times", "post",
})
POSSESSIVES = frozenset({"'s", "’s", "‘s", "'", "’", "‘", "'S", "’S"})
SENTENCE_OPENERS = frozenset({".", "!", "?", ":", ";", "“", '"', "‘", "(", "—", "–", "•", "-"})
# US party–state tags in news copy ("Bill Cassidy, R-La."): AP style abbreviations of the states.
AP_STATES = frozenset({
    "Ala.", "Ariz.", "Ark.", "Calif.", "Colo.", "Conn.", "Del.", "Fla.", "Ga.", "Ill.", "Ind.", "Kan.", "Ky.",
    "La.", "Md.", "Mass.", "Mich.", "Minn.", "Miss.", "Mo.", "Mont.", "Neb.", "Nev.", "N.H.", "N.J.", "N.M.",
    "N.Y.", "N.C.", "N.D.", "Okla.", "Ore.", "Pa.", "R.I.", "S.C.", "S.D.", "Tenn.", "Vt.", "Va.", "Wash.",
    "W.Va.", "Wis.", "Wyo.", "Alaska", "Hawaii", "Idaho", "Iowa", "Maine", "Ohio", "Texas", "Utah",
})
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)")
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_INITIAL = re.compile(r"[A-Z]\.")
_FILLER_POS = frozenset(POS_IDS[p] for p in ("PUNCT", "DET", "CCONJ", "PART", "SPACE"))
_PROPN = POS_IDS["PROPN"]
_NOUNS = frozenset((POS_IDS["NOUN"], POS_IDS["PROPN"]))


@dataclass(frozen=True, slots=True)
class Mention:
    """A candidate entity: token offsets, label, and where it came from."""

    start: int
    end: int
    label: str
    entry: object | None = None  # the GazetteerEntry it matched
    source: str = "model"  # model | gazetteer | rule | place
    place: object | None = None  # the GeoNames place it was recognised as
    name: str | None = None  # the fuller name it stands for ("Arslan" → "Kemal Arslan", "HWF" → its full name)

    def moved(self, start: int, end: int, label: str | None = None) -> Mention:
        return replace(self, start=start, end=end, label=label or self.label)


class Tokens:
    """A document's tokens as plain lists, built once per document."""

    __slots__ = ("doc", "n", "text", "lower", "bare", "glued", "cap", "alpha", "opens", "_pos")

    def __init__(self, doc: Doc):
        self.doc = doc
        strings = doc.vocab.strings
        orths, spaces = doc.to_array([ORTH, SPACY]).T.tolist() if len(doc) else ([], [])
        # Each distinct word's forms once (about half the tokens of an article repeat a word).
        forms = {orth: _forms(strings[orth]) for orth in set(orths)}
        per_token = [forms[orth] for orth in orths]
        self.text = text = [f[0] for f in per_token]
        self.glued = [not space for space in spaces]  # no whitespace after the token
        self.n = len(text)
        self.lower = [f[1] for f in per_token]
        self.bare = [f[2] for f in per_token]
        self.alpha = [f[3] for f in per_token]
        self.cap = [f[4] for f in per_token]
        starts = doc.to_array(SENT_START).tolist() if doc.has_annotation("SENT_START") else None
        self.opens = [
            i == 0 or text[i - 1] in SENTENCE_OPENERS or text[i - 1].isspace()
            or (starts is not None and starts[i] == 1)
            for i in range(self.n)
        ]
        self._pos = None

    @property
    def pos(self):
        if self._pos is None:
            self._pos = self.doc.to_array(POS).tolist() if self.doc.has_annotation("POS") else [0] * self.n
        return self._pos

    def span_text(self, start: int, end: int) -> str:
        text, glued = self.text, self.glued
        return "".join(text[i] if glued[i] or i == end - 1 else text[i] + " " for i in range(start, end))

    def particle(self, i: int) -> bool:
        return self.lower[i] in NAME_PARTICLES

    def hyphen_glued(self, i: int) -> bool:
        """Token i is joined to the token before it by a hyphen with no spaces ("Zarb-i-Azb", "Khyber-IV")."""
        if self.text[i] == "-":
            return i > 0 and self.glued[i - 1] and self.glued[i] and i + 1 < self.n
        return i > 1 and self.text[i - 1] == "-" and self.glued[i - 1] and self.glued[i - 2]


def _forms(word: str) -> tuple[str, str, str, bool, bool]:
    """A word, lower-cased, without trailing full stops, alphabetic, capitalised."""
    lower = word.lower()
    return word, lower, lower.rstrip("."), word.isalpha(), word[:1].isupper() and any(c.isalpha() for c in word)


# -- span conventions on the model's mentions ---------------------------------------------------------------

def trim(t: Tokens, m: Mention, strip_determiners: bool = True, known=None) -> list[Mention]:
    """The model's span under the span conventions: zero, one or more mentions.

    Determiners, punctuation, lowercase compound prefixes ("anti-") and titles go; a possessive ends a name
    ("Narendra Modi’s hubris" → "Narendra Modi"; "Carney’s Liberals" → "Carney" + "Liberals"), but not inside
    one ("Martha’s Vineyard"); a bracket parts a name from its acronym; lowercase and administrative heads go
    ("Kandahar province", "Pakistan army", "Khost Province"); "Jr." joins; a title makes the rest a PERSON.
    """
    start, end, label = m.start, m.end, m.label
    text, lower = t.text, t.lower
    for i in range(start, end):
        if text[i] in ("(", "["):
            closing = next((j for j in range(i + 1, end) if text[j] in (")", "]")), end)
            parts = [(start, i), (i + 1, closing), (closing + 1, end)]
            return [x for s, e in parts if s < e for x in trim(t, m.moved(s, e), strip_determiners, known)]
    for i in range(start + 1, end - 1):
        if text[i] in POSSESSIVES and _possessive_ends_name(t, start, i, known):
            owner = trim(t, m.moved(start, i), strip_determiners, known)
            owned = trim(t, m.moved(i + 1, end), strip_determiners, known) if t.cap[i + 1] and label != "PERSON" else []
            return owner + owned
    if strip_determiners and label != "WORK_OF_ART":
        while start < end - 1 and (lower[start] in ("the", "a", "an") or not any(c.isalnum() for c in text[start])):
            start += 1
    while start < end - 2 and lower[start] in COMPOUND_PREFIXES and text[start + 1] == "-":
        start += 2  # "anti-Israel", "pro-Palestinian"
    while end > start + 1 and (text[end - 1] in POSSESSIVES or not any(c.isalnum() for c in text[end - 1])):
        end -= 1
    if end <= start:
        return []
    start, titled = strip_title(t, start, end)
    if start >= end:
        return []  # a title alone ("COAS", "the PM") is no entity
    if titled and label != "PERSON":
        label = "PERSON"  # "Maharaja Ranjeet Singh" ORG → "Ranjeet Singh" PERSON
    head_label = None
    while end > start + 1 and (
        (t.alpha[end - 1] and lower[end - 1] == text[end - 1] and not t.particle(end - 1))
        or text[end - 1] in CAPITALISED_ADMIN_HEADS
    ):
        word = lower[end - 1]
        if word in LOWER_LOC_HEADS and text[end - 1] == word:
            head_label = "LOC"
        elif word in ADMIN_HEADS:
            head_label = "GPE"
        end -= 1
    while end > start + 1 and (not any(c.isalnum() for c in text[end - 1]) or lower[end - 1] in ("of", "and", "the")):
        end -= 1
    if head_label and label in ("GPE", "LOC", "ORG", "PERSON", "FAC", "NORP"):
        label = head_label
    if label in ("GPE", "ORG", "FAC", "PERSON") and end - start > 1 and lower[end - 1] in LOC_HEADS and t.cap[end - 1]:
        label = "LOC"
    if label == "PERSON":
        end = generational_suffix(t, end)
        if start > 0 and lower[start - 1] in NAME_PREFIXES and t.cap[start - 1]:
            start -= 1
    if not any(t.cap[i] or text[i][:1].isdigit() for i in range(start, end)):
        return []
    return [m.moved(start, end, label)]


def _possessive_ends_name(t: Tokens, start: int, i: int, known) -> bool:
    """Does the possessive at i end a name ("Elon Musk’s Grok", "Biden’s FDA") rather than sit inside one
    ("Martha’s Vineyard", "Queen’s University")?"""
    after = t.text[i + 1]
    if not t.cap[i + 1] or after[:1].isdigit() or after.isupper():
        return True  # "Narendra Modi’s hubris", "Bolsonaro’s 2018 campaign", "Biden’s FDA"
    if i - start >= 2:
        return True  # a full name owns what follows
    return bool(known and known(t.span_text(start, i)))


def strip_title(t: Tokens, start: int, end: int) -> tuple[int, bool]:
    """The start after a leading title ("Health Secretary", "Lt-Gen", "Minister of Defense"), and whether one
    was there."""
    last = -1
    bare, text = t.bare, t.text
    for i in range(start, end):
        word = bare[i]
        if word in TITLE_HEADS and not (i + 1 < end and text[i + 1] in POSSESSIVES):
            last = i
        elif not (word in TITLE_MODIFIERS or text[i] in (".",)):
            break
    if last < 0:
        return start, False
    new_start = last + 1
    while new_start < end and text[new_start] in ("-", ".", ","):
        new_start += 1
    if new_start < end and t.lower[new_start] in ("of", "for"):
        j = new_start
        while j < end and bare[j] in OFFICE_WORDS:
            j += 1
        if j < end and t.cap[j]:
            new_start = j
    return new_start, True


def generational_suffix(t: Tokens, end: int) -> int:
    """"Robert F. Kennedy, Jr." keeps its suffix."""
    if end < t.n and t.bare[end] in ("jr", "sr") and t.cap[end]:
        return end + 1
    if end + 1 < t.n and t.text[end] == "," and t.bare[end + 1] in ("jr", "sr") and t.cap[end + 1]:
        return end + 2
    return end


# -- patterns: named laws, events, facilities; party–state tags; titled names ---------------------------------

def _run_end(t: Tokens, i: int, limit: int = 8) -> int:
    """End of the name that starts at i: capitalised words, particles, hyphen-joined parts."""
    j = i + 1
    while j < t.n and j - i < limit and _continues_name(t, j):
        j += 1
    while j > i + 1 and t.text[j - 1] == "-":
        j -= 1
    return j


def _continues_name(t: Tokens, j: int) -> bool:
    if t.hyphen_glued(j) or (t.text[j][:1].isdigit() and t.cap[j - 1]):
        return True
    if t.cap[j]:
        return t.lower[j] not in CALENDAR_WORDS  # "the Treaty of Lisbon Monday" is no name
    joiner = t.particle(j) or t.lower[j] in ("of", "for")
    return joiner and j + 1 < t.n and t.cap[j + 1] and t.lower[j + 1] not in CALENDAR_WORDS


def _run_start(t: Tokens, end: int, limit: int = 8) -> int:
    """Start of the name that ends just before `end`, walking left (never over a determiner)."""
    i = end
    while i > 0 and end - i < limit and _extends_name_left(t, i - 1):
        i -= 1
    while i < end and not t.cap[i] and not _YEAR.fullmatch(t.text[i]):
        i += 1
    return i


_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "its", "their", "his", "her"})


def _extends_name_left(t: Tokens, k: int) -> bool:
    text = t.text[k]
    if t.cap[k]:
        return t.lower[k] not in _DETERMINERS
    if text[:1].isdigit():
        return (k > 0 and t.cap[k - 1]) or bool(_YEAR.fullmatch(text))
    joiner = text in ("-", "&") or t.lower[k] in ("of", "on", "for") or t.particle(k)
    return joiner and k > 0 and t.cap[k - 1]


def patterns(t: Tokens) -> list[Mention]:
    """Named laws, operations, summits and facilities by their heads; "War on Terror"; "9/11"; the platform
    X; party–state tags ("R-La.")."""
    found: list[Mention] = []
    text, lower, cap = t.text, t.lower, t.cap
    i = 0
    while i < t.n:
        word = t.bare[i]
        if text[i] in NAMED_EVENTS:
            found.append(Mention(i, i + 1, "EVENT", source="rule"))
        elif text[i] == "Operation" and i + 1 < t.n and cap[i + 1]:
            end = _run_end(t, i + 1, limit=6)
            found.append(Mention(i, end, "EVENT", source="rule"))
            i = end
            continue
        elif word in LAW_HEADS:
            law = _law(t, i)
            if law is not None:
                found.append(law)
        elif word in EVENT_HEADS and cap[i] and (start := _run_start(t, i)) < i:
            found.append(Mention(start, i + 1, "EVENT", source="rule"))
        elif word in FAC_HEADS and cap[i] and (start := _run_start(t, i)) < i:
            found.append(Mention(start, i + 1, "FAC", source="rule"))
        elif text[i] in ("R", "D", "I") and i + 2 < t.n and text[i + 1] == "-" and text[i + 2] in AP_STATES \
                and i > 0 and text[i - 1] in (",", "("):
            found.append(Mention(i + 2, i + 3, "GPE", source="rule"))
            i += 3
            continue
        elif text[i] == "X" and _platform_x(t, i):
            found.append(Mention(i, i + 1, "ORG", source="rule"))
        elif word in LOWER_LOC_HEADS and text[i] == word and i > 0 and cap[i - 1] and t.alpha[i - 1] \
                and not t.opens[i - 1]:
            found.append(Mention(i - 1, i, "LOC", source="rule"))  # "the Neelum valley" → `Neelum` LOC
        elif text[i] == "War" and i + 2 < t.n and lower[i + 1] == "on" and cap[i + 2]:
            found.append(Mention(i, i + 3, "EVENT", source="rule"))
            i += 3
            continue
        i += 1
    return found


def _law(t: Tokens, i: int) -> Mention | None:
    word, text = t.bare[i], t.text
    if word == "amendment" and i > 0 and _ORDINAL.fullmatch(t.lower[i - 1]):
        return Mention(i - 1, i + 1, "LAW", source="rule")  # "the 26th amendment"
    if word == "constitution":
        if t.cap[i] and i > 0 and t.lower[i - 1] == "the" and not t.opens[i]:
            return Mention(i, i + 1, "LAW", source="rule")  # "the Constitution"
        return None
    if t.cap[i]:
        start = _run_start(t, i)
        if start < i:
            return Mention(start, i + 1, "LAW", source="rule")  # "Indus Waters Treaty", "Online Safety Act"
        if i + 2 < t.n and t.lower[i + 1] == "of" and t.cap[i + 2] and not t.opens[i]:
            return Mention(i, _run_end(t, i + 2, limit=5), "LAW", source="rule")  # "Treaty of Versailles"
        return None
    # A lowercase head names an agreement after one capitalised word and "the": "the Paris agreement".
    if word in LOWERCASE_LAW_HEADS and text[i] == t.lower[i] and i >= 2 and t.cap[i - 1] and t.alpha[i - 1] \
            and t.lower[i - 2] == "the":
        return Mention(i - 1, i + 1, "LAW", source="rule")
    return None


def _platform_x(t: Tokens, i: int) -> bool:
    """"X" the platform: "on X", "the official X handle", "posted on X, formerly Twitter"."""
    nxt = t.lower[i + 1] if i + 1 < t.n else ""
    prev = t.lower[i - 1] if i > 0 else ""
    if nxt in ("handle", "account", "accounts", "post", "posts", "platform", "user", "users", "feed", "page"):
        return True
    return prev in ("on", "via") and not (i + 1 < t.n and (t.cap[i + 1] or t.text[i + 1][:1].isdigit()))


def titled_people(t: Tokens) -> list[Mention]:
    """A name right after a title is a person even where the model saw none ("Lt-Gen Faiz Hameed",
    "National Security Adviser Moeed", "Minister of Defense Khawaja Asif")."""
    found = []
    n, text, bare, cap = t.n, t.text, t.bare, t.cap
    for i in range(n):
        word = bare[i]
        if word not in TITLE_HEADS or not cap[i]:
            continue
        # A title inside an organisation's name ("UN General Assembly") is no title.
        if i > 0 and cap[i - 1] and not t.opens[i - 1] and bare[i - 1] not in TITLE_MODIFIERS \
                and bare[i - 1] not in TITLE_HEADS:
            continue
        j = i + 1
        while j < n and text[j] in ("-", "."):
            j += 1
        if j < n and cap[j] and (bare[j] in TITLE_HEADS or bare[j] in TITLE_MODIFIERS):
            continue  # the title goes on ("Lt-Gen"): its last word decides
        if j < n and t.lower[j] in ("of", "for"):
            while j < n and bare[j] in OFFICE_WORDS:
                j += 1
        if j >= n or not cap[j] or not t.alpha[j]:
            continue
        end = j
        while end < n and end - j < 5 and (
            cap[end] and (t.alpha[end] or _INITIAL.fullmatch(text[end]))
            or t.lower[end] in PERSON_PARTICLES and end + 1 < n and cap[end + 1]
        ):
            end += 1
        if bare[end - 1] in TITLE_HEADS or bare[end - 1] in ORG_HEADS:
            continue
        found.append(Mention(j, generational_suffix(t, end), "PERSON", source="rule"))
    return found


# -- merging ------------------------------------------------------------------------------------------------

def merge(t: Tokens, strong: list[Mention], model: list[Mention]) -> list[Mention]:
    """Gazetteer and rule mentions, plus the model's mentions they do not contradict; no overlaps.

    A model name longer than the gazetteer names inside it stays whole ("Islamabad High Court"); one made of
    gazetteer names and filler gives way to them ("Pakistan-Afghanistan"), keeping any leftover proper name.
    """
    dropped: set[int] = set()
    kept: list[Mention] = []
    for m in model:
        inside = [k for k, g in enumerate(strong) if g.start < m.end and m.start < g.end]
        if not inside:
            kept.append(m)
            continue
        gs = [strong[k] for k in inside]
        if all(m.start <= g.start and g.end <= m.end for g in gs) and all(g.source != "rule" for g in gs) \
                and not _names_only(t, m, gs):
            kept.append(m)
            dropped.update(inside)
            continue
        kept.extend(_leftovers(t, m, gs))
    merged = sorted([g for k, g in enumerate(strong) if k not in dropped] + kept, key=lambda m: (m.start, -m.end))
    out: list[Mention] = []
    for m in merged:
        if out and m.start < out[-1].end:
            continue  # trimmed model mentions may still overlap: the first stays
        out.append(m)
    return out


def _is_filler(t: Tokens, i: int) -> bool:
    return t.pos[i] in _FILLER_POS or not any(c.isalnum() for c in t.text[i]) or t.text[i] in POSSESSIVES \
        or t.lower[i] == "the"


def _names_only(t: Tokens, m: Mention, inside: list[Mention]) -> bool:
    """The model's span adds no capitalised word to the names inside it ("Pakistan-Afghanistan", "the Simla
    Agreement on Instagram"), unlike "Islamabad High Court"."""
    covered = {i for g in inside for i in range(g.start, g.end)}
    return all(i in covered or _is_filler(t, i) or not t.cap[i] for i in range(m.start, m.end))


def _leftovers(t: Tokens, m: Mention, inside: list[Mention]) -> list[Mention]:
    covered = {i for g in inside for i in range(g.start, g.end)}
    runs: list[list[int]] = [[]]
    for i in range(m.start, m.end):
        if i in covered:
            runs.append([])
        else:
            runs[-1].append(i)
    out = []
    for run in runs:
        while run and _is_filler(t, run[0]):
            run = run[1:]
        while run and _is_filler(t, run[-1]):
            run = run[:-1]
        if run and any(t.pos[i] == _PROPN and len(t.text[i].rstrip(".")) > 1 for i in run):
            out.append(Mention(run[0], run[-1] + 1, m.label))
    return out


# -- document-level rules -------------------------------------------------------------------------------------

def acronyms(t: Tokens, mentions: list[Mention]) -> list[Mention]:
    """"Rapid Support Forces (RSF)": the acronym takes the name's label and id, there and wherever it recurs."""
    defined: dict[str, Mention] = {}
    for m in mentions:
        i = m.end
        if i + 2 < t.n and t.text[i] == "(" and t.text[i + 2] == ")" and is_acronym(t.text[i + 1]):
            defined.setdefault(t.text[i + 1], m)
    if not defined:
        return mentions
    covered = {i: m for m in mentions for i in range(m.start, m.end)}
    out = list(mentions)
    for i, word in enumerate(t.text):
        ref = defined.get(word)
        if ref is None:
            continue
        existing = covered.get(i)
        entry = ref.entry if ref.source == "gazetteer" else None
        if existing is None:
            out.append(Mention(i, i + 1, ref.label, entry, "rule" if entry is None else "gazetteer",
                               name=None if entry else t.span_text(ref.start, ref.end)))
        elif (existing.start, existing.end, existing.source) == (i, i + 1, "model") and existing.label != ref.label:
            out[out.index(existing)] = existing.moved(i, i + 1, ref.label)
    return sorted(out, key=lambda m: m.start)


def is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return 2 <= len(letters) <= 8 and sum(c.isupper() for c in letters) >= 2 and word[:1].isupper()


def surnames(t: Tokens, mentions: list[Mention]) -> list[Mention]:
    """A surname alone is the person named in full elsewhere in the article ("Ghani" after "Ashraf Ghani",
    "Trump-like" after "Donald Trump"), not a place, a nationality or an organisation."""
    people: dict[str, Mention] = {}
    for m in mentions:
        if m.label == "PERSON" and m.end - m.start >= 2:
            last = m.end - 1
            word = t.text[last]
            if t.cap[last] and t.alpha[last] and len(word) >= 3 and t.bare[last] not in ("jr", "sr"):
                people.setdefault(word, m)
    if not people:
        return mentions
    out = []
    for m in mentions:
        person = people.get(t.text[m.start]) if m.end - m.start == 1 else None
        if person is None or m is person or m.entry is not None and m.label == "PERSON":
            out.append(m)
        elif m.source == "model" or m.label == "NORP" and not _adjectival(t, m.end):
            out.append(_same_person(t, m.start, person))
        else:
            out.append(m)
    covered = {i for m in out for i in range(m.start, m.end)}
    for i, word in enumerate(t.text):
        person = people.get(word)
        if person is not None and i not in covered:
            out.append(_same_person(t, i, person))
    return sorted(out, key=lambda m: m.start)


def _same_person(t: Tokens, i: int, person: Mention) -> Mention:
    """The surname at i, as the person named in full: their gazetteer entry or their full name."""
    if person.entry is not None:
        return Mention(i, i + 1, "PERSON", person.entry, person.source)
    return Mention(i, i + 1, "PERSON", name=person.name or t.span_text(person.start, person.end))


def _adjectival(t: Tokens, i: int) -> bool:
    """The next word is a lowercase noun the name modifies ("Baloch insurgents")."""
    return i < t.n and t.alpha[i] and t.text[i] == t.lower[i] and t.pos[i] in _NOUNS


def short_forms(t: Tokens, mentions: list[Mention]) -> list[Mention]:
    """"the Fund" after the IMF, "the Valley" after the Kashmir Valley: a name's last word standing for it."""
    heads: dict[str, Mention] = {}
    for m in mentions:
        if m.label not in ("ORG", "LOC"):
            continue
        name = m.entry.canonical_name if m.entry is not None else t.span_text(m.start, m.end)
        words = name.split()
        last = words[-1]
        if len(words) > 1 and last.isalpha() and last[:1].isupper() and last.lower() not in GENERIC_HEADS:
            heads.setdefault(last, m)
    if not heads:
        return mentions
    out = [m for m in mentions if not (
        m.end - m.start == 1 and m.source == "model" and t.text[m.start] in heads and _after_the(t, m.start))]
    covered = {i for m in out for i in range(m.start, m.end)}
    for i, word in enumerate(t.text):
        ref = heads.get(word)
        if ref is None or i in covered or not _after_the(t, i) or t.opens[i]:
            continue
        if i + 1 < t.n and t.cap[i + 1]:
            continue
        out.append(Mention(i, i + 1, ref.label, ref.entry, ref.source,
                           name=None if ref.entry else ref.name or t.span_text(ref.start, ref.end)))
    return sorted(out, key=lambda m: m.start)


def _after_the(t: Tokens, i: int) -> bool:
    return i > 0 and t.lower[i - 1] == "the"


def place_context(t: Tokens, s: int, e: int, place_starts: set[int], place_ends: set[int]) -> bool:
    """The words around say it is a place: "in X", "the towns of X and Y", "X district", "Panjgur/X"."""
    prev = t.lower[s - 1] if s > 0 else ""
    nxt = t.lower[e] if e < t.n else ""
    if prev in PLACE_PREPOSITIONS or nxt in PLACE_NOUNS:
        return True
    if prev == "of" and s > 1 and t.lower[s - 2] in PLACE_NOUNS:
        return True
    if prev in (",", "and", "or", "/") and s - 1 in place_ends:
        return True
    return nxt in (",", "and", "or", "/") and e + 1 in place_starts


def never(t: Tokens, m: Mention) -> bool:
    """Mentions dropped whatever their source: "AI", holidays, office words before a title ("Interior
    Minister"), a stray letter."""
    if t.span_text(m.start, m.end) in NEVER and m.label != "EVENT":
        return True
    if t.bare[m.start] in HOLIDAYS:
        return True
    if m.source != "model":
        return False
    if m.label == "ORG" and m.end - m.start == 1 and m.end < t.n and t.bare[m.end] in (
            "minister", "ministers", "secretary", "adviser", "advisor"):
        return True
    return m.end - m.start == 1 and len(t.text[m.start].rstrip(".")) < 2
