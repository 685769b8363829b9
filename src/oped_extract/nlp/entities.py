"""Entity mentions with canonical ids: the `oped_entities` component.

The model's NER, corrected and completed: the span conventions and patterns of `entity_rules`, a gazetteer of
the entities users care about (canonical ids and every name they go by), the region's towns from GeoNames
(`places`), and label corrections from context. Every mention gets an `entity_id`, also set as spaCy's
`ent.kb_id_` and `ent.id_`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from oped_extract.errors import ConfigError
from oped_extract.nlp import entity_rules as rules
from oped_extract.nlp import extensions  # noqa: F401  (registers Span._ attributes)
from oped_extract.nlp.entity_rules import Mention, Tokens
from oped_extract.nlp.places import REGION, Place, fold, place_index, regional_places

# Named-entity labels kept in doc.ents; numeric types (DATE, CARDINAL, MONEY, …) are not entities users join on.
NAMED_LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
)
DEFAULT_GAZETTEER = "gazetteer.jsonl"
_REQUIRED = ("entity_id", "canonical_name", "label")
# An alias without a run of three lowercase letters ("TTP", "IS-K", "U.N.", "LeT") is an acronym: match it
# case-sensitively so that "us" or "un" in running text never becomes a country or the United Nations.
_WORDLIKE = re.compile(r"[a-z]{3}")


def derived_entity_id(text: str, label: str) -> str:
    """Deterministic id for a name outside the gazetteer, so the same name joins across articles."""
    # Curly and straight apostrophes must give the same id ("Pakistan’s" = "Pakistan's"), so unify them
    # before the ASCII fold, which would otherwise drop the curly one.
    norm = re.sub(r"[’‘ʼ`]", "'", " ".join(text.split()))
    norm = unicodedata.normalize("NFKD", norm).encode("ascii", "ignore").decode().lower()
    norm = re.sub(r"^(the)\s+", "", norm)
    norm = re.sub(r"'s?$", "", norm).replace("'", "")
    slug = re.sub(r"[^a-z0-9]+", "-", norm).strip("-") or "x"
    return f"{label.lower()}:{slug}"


def display_name(text: str) -> str:
    """The canonical name of a mention outside the gazetteer: the same normalisation as its entity_id."""
    name = " ".join(text.split())
    name = re.sub(r"^(the|The|THE)\s+", "", name)
    return re.sub(r"['’]s?$", "", name) or name


@dataclass(frozen=True)
class GazetteerEntry:
    """One entity users care about: its canonical id and name, label, the names it goes by, and where it is."""

    entity_id: str
    canonical_name: str
    label: str
    aliases: tuple[str, ...] = ()
    kb_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    country_code: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.canonical_name, *self.aliases)


@dataclass
class Gazetteer:
    """Entries by entity_id, and the files they came from (bundled first, then the user's)."""

    entries: dict[str, GazetteerEntry] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, entity_id: str) -> GazetteerEntry:
        return self.entries[entity_id]


def bundled_gazetteer_path() -> Path:
    """The gazetteer shipped as package data."""
    return Path(str(resources.files("oped_extract.data").joinpath(DEFAULT_GAZETTEER)))


def load_gazetteer(path: str | Path | None = None, extra_paths: Iterable[str | Path] = ()) -> Gazetteer:
    """Read the gazetteer (bundled when `path` is None), then each extra file.

    A later file wins: its entity_id replaces an earlier record, and a name it gives an entity is taken from
    whichever earlier entity had it ("JUI-F" moved to the user's own record).
    """
    gazetteer = Gazetteer()
    for source in [Path(path) if path else bundled_gazetteer_path(), *map(Path, extra_paths)]:
        entries = _read_entries(source)
        if gazetteer.entries:
            taken = {name.lower() for e in entries for name in e.names}
            for old in list(gazetteer.entries.values()):
                kept = tuple(a for a in old.aliases if a.lower() not in taken)
                if kept != old.aliases:
                    gazetteer.entries[old.entity_id] = replace(old, aliases=kept)
        for entry in entries:
            gazetteer.entries[entry.entity_id] = entry
        gazetteer.sources.append(str(source))
    return gazetteer


