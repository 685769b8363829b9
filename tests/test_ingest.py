"""Ingest: every input form gives the same clean article; bad input becomes a Failure and the rest still loads."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oped_extract.ingest.discovery import Source, discover, file_source
from oped_extract.ingest.layout import parse_txt_layout
from oped_extract.ingest.readers import ingest, read_source, read_uri
from oped_extract.ingest.records import Article, Failure, content_sha256, make_article_id
from oped_extract.ingest.text import normalize_text

from .conftest import assert_sample_metadata

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
STEM = "000_0c9b78742a5f1fc9"
SAMPLE_TXT = SAMPLES / f"{STEM}.txt"
FOOTER_TEXT = ("The writer is", "@umarwrites", "Disclaimer", "Geo.tv", "Originally published", "February 27, 2026")
METADATA = ("title", "author", "author_handle", "author_bio", "published_date", "publisher", "site", "language")


def only(items: list) -> Article | Failure:
    assert len(items) == 1, items
    return items[0]


def article(path: Path | str, **kwargs) -> Article:
    item = only(list(ingest([path], **kwargs)))
    assert isinstance(item, Article), item
    return item


def failure(path: Path | str, **kwargs) -> Failure:
    item = only(list(ingest([path], **kwargs)))
    assert isinstance(item, Failure), item
    return item


# --- the sample, in all three forms ---------------------------------------------------------------------------
def test_sample_txt_metadata_and_body(gold_articles):
    a = article(SAMPLE_TXT)
    assert_sample_metadata(a, gold_articles[0])
    assert a.language == "en"
    assert a.article_id == make_article_id(f"file:{STEM}.txt")
    assert a.content_sha256 == content_sha256(a.body_text)
    assert a.source_uri == str(SAMPLE_TXT.resolve())
    for text in FOOTER_TEXT:
        assert text not in a.body_text


def test_no_footer_text_reaches_the_sentences(nlp):
    a = article(SAMPLE_TXT)
    sentences = [s.text for s in nlp(a.body_text).sents]
    assert sentences[0].startswith("The latest round of cross-border strikes")
    assert sentences[-1].endswith("external preference for restraint.")
    for sentence in sentences:
        for text in FOOTER_TEXT:
            assert text not in sentence


def test_curly_apostrophes_stay_and_entities_still_split_off(nlp):
    a = article(SAMPLE_TXT)
    assert "Pakistan’s security establishment" in a.body_text
    start = a.body_text.index("Pakistan’s security")
    ents = {(e.start_char, e.end_char, e.text) for e in nlp(a.body_text).ents}
    assert (start, start + len("Pakistan"), "Pakistan") in ents


def test_html_and_jsonl_samples_agree_with_the_txt():
    items = list(ingest([SAMPLES]))
    assert all(isinstance(i, Article) for i in items), items
    by_form = {Path(i.source_uri.split("#")[0]).suffix: i for i in items}
    assert set(by_form) == {".txt", ".html", ".jsonl"}
    txt = by_form[".txt"]
    for form in (".html", ".jsonl"):
        other = by_form[form]
        assert other.body_text == txt.body_text, form
        assert {k: getattr(other, k) for k in METADATA} == {k: getattr(txt, k) for k in METADATA}, form
        assert other.content_sha256 == txt.content_sha256
    # Three sources, three identities: kept apart, but analysts can de-duplicate on content_sha256.
    assert len({i.article_id for i in items}) == 3
    assert by_form[".jsonl"].article_id == make_article_id(f"id:{STEM}")
    assert by_form[".jsonl"].source_uri.endswith(f"{STEM}.jsonl#id={STEM}")


# --- identity, discovery and de-duplication ----------------------------------------------------------------------
def test_article_id_comes_from_the_relative_path_not_the_content(tmp_path):
    root = tmp_path / "in"
    (root / "2026" / "02").mkdir(parents=True)
    target = root / "2026" / "02" / "strikes.txt"
    shutil.copy(SAMPLE_TXT, target)
    first = article(root)
    assert first.article_id == make_article_id("file:2026/02/strikes.txt")
    target.write_text(SAMPLE_TXT.read_text(encoding="utf-8").replace("quickly absorbed", "swiftly absorbed"),
                      encoding="utf-8")
    edited = article(root)
    assert edited.article_id == first.article_id  # an edit replaces the article's rows ...
    assert edited.content_sha256 != first.content_sha256  # ... and is seen as changed
    moved = tmp_path / "elsewhere"
    shutil.move(root, moved)
    assert article(moved).article_id == first.article_id  # moving the input folder keeps the ids


def test_discover_recurses_with_globs_and_skips_hidden_folders(tmp_path):
    for rel in ["a.txt", "sub/b.HTML", "sub/deeper/c.jsonl", "drafts/d.txt", "notes.md", ".git/e.txt",
                ".ipynb_checkpoints/a-checkpoint.txt", "sub/.hidden.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    found = [s.identity for s in discover([tmp_path])]
    assert found == ["file:a.txt", "file:drafts/d.txt", "file:sub/b.HTML", "file:sub/deeper/c.jsonl"]
    assert [s.kind for s in discover([tmp_path])] == ["txt", "txt", "html", "jsonl"]
    assert [s.identity for s in discover([tmp_path], exclude=["drafts/*"])] == [
        "file:a.txt", "file:sub/b.HTML", "file:sub/deeper/c.jsonl"]
    assert [s.identity for s in discover([tmp_path], include=["sub/*"])] == [
        "file:sub/b.HTML", "file:sub/deeper/c.jsonl"]
    assert [s.kind for s in discover(["https://www.geo.tv/latest/1"])] == ["url"]


def test_an_article_named_twice_in_one_run_is_read_once(tmp_path):
    shutil.copy(SAMPLE_TXT, tmp_path / "a.txt")
    shutil.copy(SAMPLE_TXT, tmp_path / "copy.txt")
    items = list(ingest([tmp_path, tmp_path / "a.txt"]))
    assert [Path(i.source_uri).name for i in items] == ["a.txt", "copy.txt"]  # a.txt named twice: once
    assert items[0].content_sha256 == items[1].content_sha256  # same content, two sources: both kept


# --- JSON and JSONL records ----------------------------------------------------------------------------------
def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


def test_300_single_sentence_records_are_300_articles_with_their_full_text(tmp_path):
    sentences = [
        "The writer is right that the border is porous.",  # reads like a footer; a record's only line is body
        "Copyright law protects authors.",
        "February 27, 2026",
        "“It’s all justified,” the minister said — but it’s not.",
        "RULE 13: ARTIFICIAL INTELLIGENCE  Not only this, but Gina also created an AI model.",
    ]
    records = [{"id": f"s{i:03d}", "text": sentences[i % len(sentences)] + f" ({i})"} for i in range(300)]
    items = list(ingest([write_jsonl(tmp_path / "bench.jsonl", records)]))
    assert len(items) == 300
    assert all(isinstance(i, Article) for i in items)
    assert [i.body_text for i in items] == [normalize_text(r["text"]) for r in records]
    assert len({i.article_id for i in items}) == 300


def test_jsonl_fields_and_a_broken_record_costs_only_itself(tmp_path):
    path = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": 7, "text": "First article body.\n\nSecond paragraph.\nThe writer is a journalist. He tweets @ab_c",
         "title": "A title", "author": ["Ann Lee", "Raj Rao"], "published_date": "2026-02-27T08:00:00Z",
         "publisher": "Dawn", "url": "https://www.dawn.com/news/1"},
        '{"text": "no closing brace"',
        {"title": "no text here", "body": "the text is in the wrong field"},
        ["not", "an", "object"],
        {"id": "empty", "text": "   \n  "},
        {"text": "A record without id or url.", "published_date": "27 February 2026"},
        {"url": "https://www.geo.tv/latest/9?utm_source=x", "text": "A record named by its URL."},
        '{"id": "cut", "text": "truncated mid-wri',
    ])
    items = list(ingest([path]))
    articles = [i for i in items if isinstance(i, Article)]
    failures = {i.source_uri.rsplit("#", 1)[1]: i for i in items if isinstance(i, Failure)}
    assert len(articles) == 3 and len(failures) == 5
    first = articles[0]
    assert first.body_text == "First article body.\nSecond paragraph."
    assert (first.title, first.author, first.published_date, first.publisher) == (
        "A title", "Ann Lee; Raj Rao", dt.date(2026, 2, 27), "Dawn")
    assert (first.author_handle, first.author_bio) == ("@ab_c", "The writer is a journalist.")
    assert first.article_id == make_article_id("id:7")
    assert articles[1].article_id == make_article_id("file:feed.jsonl#line=6")
    assert articles[1].published_date == dt.date(2026, 2, 27)
    assert articles[2].article_id == make_article_id("url:https://www.geo.tv/latest/9")
    assert failures["line=2"].error_type == "MalformedRecord" and "not valid JSON" in failures["line=2"].message
    assert "no 'text' field" in failures["line=3"].message and "body" in failures["line=3"].message
    assert "a list" in failures["line=4"].message
    assert failures["line=5"].error_type == "EmptyInput"
    assert failures["line=8"].error_type == "MalformedRecord"
    assert all(f.stage == "ingest" for f in failures.values())


def test_read_uri_returns_just_the_stored_record_with_the_batch_article_id(tmp_path):
    path = write_jsonl(tmp_path / "feed.jsonl", [
        {"id": "a b#1", "text": "Record with an awkward id."},
        {"text": "Record without an id."},
        "{broken",
    ])
    batch = [i for i in ingest([tmp_path]) if isinstance(i, Article)]
    assert batch[0].source_uri == f"{path.resolve()}#id=a%20b%231"
    assert batch[1].source_uri == f"{path.resolve()}#line=2"
    for stored in batch:
        again = only(read_uri(stored.source_uri))
        assert isinstance(again, Article)
        assert (again.article_id, again.source_uri, again.body_text) == (
            stored.article_id, stored.source_uri, stored.body_text)
    txt = article(SAMPLE_TXT)
    assert only(read_uri(txt.source_uri)).article_id == txt.article_id
    gone = only(read_uri(f"{path.resolve()}#id=nope"))
    assert isinstance(gone, Failure) and "no record 'id=nope'" in gone.message


def test_json_files_hold_one_record_or_a_list(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"text": "A single record.", "title": "T"}), encoding="utf-8")
    a = article(one)
    assert (a.body_text, a.title, a.article_id) == ("A single record.", "T", make_article_id("file:one.json"))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"id": "x1", "text": "One."}, {"text": "Two."}, 3]), encoding="utf-8")
    items = list(ingest([many]))
    assert [i.source_uri.rsplit("#", 1)[1] for i in items] == ["id=x1", "index=1", "index=2"]
    assert isinstance(items[2], Failure) and "a number" in items[2].message
    assert only(read_uri(items[1].source_uri)).article_id == items[1].article_id
    truncated = tmp_path / "cut.json"
    truncated.write_text('{"text": "cut off', encoding="utf-8")
    f = failure(truncated)
    assert f.error_type == "MalformedRecord" and "not valid JSON" in f.message


# --- bad input ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, content, error_type, words",
    [
        ("empty.txt", b"", "EmptyInput", "empty"),
        ("blank.txt", b" \n\t\r\n ", "EmptyInput", "empty"),
        ("footer-only.txt", b"February 27, 2026\n\n", "EmptyInput", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(200), "BinaryInput", "PNG"),
        ("blob.txt", bytes(range(256)) * 8, "BinaryInput", "binary"),
        ("junk.txt", bytes(range(128, 256)) * 4, "UndecodableText", "UTF-8"),
        ("empty.jsonl", b"\n\n", "EmptyInput", "empty"),
        ("script.html", b"<html><body><script>var x = 1;</script></body></html>", "NoExtractableText",
         "no article text"),
        ("report.pdf", b"%PDF-1.4", "UnsupportedInput", ".pdf"),
    ],
)
def test_bad_input_becomes_a_failure_with_a_clear_reason(tmp_path, name, content, error_type, words):
    path = tmp_path / name
    path.write_bytes(content)
    f = failure(path)
    assert (f.error_type, f.stage, f.source_uri) == (error_type, "ingest", str(path.resolve()))
    assert words in f.message and str(path.resolve()) in f.message


def test_oversized_files_are_rejected_by_a_configurable_cap(tmp_path):
    shutil.copy(SAMPLE_TXT, tmp_path / "a.txt")
    f = failure(tmp_path / "a.txt", max_bytes=1000)
    assert f.error_type == "OversizedInput" and "1,000-byte cap" in f.message
    assert isinstance(only(list(ingest([tmp_path / "a.txt"], max_bytes=10_000))), Article)
    path = write_jsonl(tmp_path / "feed.jsonl", [{"text": "short"}, {"text": "long " * 300}])
    kinds = [type(i).__name__ for i in ingest([path], max_bytes=1000)]
    assert kinds == ["Article", "Failure"]  # the JSONL cap applies per record


def test_a_missing_file_is_a_failure_not_a_crash(tmp_path):
    f = only(list(read_source(Source(str(tmp_path / "gone.txt"), "file:gone.txt", "txt"))))
    assert isinstance(f, Failure) and f.error_type == "UnreadableInput"


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    shutil.copy(SAMPLE_TXT, tmp_path / "good.txt")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02" * 50)
    items = list(ingest([tmp_path]))
    assert [type(i).__name__ for i in items] == ["Failure", "Article"]


# --- encodings ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_other_encodings_decode_to_the_same_text(tmp_path, encoding):
    text = "February 27, 2026\nPakistan’s “strategic patience” has limits, café owners say.\nIt is wearing thin."
    (tmp_path / "a.txt").write_bytes(text.encode(encoding))
    a = article(tmp_path / "a.txt")
    assert a.body_text == "Pakistan’s “strategic patience” has limits, café owners say.\nIt is wearing thin."
    assert a.published_date == dt.date(2026, 2, 27)


def test_html_declared_charset_is_honoured(tmp_path):
    page = ("<html><head><meta charset='windows-1252'><meta property='og:site_name' content='Dawn'></head><body>"
            "<article><p>Pakistan’s “border policy” is under strain, say analysts in Islamabad and Quetta.</p>"
            "<p>The writer is a journalist.</p></article></body></html>")
    (tmp_path / "a.html").write_bytes(page.encode("cp1252"))
    a = article(tmp_path / "a.html")
    assert a.body_text == "Pakistan’s “border policy” is under strain, say analysts in Islamabad and Quetta."
    assert (a.site, a.author_bio) == ("Dawn", "The writer is a journalist.")


# --- normalisation keeps offsets honest -------------------------------------------------------------------------
def test_normalize_text():
    raw = "  Cafe\u0301\u00a0owners\u200b  said\r\n\r\n\u201cno\u201d\u2019s \t end  \u2028next"
    assert normalize_text(raw) == "Caf\u00e9 owners said\n\u201cno\u201d\u2019s end\nnext"


def test_hard_wrapped_paragraphs_are_rejoined(tmp_path):
    para = ("Over the past several years, Islamabad has repeatedly stated that anti-Pakistan groups have\n"
            "found space to regroup across the border. Afghan authorities have rejected the\n"
            "characterisation and say the problem is internal to Pakistan and its own policies.")
    text = f"{para}\n\n{para}\n\nThe writer is a journalist.\nEmail: ab@example.com"
    out = normalize_text(text)
    assert out.split("\n")[:2] == [para.replace("\n", " ")] * 2
    assert out.split("\n")[2:] == ["The writer is a journalist.", "Email: ab@example.com"]


_PIECES = [*"ab cdé\u0301’“”'\".@:\n\r\t\u00a0\u200b", "The writer is ", "February 27, 2026", "Disclaimer: ", "\n\n",
           "Pakistan’s ", "x" * 60]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=80).map("".join) | st.text(max_size=200)


@given(_TEXT)
@settings(max_examples=300, deadline=None)
def test_normalize_is_idempotent_and_the_body_slices_out_of_it(raw):
    norm = normalize_text(raw)
    assert normalize_text(norm) == norm
    body = parse_txt_layout(norm).body_text
    assert body == "" or body in norm  # the body is one contiguous run of the normalised lines
    assert sum(raw.count(q) for q in "’“”") == sum(norm.count(q) for q in "’“”")  # quotes untouched


@given(_TEXT)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_token_offsets_slice_back_to_the_same_text(nlp, raw):
    norm = normalize_text(raw)
    doc = nlp.make_doc(parse_txt_layout(norm).body_text)
    for token in doc:
        assert doc.text[token.idx:token.idx + len(token.text)] == token.text


@pytest.mark.parametrize("suffix", [".txt", ".html", ".json", ".jsonl", ".htm"])
def test_ingest_never_crashes_on_arbitrary_bytes(tmp_path_factory, suffix):
    folder = tmp_path_factory.mktemp("fuzz")

    @given(st.binary(max_size=2000) | st.text(max_size=500).map(lambda t: t.encode("utf-8")))
    @settings(max_examples=60, deadline=None)
    def check(data):
        path = folder / f"input{suffix}"
        path.write_bytes(data)
        items = list(read_source(file_source(path, path.name)))
        assert items
        for item in items:
            if isinstance(item, Article):
                assert item.body_text and normalize_text(item.body_text) == item.body_text
            else:
                assert item.message and item.error_type

    check()


def test_utf16_bom_without_text_is_rejected(tmp_path):
    (tmp_path / "bom.txt").write_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8")
    f = failure(tmp_path / "bom.txt")
    assert f.error_type == "UndecodableText"
