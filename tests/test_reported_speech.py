"""Reported speech and holders, on sentences written for these tests, in both profiles: sourcing tags, "according
to", quotations and their continuations, continuative relative clauses, passives with an agent, "urged X to",
pronouns and surnames resolved to the fullest name in the text."""

from __future__ import annotations

import pytest

from oped_extract.nlp.pipeline import load_pipeline
from oped_extract.nlp.reported_speech import quote_state

PROFILES = ("default", "fast")


def _stances(profile: str, text: str):
    doc = load_pipeline(profile=profile)(text)
    return doc, [s._.stance for s in doc.sents]


def _attribution(profile: str, text: str, index: int = 0):
    _, stances = _stances(profile, text)
    return stances[index]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("text, holder", [
    ("Eleven people were killed in the blast, the provincial health ministry said.", "provincial health ministry"),
    ("According to police, the warehouse burned for six hours.", "police"),
    ("The harbour authority announced on Friday that the ferry service would resume.", "harbour authority"),
    ("Neighbouring governments urged the council to release the detainees.", "Neighbouring governments"),
    ("Witnesses say the convoy was stopped at a checkpoint near the river.", "Witnesses"),
])
def test_reported_position_names_its_party(profile, text, holder):
    st = _attribution(profile, text)
    assert st.is_stance and st.stance_type == "attribution", (text, st)
    assert st.holder == holder
    assert st.cues, "the reporting words are listed"


@pytest.mark.parametrize("profile", PROFILES)
def test_passive_with_an_agent_is_the_agents_position(profile):
    st = _attribution(profile, "The new tariff was condemned by the Association of Dutch Exporters.")
    assert (st.stance_type, st.holder) == ("attribution", "Association of Dutch Exporters")


@pytest.mark.parametrize("profile", PROFILES)
def test_quotation_and_its_continuation_belong_to_the_speaker(profile):
    text = ('"We will rebuild the bridge before winter," the regional governor told reporters on Monday. '
            '"The money is already there."')
    first, second = _stances(profile, text)[1]
    assert (first.stance_type, first.holder) == ("attribution", "regional governor")
    assert (second.stance_type, second.holder) == ("attribution", "regional governor")
    assert "rebuild" not in first.cues  # the quoted words are the governor's, not the author's cues


@pytest.mark.parametrize("profile", PROFILES)
def test_a_quotation_whose_tag_comes_later_takes_that_speaker(profile):
    text = ('"The queue at the border is three kilometres long. '
            'Drivers have waited since dawn," said Tomas Varga, who runs a haulage firm.')
    first, second = _stances(profile, text)[1]
    assert first.stance_type == second.stance_type == "attribution"
    assert first.holder == second.holder == "Tomas Varga"


@pytest.mark.parametrize("profile", PROFILES)
def test_pronoun_and_surname_take_the_fullest_name_in_the_text(profile):
    text = ("Finance Minister Karin Holm presented the budget to parliament on Monday. "
            "Holm said taxes on fuel would not rise this year. "
            "She added that pensions would be paid on time.")
    doc, stances = _stances(profile, text)
    assert stances[0].stance_type != "attribution"
    for st in stances[1:]:
        assert (st.stance_type, st.holder) == ("attribution", "Karin Holm"), st
    holm = next(e for e in doc.ents if e.text == "Karin Holm")
    assert stances[1].holder_entity_id == holm._.entity_id is not None


@pytest.mark.parametrize("profile", PROFILES)
def test_it_refers_to_the_latest_organisation(profile):
    text = ("The European Commission opened an inquiry into the merger in March. "
            "It said the deal could raise prices for farmers.")
    st = _stances(profile, text)[1][1]
    assert (st.stance_type, st.holder) == ("attribution", "European Commission")