def _read_entries(path: Path) -> list[GazetteerEntry]:
    if not path.is_file():
        raise ConfigError(f"gazetteer file not found: {path}")
    entries = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"gazetteer line is not valid JSON ({exc.msg}): {where}") from exc
        entries.append(_entry(record, where))
    return entries


def _entry(record: object, where: str) -> GazetteerEntry:
    if not isinstance(record, dict):
        raise ConfigError(f"gazetteer record must be a JSON object: {where}")
    missing = [k for k in _REQUIRED if not isinstance(record.get(k), str) or not record[k].strip()]
    if missing:
        raise ConfigError(f"gazetteer record lacks {', '.join(missing)} (non-empty strings required): {where}")
    aliases = record.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ConfigError(f"gazetteer 'aliases' must be a list of non-empty strings: {where}")
    lat, lon = record.get("lat"), record.get("lon")
    if (lat is None) != (lon is None) or any(v is not None and not isinstance(v, (int, float)) for v in (lat, lon)):
        raise ConfigError(f"gazetteer 'lat' and 'lon' must both be numbers or both be absent: {where}")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError(f"gazetteer coordinates out of range ({lat}, {lon}): {where}")
    return GazetteerEntry(
        entity_id=record["entity_id"].strip(),
        canonical_name=record["canonical_name"].strip(),
        label=record["label"].strip().upper(),
        aliases=tuple(a.strip() for a in aliases),
        kb_id=record.get("kb_id") or None,
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
        country_code=(record.get("country_code") or None) and record["country_code"].upper(),
    )



_JOINT = re.compile(r"(?<=\w)([- ])(e|i|ul|ur|ud|al|ut|tul)([- ])(?=\w)")


def spelling_variants(name: str) -> list[str]:
    """The usual spellings of a name joined by a particle: "Tehrik-e-Taliban" also as "Tehrik-i-Taliban",
    "Tehrik-e Taliban", "Tehrik e Taliban"; a name without one stands as it is."""
    joints = list(_JOINT.finditer(name))
    if not joints or len(joints) > 2:
        return [name]
    variants = [""]
    pos = 0
    for joint in joints:
        particle = joint.group(2)
        forms = sorted({particle, {"e": "i", "i": "e"}.get(particle, particle)})
        options = [f"{a}{p}{b}" for p in forms for a, b in (("-", "-"), ("-", " "), (" ", " "), (" ", "-"))]
        variants = [v + name[pos:joint.start()] + o for v in variants for o in options]
        pos = joint.end()
    return list(dict.fromkeys([name] + [v + name[pos:] for v in variants]))


@Language.factory(
    "oped_entities",
    default_config={
        "gazetteer_path": None,
        "extra_gazetteer_paths": [],
        "labels": list(NAMED_LABELS),
        "strip_determiners": True,
        "regional_places": True,
    },
    assigns=["doc.ents", "token.ent_iob", "token.ent_type", "span._.entity_id", "span._.canonical_name"],
    requires=["doc.ents", "token.tag"],
)
def make_entities(
    nlp: Language,
    name: str,
    gazetteer_path: str | None,
    extra_gazetteer_paths: list[str],
    labels: list[str],
    strip_determiners: bool,
    regional_places: bool,
) -> EntityLinker:
    # A saved pipeline brings its own gazetteer (from_disk) and need not find the files it was built from; a
    # file still missing when the first document arrives is an error then.
    missing = [p for p in (gazetteer_path, *extra_gazetteer_paths) if p and not Path(p).is_file()]
    gazetteer = load_gazetteer(None if gazetteer_path in missing else gazetteer_path,
                               [p for p in extra_gazetteer_paths if p not in missing])
    linker = EntityLinker(nlp, gazetteer, labels, strip_determiners, regional_places)
    linker.missing = missing
    return linker


# Labels the model gives places by mistake; a GeoNames place under one of them becomes a GPE.
_PLACE_MISTAKES = frozenset({"ORG", "PERSON", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "NORP", "EVENT"})
_REGION = frozenset(REGION)
# What found a mention outside the gazetteer, as stored in the `source` column.
_SOURCES = {"place": "geonames", "rule": "rule"}
# A place recognised by name whose namesakes leave it without a point.
_NO_POINT = Place(0, "", "city", None, None, None)


