"""What `oped-extract show` prints: one article's metadata, entities grouped with counts and its stance sentences,
as text wrapped to the terminal (never cut) or as JSON. Built from the same rows the store would hold."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from oped_extract.ingest.records import METADATA_FIELDS
from oped_extract.store.schema import COLUMNS

if TYPE_CHECKING:
    from oped_extract.batch.diff import ArticleChanges

# The article columns `show` reports (the processing columns – versions, run, times – are the store's business).
META_KEYS = ("article_id", "source_uri", *METADATA_FIELDS, "content_sha256", "n_sentences", "n_tokens", "n_entities",
             "n_stance_sentences")
ENTITY_KEYS = ("entity_id", "canonical_name", "label", "kb_id", "source", "latitude", "longitude", "country_code")
SENTENCE_KEYS = tuple(c.name for c in COLUMNS["sentences"] if c.name != "article_id")
# Labels of values rather than named things: listed after the named entities.
VALUE_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
INDENT = "      "


def article_view(rows: dict[str, list[dict]], all_sentences: bool = False) -> dict:
    """One article's rows (`store.rows.article_rows`) as a JSON-ready dict: metadata, entities grouped by
    entity_id (most mentioned first, each with its mentions), and the stance sentences (or all)."""
    article = rows["articles"][0]
    meta = {k: _jsonable(article[k]) for k in META_KEYS}
    return {
        "article": meta,
        "entities": group_entities(rows["entities"]),
        "sentences": [{k: s[k] for k in SENTENCE_KEYS} for s in rows["sentences"] if all_sentences or s["is_stance"]],
    }


def group_entities(mentions: Iterable[dict]) -> list[dict]:
    groups: dict[str, dict] = {}
    for m in mentions:
        g = groups.setdefault(m["entity_id"], {**{k: m[k] for k in ENTITY_KEYS}, "count": 0, "mentions": []})
        g["count"] += 1
        g["mentions"].append({k: m[k] for k in ("text", "start_char", "end_char", "sentence_index")})
    first = {eid: g["mentions"][0]["start_char"] for eid, g in groups.items()}
    return sorted(groups.values(), key=lambda g: (-g["count"], first[g["entity_id"]]))


def format_article(view: dict, width: int = 80) -> str:
    """The view as text lines no longer than `width`: long values wrap onto indented lines, nothing is cut."""
    width = max(width, 40)
    a = view["article"]
    out = [f"Article {a['article_id']}"]
    author = a["author"] or a["author_handle"]
    if a["author"] and a["author_handle"]:
        author = f"{a['author']} ({a['author_handle']})"
    outlet = " · ".join(x for x in (a["publisher"], f"site {a['site']}" if a["site"] else None) if x)
    for key, value in (("title", a["title"]), ("author", author), ("date", a["published_date"]),
                       ("publisher", outlet), ("bio", a["author_bio"]), ("source", a["source_uri"]),
                       ("body", f"{a['n_sentences']} sentences, {a['n_tokens']} tokens")):
        out += _wrap(f"  {key + ':':<11}{value or '—'}", width, " " * 13)
    out += ["", *format_entities(view["entities"], a["n_entities"], width)]
    out += ["", *format_sentences(view["sentences"], a["n_stance_sentences"], a["n_sentences"], width)]
    return "\n".join(out)


def format_entities(groups: list[dict], n_mentions: int, width: int) -> list[str]:
    out = [f"Entities: {_n(n_mentions, 'mention')} of {_n(len(groups), 'entity')}"]
    by_label: dict[str, list[dict]] = {}
    for g in groups:
        by_label.setdefault(g["label"], []).append(g)
    order = sorted(by_label, key=lambda lbl: (lbl in VALUE_LABELS, -sum(g["count"] for g in by_label[lbl]), lbl))
    for label in order:
        members = by_label[label]
        out.append(f"  {label} ({_n(sum(g['count'] for g in members), 'mention')}, {_n(len(members), 'entity')})")
        for g in members:
            extras = [g["entity_id"]]
            if g["latitude"] is not None:
                extras.append(f"{g['latitude']:.2f}, {g['longitude']:.2f}" + (f" {g['country_code']}"
                                                                            if g["country_code"] else ""))
            forms = Counter(m["text"] for m in g["mentions"])
            if set(forms) != {g["canonical_name"]}:
                extras.append("as " + ", ".join(f"{t} ×{n}" if n > 1 else t for t, n in forms.most_common()))
            out += _wrap(f"  {g['count']:>3}× {g['canonical_name']} · {' · '.join(extras)}", width, INDENT)
    return out


def format_sentences(sentences: list[dict], n_stance: int, n_sentences: int, width: int) -> list[str]:
    shown_all = any(not s["is_stance"] for s in sentences) or len(sentences) == n_sentences
    out = [f"Stance sentences: {n_stance} of {n_sentences}" + (" (all sentences listed)" if shown_all else "")]
    for s in sentences:
        if s["is_stance"]:
            head = [s["stance_type"] or "stance", f"{s['stance_score']:.2f}", f"holder: {s['holder'] or '—'}"]
            if s["cues"]:
                head.append("cues: " + ", ".join(s["cues"]))
        else:
            head = ["no stance", f"{s['stance_score']:.2f}"]
        out += _wrap(f"  [{s['sentence_index']}] " + " · ".join(head), width, INDENT)
        out += _wrap(INDENT + s["text"], width, INDENT)
    return out


def format_changes(changes: ArticleChanges, width: int = 100) -> str:
    """What a reprocess changed (or would change) for one article, wrapped (never cut) to `width`."""
    width = max(width, 40)
    c = changes
    state = ("new article: not in the store before" if not c.stored
             else "body text changed" if c.body_changed else "body text unchanged")
    out = [*_wrap(f"Changes for {c.article_id}: {state}", width, "  "), *_wrap(f"  {c.source_uri}", width, "  ")]
    if c.unchanged:
        return "\n".join([*out, "  no entity or stance sentence changed"])
    kinds = Counter()
    for e in c.entities:
        kinds[e.kind] += e.count
    out += _wrap(f"  entities: {_kinds(kinds)} (mentions {c.mentions[0]} → {c.mentions[1]})", width, INDENT)
    for e in c.entities:
        if e.kind == "relabelled":
            text = f"{_entity(e.before)} → {_entity(e.after, e.before[0])}"
        else:
            text = _entity(e.before or e.after)
        out += _wrap(f"    {_SIGN[e.kind]} {text}" + (f" ×{e.count}" if e.count > 1 else ""), width, INDENT)
    kinds = Counter(s.kind for s in c.stance)
    out += _wrap(f"  stance sentences: {_kinds(kinds)} ({c.stance_sentences[0]} → {c.stance_sentences[1]})",
                 width, INDENT)
    for s in c.stance:
        label = (f"{_stance(s.before)} → {_stance(s.after)}" if s.kind == "relabelled"
                 else _stance(s.after or s.before))
        out += _wrap(f"    {_SIGN[s.kind]} [{s.sentence_index}] {label}", width, INDENT)
        out += _wrap(INDENT + s.text, width, INDENT)
    return "\n".join(out)


_SIGN = {"added": "+", "removed": "-", "relabelled": "~"}


def _entity(key: tuple[str, str, str], previous_text: str | None = None) -> str:
    text, label, entity_id = key
    return f"{text} {label} {entity_id}" if text != previous_text else f"{label} {entity_id}"


def _stance(key: tuple[str, str]) -> str:
    return f"{key[0]} (holder: {key[1]})"


def _kinds(kinds: Counter) -> str:
    return ", ".join(f"{kinds[k]} {k}" for k in ("added", "removed", "relabelled"))


def _wrap(text: str, width: int, indent: str) -> list[str]:
    # break_long_words: a URL longer than the line is split across lines, never cut.
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_on_hyphens=False,
                         drop_whitespace=True) or [""]


def _n(count: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{count} {noun if count == 1 else plural}"


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