@pytest.mark.parametrize("profile", PROFILES)
def test_continuative_relative_clause_reports_a_position(profile):
    st = _attribution(profile, "The hearing was chaired by Judge Ana Lima, who announced that the verdict would "
                               "be read in June.")
    assert st.stance_type == "attribution" and st.holder == "Ana Lima"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("text, holder", [
    # a quotation the verb introduces after a colon, which the parser takes for the root
    ("A week after the floods, the head of the relief agency — standing in the mud of the camp — told the press: "
     "“Nobody will be left behind.”", "head of the relief agency"),
    # an adverb before the subject, a title and a comma-set-off aside before the verb
    ("Meanwhile, Prime Minister Karin Holm, in a post on the government's official account, praised the rescue "
     "teams.", "Karin Holm"),
    # an acronym in parentheses and a relative clause between the subject and its verb
    ("The Baltic Ferry Union (BFU), or the ferry union, which signed a new contract with the port last year, "
     "claimed responsibility for the strike.", "Baltic Ferry Union (BFU)"),
    # the object of a participle speaks
    ("The storm closed the harbour for a week, prompting Harbour Master Tomas Varga to say the port would need "
     "new walls.", "Tomas Varga"),
    # an inverted tag closed by a semicolon
    ("Tourism is the main source of income in the valley, argue the hotel owners; hence their demand for open "
     "roads.", "hotel owners"),
    # the quoted party, not the report that quotes it
    ("A report released by the state news agency quoted Tomas Varga, the port's director, as saying that the "
     "harbour would reopen in May.", "Tomas Varga"),
    # a name in apposition to a description, either way round
    ("The harbour master's deputy, Tomas Varga, said the port would reopen in May.", "Tomas Varga"),
    ("Speaking to reporters, Karin Holm, the spokesperson of the transport ministry added, “The port will reopen "
     "in May.”", "Karin Holm"),
    # a time adverbial between the auxiliary and the verb is no party
    ("The ministry had a day earlier said: “The port will reopen in May.”", "ministry"),
    # a long adverbial aside, with a place and a day of its own
    ("Transport Minister Karin Holm, during the weekly press briefing in Tallinn on Thursday, stated that the "
     "port would reopen in May.", "Karin Holm"),
    # a participial report behind an adverb
    ("The ferry union has gone as far as halting all crossings, indirectly blaming the port authority.",
     "ferry union"),
    # an acronym in parentheses and an adverb before the verb
    ("After weeks of delays, the Baltic Ferry Union (BFU) also endorsed the plan, saying the port was safe.",
     "Baltic Ferry Union (BFU)"),
])
def test_reported_speech_behind_asides_and_participles(profile, text, holder):
    st = _attribution(profile, text)
    assert (st.stance_type, st.holder) == ("attribution", holder), st


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("text", [
    "Officials did not immediately respond to a request for comment.",
    "Two soldiers were reported killed in the clash.",
    "The ferry left the harbour at dawn and reached the island by noon.",
    "The floods have claimed the lives of more than 40 people since Monday.",  # no claim: "claimed the lives"
    "Dozens of boats have been stranded along the two countries’ disputed border since Monday.",  # a participle
    'The ministry answered the audit report that found "a pattern of missing invoices across the regional '
    'offices".',  # the quotation is what a restrictive clause reports; the main clause quotes no one
])
def test_no_party_no_attribution(profile, text):
    st = _attribution(profile, text)
    assert st.stance_type != "attribution"


@pytest.mark.parametrize("profile", PROFILES)
def test_the_authors_own_voice_is_not_reported_speech(profile):
    st = _attribution(profile, "We believe this policy will fail the people it claims to protect.")
    assert st.is_stance and st.holder == "author" and st.stance_type != "attribution"


def test_quotation_state_runs_across_sentences_and_ignores_apostrophes():
    doc = load_pipeline()("“The talks failed. We’ll try again,” she said. The girls’ school reopened.")
    quotes = quote_state(doc)
    first, second, third = doc.sents
    assert quotes.share(first) == 1.0
    assert quotes.starts_inside(second) and 0 < quotes.share(second) < 1
    assert quotes.share(third) == 0.0  # "girls’" is an apostrophe, not a quotation mark


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("text", [
    "It was the best day of my life and I felt wonderful about it.'",
    "Nobody should have to live like this, frankly.” The council meets again in March.",
    'It was a terrible, terrible mistake." The court adjourned until Monday.',
])
def test_a_text_that_begins_inside_a_quotation_is_the_speakers(profile, text):
    """An excerpt that starts mid-quotation: its first closing mark shows the words before it are quoted, so
    the judgement is the speaker's (attribution, speaker unnamed), not the author's."""
    doc, stances = _stances(profile, text)
    first = stances[0]
    assert quote_state(doc).share(next(iter(doc.sents))) == 1.0
    assert (first.is_stance, first.stance_type, first.holder) == (True, "attribution", None)
    assert all(s.stance_type != "attribution" for s in stances[1:])


@pytest.mark.parametrize("text", [
    "The girls' school reopened after the floods.",  # an apostrophe glued to a word
    "He called the plan “reckless”. The vote was postponed.",  # the first mark opens a quotation
    "The vote was postponed.\nIt was “reckless”, one member said.",
])
def test_only_a_first_closing_mark_makes_the_opening_words_quoted(text):
    doc = load_pipeline()(text)
    assert quote_state(doc).share(next(iter(doc.sents))) < 0.5


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("text, holder", [
    ("The committee meets today over the objections of Patty Murray, who has both called for the meeting to be "
     "postponed and written to the chair.", "Patty Murray"),
    ("The committee meets today despite two senators, who all said the meeting should be postponed.",
     "two senators"),
])
def test_a_floating_quantifier_is_no_determiner(profile, text, holder):
    """ "…, who have both called for…": "both" follows its subject; the participle after it is the verb."""
    st = _attribution(profile, text)
    assert (st.stance_type, st.holder) == ("attribution", holder), st