def _real(place: Place | None) -> Place | None:
    return None if place is None or place.geonameid == 0 else place


class EntityLinker:
    """Puts the gazetteer's names, the rules and GeoNames over the model's NER; every mention gets an id.

    Gazetteer names and rule patterns win where they disagree with the model ("The Durand Line" ORG becomes
    "Durand Line" LOC); a longer model name that merely contains a gazetteer name ("Islamabad High Court")
    stays the model's. Only `labels` are kept in doc.ents.
    """

    def __init__(self, nlp: Language, gazetteer: Gazetteer, labels: Sequence[str], strip_determiners: bool = True,
                 regional: bool = True):
        self.vocab = nlp.vocab
        self._make_doc = nlp.make_doc
        self.labels = frozenset(labels)
        self.strip_determiners = strip_determiners
        self.regional = regional
        self.missing: list[str] = []  # gazetteer files named in the config but not found
        self._use(gazetteer)

    def _use(self, gazetteer: Gazetteer) -> None:
        """(Re)build the matchers for a gazetteer."""
        self.gazetteer = gazetteer
        self.exact_matcher = PhraseMatcher(self.vocab, attr="ORTH")
        self.caseless_matcher = PhraseMatcher(self.vocab, attr="LOWER")
        exact: dict[str, list[Doc]] = {}
        caseless: dict[str, list[Doc]] = {}
        self._capitals: dict[str, tuple[bool, ...]] = {}
        for entry in gazetteer.entries.values():
            for alias in dict.fromkeys(v for name in entry.names for v in spelling_variants(name)):
                words = self._make_doc(alias)
                case_sensitive = alias.islower() or not _WORDLIKE.search(alias)
                (exact if case_sensitive else caseless).setdefault(entry.entity_id, []).append(words)
                # Which words the alias capitalises: "Pakistan Army" must not match "Pakistan army".
                self._capitals.setdefault(words.text.lower(), tuple(w.text[:1].isupper() for w in words))
        for matcher, patterns in ((self.exact_matcher, exact), (self.caseless_matcher, caseless)):
            for entity_id, docs in patterns.items():
                matcher.add(entity_id, docs)
        # Match ids are string hashes; resolve them without touching the StringStore per document.
        self._by_hash = {self.vocab.strings[e]: gazetteer[e] for e in gazetteer.entries}
        self._names = {fold(n) for e in gazetteer.entries.values() for n in e.names}
        self._place_names = {fold(n) for e in gazetteer.entries.values() if e.label in ("GPE", "LOC") for n in e.names}
        self._place_ids = {e.entity_id for e in gazetteer.entries.values() if e.label in ("GPE", "LOC")}

    # -- serialisation: a saved pipeline keeps the gazetteer it ran with -------------------------------------
    def to_disk(self, path, *, exclude=()):
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with (path / "gazetteer.jsonl").open("w", encoding="utf-8") as fh:
            for e in self.gazetteer.entries.values():
                record = {"entity_id": e.entity_id, "canonical_name": e.canonical_name, "label": e.label,
                          "aliases": list(e.aliases), "kb_id": e.kb_id, "lat": e.lat, "lon": e.lon,
                          "country_code": e.country_code}
                fh.write(json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False) + "\n")

    def from_disk(self, path, *, exclude=()):
        saved = Path(path) / "gazetteer.jsonl"
        if saved.is_file():
            self._use(load_gazetteer(saved))
            self.missing = []
        return self

    # -- the pass ----------------------------------------------------------------------------------------------
    @property
    def world(self):
        return place_index(15000)

    @property
    def places(self):
        return regional_places()

    def __call__(self, doc: Doc) -> Doc:
        if self.missing:
            raise ConfigError(f"gazetteer file not found: {self.missing[0]}")
        t = Tokens(doc)
        found = [(ent.start, ent.end, ent.label_) for ent in doc.ents]
        model = [m for s, e, label in found
                 for m in rules.trim(t, Mention(s, e, label), self.strip_determiners, self._known)]
        model_people = {i for s, e, label in found if label == "PERSON" for i in range(s, e)}
        mentions = rules.merge(t, self._strong(doc, t, model_people), model)
        mentions = rules.acronyms(t, mentions)
        mentions = rules.surnames(t, mentions)
        mentions = self._places(t, mentions)
        mentions = rules.short_forms(t, mentions)
        mentions = [m for m in mentions if m.label in self.labels and not rules.never(t, m)]
        spans = []
        for m in mentions:
            if m.entry is not None:
                entity_id = m.entry.entity_id
            else:
                entity_id = derived_entity_id(m.name or t.span_text(m.start, m.end), m.label)
            spans.append(Span(doc, m.start, m.end, label=m.label, kb_id=entity_id, span_id=entity_id))
        doc.ents = spans
        for ent, mention in zip(doc.ents, mentions, strict=True):
            self._annotate(ent, mention)
        return doc

    def _strong(self, doc: Doc, t: Tokens, model_people: set[int]) -> list[Mention]:
        """Gazetteer names and rule patterns, longest first, never overlapping."""
        hits = [(s, e, self._by_hash[k]) for k, s, e in self.exact_matcher(doc)]
        for k, s, e in self.caseless_matcher(doc):
            entry = self._by_hash[k]
            text = t.span_text(s, e)
            if text.islower():
                # Lowercase only inside a hyphenated compound, and only a place: "anti-pakistan", "Kabul-kashmir".
                if entry.entity_id in self._place_ids and _in_compound(t, s, e):
                    hits.append((s, e, entry))
            elif _case_fits(t, s, e, self._capitals.get(text.lower())):
                hits.append((s, e, entry))
        pool = []
        for s, e, entry in hits:
            if _shouting(t, s, e) or self._everyday_word_at(t, s, e):
                continue
            if entry.label == "PERSON":
                s, _ = rules.strip_title(t, s, e)
            if s < e:
                pool.append(Mention(s, e, entry.label, entry, "gazetteer"))
        pool += rules.patterns(t)
        pool += [m for m in rules.titled_people(t) if not model_people.intersection(range(m.start, m.end))]
        # Longest first, then leftmost; a gazetteer name beats a pattern of the same length (it knows the
        # canonical name: "Operation Zarb-i-Azb" is "Operation Zarb-e-Azb").
        pool.sort(key=lambda m: (m.start - m.end, m.source != "gazetteer", m.start))
        taken: set[int] = set()
        out = []
        for m in pool:
            if not taken.intersection(range(m.start, m.end)):
                taken.update(range(m.start, m.end))
                out.append(m)
        return sorted(out, key=lambda m: m.start)

    def _known(self, text: str) -> bool:
        """A name the gazetteer or GeoNames knows: the owner in "Carney’s Liberals" is a name of its own."""
        key = fold(text)
        return key in self._names or key in self.world.countries or key in self.world.cities

    def _everyday_word_at(self, t: Tokens, s: int, e: int) -> bool:
        """A one-word place name that is also an everyday word ("Tank", "Hub", "Swat") opening a sentence."""
        return e - s == 1 and t.opens[s] and t.lower[s] in self.places.common_words

    # -- places ------------------------------------------------------------------------------------------------
    def _places(self, t: Tokens, mentions: list[Mention]) -> list[Mention]:
        """The region's towns the model missed or mislabelled, and the conventions for places' spans."""
        mentions = [self._place_conventions(t, m) for m in mentions]
        starts, ends = self._place_edges(t, mentions)
        out = []
        for m in mentions:
            place = self._place_for(t, m, starts, ends) if m.source == "model" and m.label in _PLACE_MISTAKES else None
            if place is not None and place.kind == "city":
                key = fold(t.span_text(m.start, m.end))
                place = self._point(self.places.get(key) + self.world.cities.get(key, [])) or _NO_POINT
            out.append(Mention(m.start, m.end, "GPE", None, "place", _real(place)) if place is not None else m)
        if self.regional:
            out = self._unlabelled_places(t, out, starts, ends)
        return out

    def _place_edges(self, t: Tokens, mentions: list[Mention]) -> tuple[set[int], set[int]]:
        """Where the article's places start and end: context for a name next to them ("Panjgur and Nushki")."""
        places = [m for m in mentions if m.label == "GPE" or self._is_place(t.span_text(m.start, m.end))]
        return {m.start for m in places}, {m.end for m in places}

    def _is_place(self, text: str) -> bool:
        key = fold(text)
        return key in self._place_names or key in self.world.countries or bool(self.places.get(key))

    def _place_conventions(self, t: Tokens, m: Mention) -> Mention:
        """Continents are LOC; "the Neelum valley" makes the name a LOC; "the town of X" makes X a GPE; a place
        named with "The" keeps it ("The Hague")."""
        if m.source != "model":
            return m
        key = fold(t.span_text(m.start, m.end))
        if key in self.world.continents and m.label in ("GPE", "LOC"):
            return m.moved(m.start, m.end, "LOC")
        if m.end < t.n and t.text[m.end] in rules.LOWER_LOC_HEADS and m.label in _PLACE_MISTAKES | {"GPE"}:
            return m.moved(m.start, m.end, "LOC")
        if m.label in ("LOC", "ORG", "PERSON", "FAC", "PRODUCT") and m.start > 1 and t.lower[m.start - 1] == "of" \
                and t.lower[m.start - 2] in rules.TOWN_WORDS:
            return m.moved(m.start, m.end, "GPE")
        if m.label in ("GPE", "LOC") and m.start > 0 and t.text[m.start - 1] == "The" and not t.opens[m.start - 1] \
                and self._lookup("the " + key)[0] is not None:
            return m.moved(m.start - 1, m.end)
        return m

    def _lookup(self, key: str) -> tuple[Place | None, bool]:
        """The most populous place of that name (countries and US states first), and whether it is the
        region's. World cities count by their own name only: their alternate names include old and foreign
        names ("Karl Marx" for a Ukrainian town)."""
        if key in self.world.countries:
            return self.world.countries[key], False
        if key in self.world.us_states:
            return self.world.us_states[key], False
        pool = {p.geonameid: p for p in self.places.get(key) + self.world.cities.get(key, [])}
        if not pool:
            return None, False
        best = max(pool.values(), key=lambda p: p.population)
        return best, best.country_code in _REGION and best.geonameid in self.places.by_id

    @staticmethod
    def _point(candidates: list[Place]) -> Place | None:
        """The place a name means when one namesake dwarfs the rest (5×, as in `oped_geo`), else None."""
        ranked = sorted(candidates, key=lambda p: p.population, reverse=True)
        if len(ranked) > 1 and ranked[0].population < 5 * max(ranked[1].population, 1):
            return None
        return ranked[0]

    def _place_for(self, t: Tokens, m: Mention, starts: set[int], ends: set[int]) -> Place | None:
        """The place a mislabelled model mention names, or None."""
        key = fold(t.span_text(m.start, m.end))
        if key in self.places.given_names or key in self.world.continents:
            return None
        place, regional = self._lookup(key)
        if place is None:
            return None
        if key in self.places.common_words and place.population < 100_000:
            return None
        if m.end < t.n and t.lower[m.end] in rules.SPEECH_VERBS:
            return None
        if m.label == "NORP":
            return place if place.kind == "country" else None  # "anti-Israel" read as a nationality
        if m.label == "LOC":
            return place if place.kind == "city" and place.population >= 1000 else None
        context = rules.place_context(t, m.start, m.end, starts, ends)
        if m.label == "PERSON":
            # People are named after places more often than towns are mistaken for people: only the region's
            # places, and only where the text says it is a place ("in X", "the towns of X and Y").
            if not regional or not context or t.bare[m.start - 1 if m.start else 0] in rules.TITLE_HEADS:
                return None
            if fold(t.text[m.start]) in self.places.given_names:
                return None
        if m.label in ("WORK_OF_ART", "PRODUCT", "FAC", "EVENT") and not context:
            return None  # "his warship Novocherkassk"; but "attacks on Novorossiysk"
        if not regional and place.kind == "city" and place.population < 15000:
            return None
        return place

    def _unlabelled_places(self, t: Tokens, mentions: list[Mention], starts, ends) -> list[Mention]:
        """The region's towns the model did not see at all ("the Panjgur/Nushki attacks")."""
        # Dates and numbers do not hide a town ("in Leh ended on Monday" read as one DATE): they are dropped later.
        covered = {i for m in mentions if m.label in self.labels for i in range(m.start, m.end)}
        found = []
        first_words = self.places.first_words
        i = 0
        while i < t.n:
            if i in covered or not t.cap[i] or not t.alpha[i] or t.opens[i]:
                i += 1
                continue
            longest = first_words.get(t.lower[i] if t.text[i].isascii() else fold(t.text[i]))
            hit = self._place_at(t, i, longest, covered) if longest else None
            if hit is not None:
                found.append(hit)
                i = hit.end
            else:
                i += 1
        if not found:
            return mentions
        taken = {i for m in found for i in range(m.start, m.end)}
        kept = [m for m in mentions if not taken.intersection(range(m.start, m.end))]
        return sorted(kept + found, key=lambda m: m.start)

    def _place_at(self, t: Tokens, i: int, longest: int, covered: set[int]) -> Mention | None:
        for end in range(min(t.n, i + 2 * longest - 1), i, -1):
            if not t.cap[end - 1] or any(j in covered for j in range(i, end)):
                continue
            key = fold(t.span_text(i, end))
            if key not in self.places.primary:
                continue
            # The whole capitalised run, not a piece of a longer name ("Bilal Karimi" holds no "Karimi").
            if i > 0 and t.cap[i - 1] and not t.opens[i - 1]:
                return None
            if end < t.n and t.cap[end] and t.text[end] not in rules.CAPITALISED_ADMIN_HEADS:
                return None
            if key in self.places.common_words or key in self.places.given_names:
                return None
            if end < t.n and t.lower[end] in rules.SPEECH_VERBS or i > 0 and t.bare[i - 1] in rules.TITLE_HEADS:
                return None
            candidates = self.places.get(key)
            best = max(candidates, key=lambda p: p.population)
            if 0 < best.population < 1000:
                return None
            # A bigger namesake elsewhere ("Moskva" is Moscow first): the model's silence then tells.
            world = self.world.cities.get(key, []) + self.world.city_alternates.get(key, [])
            if any(p.population > best.population and p.country_code not in _REGION for p in world):
                return None
            return Mention(i, end, "GPE", None, "place", self._point(candidates))
        return None

    def _annotate(self, ent: Span, m: Mention) -> None:
        x = ent._
        entry = m.entry
        x.entity_id = ent.kb_id_
        if entry is None:
            x.canonical_name = display_name(m.name or ent.text)
            x.ent_source = _SOURCES.get(m.source, "model")
            if m.place is not None:
                x.kb_id = m.place.kb_id
                x.latitude, x.longitude, x.country_code = m.place.latitude, m.place.longitude, m.place.country_code
            return
        x.canonical_name = entry.canonical_name
        x.kb_id = entry.kb_id
        x.ent_source = "gazetteer"
        x.latitude, x.longitude, x.country_code = entry.lat, entry.lon, entry.country_code


def _in_compound(t: Tokens, s: int, e: int) -> bool:
    """A name inside a hyphenated compound ("anti-pakistan", "Kabul-kashmir")."""
    return (s > 0 and t.text[s - 1] == "-" and t.glued[s - 1]) or (e < t.n and t.text[e] == "-" and t.glued[e - 1])


def _shouting(t: Tokens, s: int, e: int) -> bool:
    """An acronym that is also a word ("IS", "WHO") inside all-capitals text ("ATTITUDE IS EVERYTHING")."""
    if e - s != 1 or not t.text[s].isupper() or t.lower[s] not in STOP_WORDS:
        return False
    return any(0 <= j < t.n and t.text[j].isupper() and t.alpha[j] and len(t.text[j]) > 1 for j in (s - 1, s + 1))


def _case_fits(t: Tokens, s: int, e: int, capitals: tuple[bool, ...] | None) -> bool:
    """Every word the alias capitalises is capitalised in the text."""
    if capitals is None or len(capitals) != e - s:
        return True
    words = t.text[s:e]
    return all(not cap or w[:1].isupper() or not w[:1].isalpha() for w, cap in zip(words, capitals, strict=True))
