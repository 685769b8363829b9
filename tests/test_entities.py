"""The `oped_entities` component: gazetteer names, labels and canonical ids over the model's NER."""

from __future__ import annotations

import json

import pytest
import spacy

from oped_extract.errors import ConfigError
from oped_extract.nlp.entities import NAMED_LABELS, derived_entity_id, load_gazetteer
from oped_extract.nlp.pipeline import resolve_model

TTP = "org:tehrik-i-taliban-pakistan"


def ents(doc):
    return [(e.text, e.label_, e._.entity_id) for e in doc.ents]


def test_gold_sample_mentions_are_exact(nlp, gold_articles):
    gold = gold_articles[0]
    doc = nlp(gold.body)
    assert {(e.start_char, e.end_char, e.label_) for e in doc.ents} == {
        (e.start, e.end, e.label) for e in gold.entities
    }
    assert len(doc.ents) == 23


def test_durand_line_is_a_location_without_the(nlp, gold_articles):
    doc = nlp(gold_articles[0].body)
    (durand,) = [e for e in doc.ents if "Durand" in e.text]
    assert (durand.text, durand.label_, durand._.entity_id) == ("Durand Line", "LOC", "loc:durand-line")
    assert durand._.ent_source == "gazetteer"


def test_ttp_in_the_sample_gets_the_canonical_id_and_name(nlp, gold_articles):
    doc = nlp(gold_articles[0].body)
    (ttp,) = [e for e in doc.ents if e.text == "TTP"]
    assert (ttp.label_, ttp._.entity_id, ttp._.canonical_name) == ("ORG", TTP, "Tehrik-i-Taliban Pakistan")


def test_ttp_aliases_share_one_entity_id(nlp):
    doc = nlp(
        "Officials said the Pakistani Taliban had regrouped. Tehreek-e-Taliban Pakistan denied it, "
        "but the TTP later claimed the attack. Analysts note that Tehrik-i-Taliban fighters move freely."
    )
    found = {e.text: (e.label_, e._.entity_id) for e in doc.ents}
    for alias in ("Pakistani Taliban", "Tehreek-e-Taliban Pakistan", "TTP", "Tehrik-i-Taliban"):
        assert found[alias] == ("ORG", TTP), (alias, found)
    # "Pakistani" inside "Pakistani Taliban" is not a separate NORP mention.
    assert "Pakistani" not in found


def test_domain_organisations_and_places_resolve(nlp):
    doc = nlp(
        "The Afghan Taliban, who call their government the Islamic Emirate of Afghanistan, deny that ISKP "
        "or IS-K cells operate in Kunar. The ISPR said the Pakistan Army and the ISI hunted BLA and Al-Qaeda "
        "cells in Khyber Pakhtunkhwa and North Waziristan, while UNAMA and the UN recalled the Doha Agreement."
    )
    got = {e.text: (e.label_, e._.entity_id) for e in doc.ents}
    expected = {
        "Afghan Taliban": ("ORG", "org:afghan-taliban"),
        "Islamic Emirate of Afghanistan": ("ORG", "org:afghan-taliban"),
        "ISKP": ("ORG", "org:islamic-state-khorasan-province"),
        "IS-K": ("ORG", "org:islamic-state-khorasan-province"),
        "Kunar": ("GPE", "gpe:kunar"),
        "ISPR": ("ORG", "org:inter-services-public-relations"),
        "Pakistan Army": ("ORG", "org:pakistan-army"),
        "ISI": ("ORG", "org:inter-services-intelligence"),
        "BLA": ("ORG", "org:balochistan-liberation-army"),
        "Al-Qaeda": ("ORG", "org:al-qaeda"),
        "Khyber Pakhtunkhwa": ("GPE", "gpe:khyber-pakhtunkhwa"),
        "North Waziristan": ("GPE", "gpe:north-waziristan"),
        "UNAMA": ("ORG", "org:unama"),
        "UN": ("ORG", "org:united-nations"),
        "Doha Agreement": ("LAW", "law:doha-agreement"),
    }
    assert {k: got.get(k) for k in expected} == expected


def test_possessives_hyphens_and_nationalities(nlp):
    doc = nlp(
        "Pakistan’s envoy met Kabul's foreign minister. Anti-Pakistan groups gathered near Torkham. "
        "Afghan authorities rejected the claim."
    )
    assert ents(doc) == [
        ("Pakistan", "GPE", "gpe:pakistan"),
        ("Kabul", "GPE", "gpe:kabul"),
        ("Pakistan", "GPE", "gpe:pakistan"),
        ("Torkham", "GPE", "gpe:torkham"),
        ("Afghan", "NORP", "norp:afghan"),
    ]


def test_acronyms_match_case_sensitively(nlp):
    doc = nlp("Let us be clear: they told us the truth, and un-elected officials in Kabul agreed.")
    ids = {e._.entity_id for e in doc.ents}
    assert "gpe:united-states" not in ids and "org:united-nations" not in ids


def test_longer_model_name_keeps_the_models_reading(nlp):
    doc = nlp("The Kabul Chamber of Commerce said on Monday that trade had resumed.")
    (chamber,) = [e for e in doc.ents if "Chamber" in e.text]
    assert (chamber.text, chamber.label_, chamber._.ent_source) == ("Kabul Chamber of Commerce", "ORG", "model")
    assert chamber._.entity_id == "org:kabul-chamber-of-commerce"


