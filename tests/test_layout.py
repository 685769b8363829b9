"""The plain-text layout: datelines, titles, bylines and the footer variants of South Asian and world outlets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from oped_extract.ingest.layout import parse_date, parse_record_layout, parse_txt_layout, split_footer
from oped_extract.ingest.text import normalize_text

from .conftest import assert_sample_metadata

SAMPLE_TXT = Path(__file__).resolve().parents[1] / "data" / "samples" / "000_0c9b78742a5f1fc9.txt"
BODY = (
    "Pakistan’s security establishment operates under domestic pressure.\n"
    "A durable solution would require intelligence sharing between Islamabad and Kabul."
)


def test_sample_layout_gives_the_gold_metadata_and_body(gold_articles):
    gold = gold_articles[0]
    layout = parse_txt_layout(normalize_text(SAMPLE_TXT.read_text(encoding="utf-8")))
    assert_sample_metadata(layout, gold)
    assert len(layout.footer) == 3


@pytest.mark.parametrize(
    "line, expected",
    [
        ("February 27, 2026", dt.date(2026, 2, 27)),
        ("Feb. 27, 2026", dt.date(2026, 2, 27)),
        ("February 27th, 2026", dt.date(2026, 2, 27)),
        ("27 February 2026", dt.date(2026, 2, 27)),
        ("27th of February, 2026", dt.date(2026, 2, 27)),
        ("Friday, 27 Feb 2026 10:30 PKT", dt.date(2026, 2, 27)),
        ("Updated: February 27, 2026 03:24 PM", dt.date(2026, 2, 27)),
        ("Published February 27, 2026 | Opinion", dt.date(2026, 2, 27)),
        ("2026-02-27", dt.date(2026, 2, 27)),
        ("February 30, 2026", None),
        ("May 9, 2023 changed everything in the country.", None),
        ("The latest round of strikes began on February 27, 2026.", None),
    ],
)
def test_parse_date(line, expected):
    assert parse_date(line) == expected


@pytest.mark.parametrize(
    "footer, expected",
    [
        ("(The writer is a former ambassador to the US. He can be reached at abc@gmail.com)",
         {"author_bio": "The writer is a former ambassador to the US."}),
        ("The writer heads the Centre for Research and Security Studies, Islamabad. He tweets @kamran_r",
         {"author_bio": "The writer heads the Centre for Research and Security Studies, Islamabad.",
          "author_handle": "@kamran_r"}),
        ("The author is an assistant professor at LUMS and tweets @sara_k",
         {"author_bio": "The author is an assistant professor at LUMS.", "author_handle": "@sara_k"}),
        ("The writers are researchers at the Institute of Strategic Studies Islamabad.",
         {"author_bio": "The writers are researchers at the Institute of Strategic Studies Islamabad."}),
        ("The writer, a former diplomat, teaches at NUST.",
         {"author_bio": "The writer, a former diplomat, teaches at NUST."}),
        ("Jane Doe is a senior fellow at the Brookings Institution.",
         {"author": "Jane Doe", "author_bio": "Jane Doe is a senior fellow at the Brookings Institution."}),
        ("Published in Dawn, February 27th, 2026", {"publisher": "Dawn", "published_date": dt.date(2026, 2, 27)}),
        ("Published in The Express Tribune, February 28th, 2026.",
         {"publisher": "The Express Tribune", "published_date": dt.date(2026, 2, 28)}),
        ("This article first appeared in the print edition of The Express Tribune on February 27, 2026.",
         {"publisher": "The Express Tribune", "published_date": dt.date(2026, 2, 27)}),
        ("This article is republished from The Conversation under a Creative Commons license.",
         {"publisher": "The Conversation"}),
        ("Originally published in The News", {"publisher": "The News"}),
        ("Copyright: Project Syndicate, 2026.", {"publisher": "Project Syndicate"}),
        (("The views expressed in this article are the author’s own and do not necessarily reflect Al Jazeera’s "
         "editorial stance."), {"site": "Al Jazeera"}),
        (("Disclaimer: The views expressed in this article are the writer's own and do not necessarily reflect the "
         "views of The Friday Times."), {"site": "The Friday Times"}),
        (("Like Opinion & Editorial on Facebook, follow @ETOpEd on Twitter to receive all updates on all our daily "
         "pieces."), {"author_handle": None}),  # the outlet's handle, not the writer's
        ("Views are personal.", {}),
        ("Email: writer@example.com", {"author_handle": None}),
        ("Twitter: @someone", {"author_handle": "@someone"}),
        ("@umarwrites", {"author_handle": "@umarwrites"}),
        ("www.project-syndicate.org", {}),
    ],
)
def test_footer_variants_become_metadata_not_body(footer, expected):
    layout = parse_txt_layout(BODY + "\n" + footer)
    assert layout.body_text == BODY
    assert layout.footer == [footer]
    for field, value in expected.items():
        assert getattr(layout, field) == value, field


@pytest.mark.parametrize(
    "last_paragraph",
    [
        "Copyright law is outdated and Parliament must change it.",
        "X marks the spot where the policy failed.",
        "Imran Khan is a former prime minister who never learnt this lesson.",
        "He must act before the next budget.",
        "Note the difference between the two positions.",
        "(c) the state must protect its citizens.",
        "Published in 1998, the report found the same failures.",
    ],
)
def test_body_paragraphs_that_resemble_footers_stay_in_the_body(last_paragraph):
    layout = parse_txt_layout(BODY + "\n" + last_paragraph)
    assert layout.body_text == BODY + "\n" + last_paragraph
    assert layout.footer == []


def test_a_multi_line_footer_block_with_a_bio_continuation():
    footer = (
        "The writer is a former federal secretary.\n"
        "He served as chief secretary of Balochistan.\n"
        "Email: writer@example.com\n"
        "Disclaimer: The viewpoints expressed in this piece are the writer's own and don't necessarily reflect "
        "Geo.tv's editorial policy."
    )
    text = f"{BODY}\n{footer}"
    layout = parse_txt_layout(text)
    assert layout.body_text == BODY
    assert layout.author_bio == "The writer is a former federal secretary. He served as chief secretary of Balochistan."
    assert layout.site == "Geo.tv"


def test_a_pronoun_paragraph_without_a_footer_above_stays_in_the_body():
    text = BODY + "\nHe tried, and he failed.\nThe writer is a journalist."
    assert parse_txt_layout(text).body_text == BODY + "\nHe tried, and he failed."


@pytest.mark.parametrize(
    "header",
    [
        "Why Pakistan struck Afghanistan\nBy Umar Farooq\nFebruary 27, 2026",
        "February 27, 2026\nWhy Pakistan struck Afghanistan\nBy Umar Farooq",
        "Why Pakistan struck Afghanistan\nBy Umar Farooq | February 27, 2026",
    ],
)
def test_header_lines_in_any_order(header):
    layout = parse_txt_layout(header + "\n" + BODY)
    assert layout.title == "Why Pakistan struck Afghanistan"
    assert layout.author == "Umar Farooq"
    assert layout.published_date == dt.date(2026, 2, 27)
    assert layout.body_text == BODY


def test_a_question_title_and_a_sentence_first_line():
    assert parse_txt_layout("Is Kabul listening?\n" + BODY).title == "Is Kabul listening?"
    assert parse_txt_layout(BODY).title is None  # first line ends a sentence: body, not title


def test_the_body_always_keeps_its_first_line():
    assert parse_txt_layout("The writer is a journalist.").body_text == "The writer is a journalist."
    assert parse_txt_layout("February 27, 2026\nThe writer is a journalist.").body_text == "The writer is a journalist."
    lines = ["Views are personal.", "Disclaimer: none."]
    assert split_footer(lines) == (["Views are personal."], ["Disclaimer: none."])


def test_record_layout_strips_only_trailing_footers():
    text = "Disclaimer: this is where the argument starts.\n" + BODY + "\nThe writer is a journalist. He tweets @ab_c"
    layout = parse_record_layout(text)
    assert layout.body_text == "Disclaimer: this is where the argument starts.\n" + BODY
    assert layout.author_handle == "@ab_c" and layout.author_bio == "The writer is a journalist."
    assert layout.title is None and layout.published_date is None
    one_sentence = "February 27, 2026 was the day the author is said to have left."
    assert parse_record_layout(one_sentence).body_text == one_sentence
