"""The `oped_entities` component: gazetteer names, labels and canonical ids over the model's NER."""

from __future__ import annotations

import json
import subprocess
import sys

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
        "Islamic Emirate of Afghanistan": ("ORG", "org:islamic-emirate-of-afghanistan"),
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


def test_ids_are_spacy_native(nlp):
    """displaCy and spaCy users see the same id as the entities table: ent.kb_id_ and ent.id_."""
    doc = nlp("The TTP claimed the attack near Bannu, Prime Minister Kemal Arslan told the UN.")
    for ent in doc.ents:
        assert ent.kb_id_ == ent.id_ == ent._.entity_id, ent
    assert [e.kb_id_ for e in doc.ents] == [TTP, "gpe:bannu", "person:kemal-arslan", "org:united-nations"]
    rendered = spacy.displacy.parse_ents(doc)
    assert [e["kb_id"] for e in rendered["ents"]] == [e.kb_id_ for e in doc.ents]


def test_a_later_gazetteer_file_takes_a_name_from_an_earlier_entity(tmp_path):
    extra = _write(tmp_path / "mine.jsonl", [
        {"entity_id": "org:my-afghan-taliban", "canonical_name": "Afghan Taliban", "label": "ORG"},
    ])
    gazetteer = load_gazetteer(extra_paths=[extra])
    assert "Afghan Taliban" not in gazetteer["org:afghan-taliban"].aliases
    assert gazetteer["org:afghan-taliban"].canonical_name == "Taliban"


_RUN = """
import json, sys
import spacy
assert "oped_extract" not in sys.modules
{body}
"""


def _python(tmp_path, body: str, *args: str) -> list:
    script = tmp_path / "script.py"
    script.write_text(_RUN.format(body=body), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


TEXT = "Gen. Asim Munir said the TTP’s fighters crossed near DI Khan, and the Simla Agreement was discussed."


@pytest.mark.slow
@pytest.mark.integration
def test_factories_are_found_through_entry_points_without_an_import(tmp_path):
    got = _python(tmp_path, f"""
nlp = spacy.blank("en")
for name in ("oped_sentence_bounds", "oped_entities", "oped_geo", "oped_stance"):
    nlp.add_pipe(name)
doc = nlp({TEXT!r})
print(json.dumps([[e.text, e.label_, e.kb_id_] for e in doc.ents]))
""")
    assert got == [["Asim Munir", "PERSON", "person:asim-munir"], ["TTP", "ORG", TTP],
                   ["DI Khan", "GPE", "gpe:dera-ismail-khan"], ["Simla Agreement", "LAW", "law:simla-agreement"]]


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("profile", ["default", "fast"])
def test_a_saved_pipeline_reloads_with_spacy_load(tmp_path, profile):
    from oped_extract.nlp.pipeline import load_pipeline

    nlp = load_pipeline(profile=profile)
    nlp.to_disk(tmp_path / "pipeline")
    doc = nlp(TEXT)
    expected = [[e.text, e.label_, e.kb_id_, e._.latitude] for e in doc.ents]
    expected_tags = [t.tag_ for t in doc]
    got = _python(tmp_path, f"""
import warnings
warnings.simplefilter("error")  # a reloaded pipeline has everything it had: no "missing tables" warning
nlp = spacy.load(sys.argv[1])
doc = nlp({TEXT!r})
print(json.dumps([[[e.text, e.label_, e.kb_id_, e._.latitude] for e in doc.ents], [t.tag_ for t in doc],
                  nlp.pipe_names]))
""", str(tmp_path / "pipeline"))
    assert got[0] == expected
    assert got[1] == expected_tags
    assert got[2] == nlp.pipe_names


def test_a_saved_pipeline_keeps_the_users_gazetteer(tmp_path):
    extra = _write(tmp_path / "mine.jsonl", [
        {"entity_id": "org:harbour-workers-federation", "canonical_name": "Harbour Workers Federation",
         "label": "ORG", "aliases": ["HWF"]},
    ])
    nlp = spacy.blank("en")
    nlp.add_pipe("oped_entities", config={"extra_gazetteer_paths": [str(extra)]})
    nlp.to_disk(tmp_path / "pipeline")
    extra.unlink()  # the saved pipeline carries its gazetteer
    reloaded = spacy.load(tmp_path / "pipeline")
    assert [(e.text, e.kb_id_) for e in reloaded("HWF members marched.").ents] == [
        ("HWF", "org:harbour-workers-federation")]


def test_a_pipeline_naming_a_missing_gazetteer_fails_on_its_first_document(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("oped_entities", config={"extra_gazetteer_paths": [str(tmp_path / "gone.jsonl")]})
    with pytest.raises(ConfigError, match="gazetteer file not found: .*gone.jsonl"):
        nlp("Anything at all.")