def test_only_named_labels_are_kept(nlp):
    doc = nlp("On 12 March 2024, three hundred soldiers and 40 percent of the budget moved to Peshawar for $5 million.")
    assert doc.ents, "expected at least Peshawar"
    assert {e.label_ for e in doc.ents} <= set(NAMED_LABELS)
    assert [e.text for e in doc.ents if e.label_ == "GPE"] == ["Peshawar"]


def test_names_outside_the_gazetteer_get_a_deterministic_id(nlp):
    first = nlp("Angela Merkel visited Berlin.")
    second = nlp("In Berlin, Angela Merkel spoke.")
    for name in ("Angela Merkel", "Berlin"):
        a = next(e for e in first.ents if e.text == name)
        b = next(e for e in second.ents if e.text == name)
        assert a._.entity_id == b._.entity_id == derived_entity_id(name, a.label_)
        assert a._.ent_source == "model" and a._.canonical_name == name
    assert derived_entity_id("The Hague’s", "GPE") == derived_entity_id("Hague", "GPE") == "gpe:hague"


def test_footer_organisations_are_never_body_mentions(nlp, sample_article, gold_articles):
    doc = nlp(sample_article.body_text)
    footer = {f["text"] for f in gold_articles[0].footer_entities}
    assert footer == {"Consortium for Asia Pacific & Eurasian Studies", "Geo.tv", "The News"}
    assert not footer & {e.text for e in doc.ents}
    assert len(doc.ents) == 23


def test_bundled_gazetteer_covers_the_domain_and_aliases_are_unambiguous():
    gazetteer = load_gazetteer()
    names = {name.lower() for entry in gazetteer.entries.values() for name in entry.names}
    for needed in (
        "Pakistan", "Afghanistan", "Islamabad", "Kabul", "Rawalpindi", "Peshawar", "Quetta", "Khyber Pakhtunkhwa",
        "Balochistan", "FATA", "Kunar", "Khost", "Paktika", "Nangarhar", "Torkham", "Chaman", "Kurram",
        "North Waziristan", "South Waziristan", "Durand Line", "TTP", "Tehreek-e-Taliban Pakistan",
        "Tehrik-i-Taliban Pakistan", "Pakistani Taliban", "Afghan Taliban", "Islamic Emirate of Afghanistan",
        "ISKP", "IS-K", "Al-Qaeda", "BLA", "ISI", "ISPR", "Pakistan Army", "UN", "UNAMA", "Doha Agreement",
        "Afghan", "Pakistani", "Pashtun", "Baloch",
    ):
        assert needed.lower() in names, needed
    owners: dict[str, str] = {}
    for entry in gazetteer.entries.values():
        assert entry.label in NAMED_LABELS, entry
        for name in entry.names:
            assert owners.setdefault(name.lower(), entry.entity_id) == entry.entity_id, name


def _write(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_users_extend_the_gazetteer_with_their_own_file(tmp_path):
    extra = _write(tmp_path / "mine.jsonl", [
        {"entity_id": "org:jamiat-ulema-e-islam-f", "canonical_name": "Jamiat Ulema-e-Islam (F)", "label": "ORG",
         "aliases": ["JUI-F", "Jamiat Ulema-e-Islam-Fazl"]},
        # Replaces the bundled Islamabad record: same id, a user-chosen canonical name.
        {"entity_id": "gpe:islamabad", "canonical_name": "Islamabad Capital Territory", "label": "GPE",
         "aliases": ["Islamabad"], "lat": 33.7, "lon": 73.1, "country_code": "PK"},
    ])
    nlp = spacy.load(resolve_model(), exclude=["parser"])
    nlp.add_pipe("oped_entities", config={"extra_gazetteer_paths": [str(extra)]})
    doc = nlp("Leaders of the JUI-F and the Jamiat Ulema-e-Islam-Fazl met in Islamabad.")
    got = {e.text: (e.label_, e._.entity_id, e._.canonical_name) for e in doc.ents}
    assert got["JUI-F"] == got["Jamiat Ulema-e-Islam-Fazl"] == (
        "ORG", "org:jamiat-ulema-e-islam-f", "Jamiat Ulema-e-Islam (F)")
    assert got["Islamabad"] == ("GPE", "gpe:islamabad", "Islamabad Capital Territory")


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"entity_id": "x:y", "label": "ORG"}), "lacks canonical_name"),
    (json.dumps({"entity_id": "x:y", "canonical_name": "Y", "label": "ORG", "aliases": "Y"}), "aliases"),
    (json.dumps({"entity_id": "x:y", "canonical_name": "Y", "label": "GPE", "lat": 33.0}), "lat"),
])
def test_a_broken_gazetteer_fails_fast_naming_file_and_line(tmp_path, line, message):
    path = _write(tmp_path / "bad.jsonl", ['{"entity_id": "gpe:ok", "canonical_name": "Ok", "label": "GPE"}', line])
    with pytest.raises(ConfigError, match=message) as err:
        load_gazetteer(path)
    assert f"{path}:2" in str(err.value)


def test_a_missing_gazetteer_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="gazetteer file not found"):
        load_gazetteer(tmp_path / "nope.jsonl")
