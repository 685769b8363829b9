"""The `oped_geo` component: places resolve offline to coordinates, a country code and a GeoNames id."""

from __future__ import annotations

import pytest
import spacy

from oped_extract.errors import ConfigError
from oped_extract.nlp.places import PlaceResolver, fold, place_index


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
