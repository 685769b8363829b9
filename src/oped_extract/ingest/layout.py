"""The plain-text article layout: dateline, title and byline on top, body paragraphs, footer lines below."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from oped_extract.ingest.records import METADATA_FIELDS, ArticleMetadata

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_DATE_FORMS = [
    rf"(?P<m1>{_MONTH})\.?\s+(?P<d1>\d{{1,2}}){_ORD},?\s+(?P<y1>\d{{4}})",  # February 27, 2026
    rf"(?P<d2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m2>{_MONTH})\.?,?\s+(?P<y2>\d{{4}})",  # 27 Feb, 2026
    r"(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})",  # 2026-02-27
]
_DATE = "(?:" + "|".join(_DATE_FORMS) + ")"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DATE_PREFIX = r"(?:(?:published|posted|updated|last\s+updated|dated|date)\s*(?:on|:)?\s*)?"
# What may follow the date on a dateline: a time, a zone, separators - not the rest of a sentence.
_DATE_TAIL = (
    r"[\s,|·•/–—-]*(?:(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)?\s*"
    r"(?:\(?(?:[A-Z]{2,5}|GMT|UTC)(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?\)?)?\s*$"
)
_DATELINE = re.compile(rf"^{_DATE_PREFIX}{_WEEKDAY}{_DATE}(?P<tail>.*)$", re.IGNORECASE)
_DATE_ANYWHERE = re.compile(rf"\b{_DATE}\b", re.IGNORECASE)


def _date_from(m: re.Match) -> dt.date | None:
    for n in "123":
        if m[f"y{n}"]:
            month = m[f"m{n}"]
            month_no = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
            try:
                return dt.date(int(m[f"y{n}"]), month_no, int(m[f"d{n}"]))
            except ValueError:
                return None
    return None


def parse_date(line: str) -> dt.date | None:
    """A dateline ('February 27, 2026', 'Friday, 27 Feb 2026 10:30 PKT', '2026-02-27') -> date; else None.

    A date that opens a sentence ('May 9, 2023 changed everything.') is body text, not a dateline."""
    m = _DATELINE.match(line.strip())
    if not m:
        return None
    tail = m["tail"]
    if not re.match(_DATE_TAIL, tail) and (len(tail.split()) > 3 or re.search(r"[.!?]$", tail)):
        return None
    return _date_from(m)


def find_date(text: str) -> dt.date | None:
    """The first date written anywhere in `text` ('Published in Dawn, February 27th, 2026')."""
    m = _DATE_ANYWHERE.search(text)
    return _date_from(m) if m else None


@dataclass
class Layout:
    """Body text and the metadata read off the lines around it: `layout.title` etc. read the metadata fields
    (declared once, in ArticleMetadata); `layout.meta` is them as an ArticleMetadata."""

    body_text: str
    footer: list[str] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=ArticleMetadata().metadata_dict)

    @property
    def meta(self) -> ArticleMetadata:
        return ArticleMetadata(**self.values)

    def fill(self, **values: object) -> None:
        """Set metadata fields that are still empty: the first value found for a field wins."""
        for name, value in values.items():
            if self.values[name] is None and value is not None:
                self.values[name] = value

    def __getattr__(self, name: str) -> object:
        if name in METADATA_FIELDS:
            return self.__dict__["values"][name]
        raise AttributeError(name)


# --- footer lines -------------------------------------------------------------------------------------------
# Each pattern is anchored at the start of a line and applied only to trailing lines, so a body paragraph
# that merely mentions "the writer" or "copyright" is never touched.
_LEAD = r"^[\s(\[*_~•·–—-]*"  # footers are often italicised, bracketed or dashed: "(The writer is ...)", "— ..."
_HANDLE = re.compile(r"(?<![\w.@/])@([A-Za-z0-9_]{2,30})\b(?!\.\w)")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_BIO = re.compile(
    _LEAD + r"(?:about\s+the\s+(?:author|writer)s?\s*:|(?:the\s+)?(?:writer|author|columnist|contributor|reviewer"
    r"|commentator|op-?ed\s+writer)s?(?:\s*,|\s+(?:is|are|was|were|has|have|had|heads?|teach(?:es)?|works?|worked"
    r"|serves?|served|writes?|tweets?|posts|can|could|may|holds?|leads?|directs?|speciali[sz]es|currently|previously"
    r"|formerly|recently|also|runs|chairs?|covers|focuses|researches|studied|practi[sc]es|is/was)\b))",
    re.IGNORECASE,
)
_SOCIAL = r"(?:twitter|x|instagram|facebook|linkedin|threads|bluesky|mastodon|substack)"
_HANDLE_LINE = re.compile(
    _LEAD + rf"(?:(?:he|she|they|the\s+(?:writer|author))\s+(?:tweets|posts|tweets/posts|is\s+on\s+{_SOCIAL}"
    rf"|can\s+be\s+(?:followed|found))|follow\s+(?:him|her|them|the\s+(?:writer|author)|us)\b|{_SOCIAL}\s*(?:handle)?\s*:)",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    _LEAD + r"(?:(?:e-?mail|contact|website|web|blog|reach)\s*(?:address|him|her|them|the\s+writer)?\s*:"
    r"|(?:he|she|they|the\s+(?:writer|author))\s+(?:can|may)\s+be\s+(?:reached|contacted|emailed|written\s+to))",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    _LEAD + r"(?:(?:disclaimer|note|editor['’]?s\s+note|author['’]?s\s+note|n\.\s?b\.)\s*[:.–—-]"
    r"|(?:the\s+|all\s+)?(?:views?|opinions?|viewpoints?|facts\s+and\s+opinions)\s+(?:and\s+opinions\s+)?"
    r"(?:expressed|in\s+this|of\s+the\s+(?:writer|author)|are\s+(?:personal|the\s+(?:writer|author)))"
    r"|views\s+(?:are\s+)?personal)",
    re.IGNORECASE,
)
_NOT_NECESSARILY = re.compile(
    r"\b(?:do(?:es)?\s+not|don['’]t|doesn['’]t)\s+necessarily\s+(?:reflect|represent)", re.IGNORECASE)
_ORIGIN = re.compile(
    _LEAD + r"(?:(?:a\s+version\s+of\s+)?this\s+(?:article|piece|column|op-?ed|story|commentary|essay|analysis)\s+"
    r"(?:was\s+|is\s+|has\s+been\s+)?(?:originally\s+|first\s+)?(?:published|appeared|ran|printed|republished)"
    r"|(?:originally|first)\s+(?:published|appeared|ran|printed)|published\s+in\s+(?=\S+.*\d{4})"
    r"|republished\s+(?:with\s+permission\s+)?from|reproduced\s+(?:with\s+permission\s+)?from|courtesy\s*:?(?=\s+[A-Z])"
    r"|source\s*:)"
    r"(?:\s+(?:originally|first))?\s*(?:(?:in|on|by|at|from)\s+)?(?P<pub>.*)$",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    _LEAD + r"(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|:|\d{4})|all\s+rights\s+reserved)", re.IGNORECASE)
_PROMO = re.compile(
    _LEAD + r"(?:(?:like|follow)\s.{0,80}\bon\s+" + _SOCIAL + r"\b|(?:also\s+)?read(?:\s+more|\s+also)?\s*:"
    r"|do\s+you\s+have\s+an\s+opinion\s+on|(?:with\s+inputs?\s+from|additional\s+reporting\s+by"
    r"|(?:translated|edited)\s+(?:from\s+\w+\s+)?by)\b|(?:subscribe|sign\s+up)\b.{0,80}\b(?:newsletter|here)\b)",
    re.IGNORECASE,
)
_ONLY_CONTACTS = re.compile(
    r"^(?:[\s,;|/]*(?:@\w{2,30}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+))+[\s.]*$", re.IGNORECASE
)
# "Jane Doe is a senior fellow at ..." - a bio that names the writer; only trusted on the last lines, when short
# and when it reads like a bio (a role or an institution), so a concluding sentence about a politician is kept.
_TITLES = r"(?:(?:Dr|Prof|Professor|Mr|Ms|Mrs|Engr|Amb|Ambassador|Lt|Gen|Maj|Col|Brig|Justice|Senator|Sen)\.?\s+)"
_NAME_TOKEN = r"(?:[A-Z][\w'’.-]*|(?:bin|ibn|al|el|de|da|van|von|ul|ud|ur|e)-?)"
_NAMED_BIO = re.compile(
    rf"{_LEAD}(?P<name>{_TITLES}?(?!(?:The|This|That|These|Those|It|In|On|If|But|And|Yet|So|Such|For)\b)"
    rf"[A-Z][\w'’.-]+(?:\s+{_NAME_TOKEN}){{1,4}})\s+(?:is|was|has\s+been|serves\s+as|teaches|heads|leads|directs"
    r"|writes|works|chairs|is\s+currently|was\s+formerly)\b"
)
_BIO_WORDS = re.compile(
    r"\b(?:professor|fellow|columnist|journalist|analyst|researcher|lecturer|director|editor|correspondent|scholar"
    r"|economist|diplomat|ambassador|adviser|advisor|consultant|founder|co-founder|author\s+of|writer|student|lawyer"
    r"|advocate|contributor|commentator|think[\s-]tank|institute|university|college|centre|center|foundation"
    r"|ph\.?\s?d)\b",
    re.IGNORECASE,
)
_PRONOUN_LINE = re.compile(r"^(?:he|she|they|his|her|their)\s", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“\"'@])")


def _footer_kind(line: str) -> str | None:
    """Which footer a line is ('bio', 'handle', ...), or None for a body line."""
    if len(line) > 600:
        return None
    if _BIO.match(line):
        return "bio"
    if _ORIGIN.match(line) and len(line.split()) <= 30:
        return "origin"
    if _DISCLAIMER.match(line) or (_NOT_NECESSARILY.search(line) and len(line.split()) <= 60):
        return "disclaimer"
    if _HANDLE_LINE.match(line) or _ONLY_CONTACTS.match(line):
        return "handle"
    if _CONTACT.match(line) and len(line.split()) <= 30:
        return "contact"
    if _COPYRIGHT.match(line) and len(line.split()) <= 30:
        return "copyright"
    if _PROMO.match(line) and len(line.split()) <= 40:
        return "promo"
    return None


def is_footer_line(line: str) -> bool:
    return _footer_kind(line) is not None


def _is_named_bio(line: str) -> bool:
    return bool(len(line.split()) <= 50 and _NAMED_BIO.match(line) and _BIO_WORDS.search(line))


def split_footer(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split lines into (body, footer): the footer is the trailing run of footer lines.

    A pronoun line ('He served as ...') between footer lines belongs to the bio above it; a named bio ('Jane Doe
    is a fellow at ...') counts only as the first line of a footer block. The first line always stays body, so
    a one-sentence record is never emptied."""
    cut = len(lines)
    i = len(lines)
    while i > 1:
        line = lines[i - 1]
        if _footer_kind(line):
            i -= 1
            cut = i
        elif _PRONOUN_LINE.match(line) and len(line.split()) <= 40:
            i -= 1  # tentative: footer only if a footer line sits above it
        else:
            break
    if 1 < cut <= len(lines) and _is_named_bio(lines[cut - 1]) and (cut < len(lines) or len(lines) > 2):
        cut -= 1
    return lines[:cut], lines[cut:]


_BYLINE = re.compile(
    r"^(?i:by|written\s+by|author\s*:)\s+(?P<name>[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|bin|al|de|van|von|ul|ud))"
    r"{0,4}(?:\s*(?:,|and|&)\s*[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,4})*)\s*[,|·]?\s*(?P<rest>.*)$"
)
_TITLE_END = re.compile(r"[.!:;,…\"”’)\]]$")


def _byline(line: str) -> tuple[str | None, dt.date | None]:
    m = _BYLINE.match(line)
    if not m or len(m["name"].split()) > 12:
        return None, None
    rest = m["rest"].strip(" |,·-–—")
    date = parse_date(rest) if rest else None
    if rest and date is None:
        return None, None
    return m["name"], date


def _is_title(line: str) -> bool:
    words = len(line.split())
    if words > 25 or is_footer_line(line) or _TITLE_END.search(line):
        return False
    return not line.endswith("?") or words <= 15


def parse_txt_layout(text: str, *, read_title: bool = True) -> Layout:
    """Split normalised text (one paragraph per line) into body and metadata: header lines on top (dateline,
    title, byline in any order), then body, then footer lines."""
    lines = text.split("\n") if text else []
    layout = Layout(body_text="")
    # The header is at most a dateline, a title and a byline; one line is always left for the body.
    while len(lines) > 1:
        line = lines[0]
        date = parse_date(line)
        author, by_date = (None, None) if date else _byline(line)
        if date and layout.published_date is None:
            layout.fill(published_date=date)
        elif author and layout.author is None:
            layout.fill(author=author, published_date=by_date)
        elif read_title and layout.title is None and layout.author is None and _is_title(line):
            layout.fill(title=line)
        else:
            break
        lines.pop(0)
    if len(lines) == 1 and layout.published_date is None and parse_date(lines[0]):
        layout.fill(published_date=parse_date(lines.pop()))  # a file holding nothing but a dateline has no body
    read_footer(lines, layout)
    return layout


def parse_record_layout(text: str) -> Layout:
    """For JSON records: only footer lines at the end are metadata; the text's first line always stays body."""
    layout = Layout(body_text="")
    read_footer(text.split("\n") if text else [], layout)
    return layout


def read_footer(lines: list[str], layout: Layout) -> None:
    """Take the trailing footer off `lines` into `layout` (body_text and the fields it names)."""
    body, footer = split_footer(lines)
    layout.body_text = "\n".join(body)
    layout.footer = footer
    bio_parts: list[str] = []
    for line in footer:
        kind = _footer_kind(line)
        handle = _HANDLE.search(_EMAIL.sub(" ", line))
        if handle and kind in (None, "bio", "handle", "contact"):
            layout.fill(author_handle="@" + handle.group(1))
        if kind == "bio" or (kind is None and not bio_parts and _is_named_bio(line)):
            if not bio_parts:
                bio_parts.append(line)
                named = _NAMED_BIO.match(line) if kind is None else None
                if named:
                    layout.fill(author=re.sub(_TITLES, "", named["name"]).strip())
        elif kind is None and bio_parts and _PRONOUN_LINE.match(line):
            bio_parts.append(line)  # 'He served as ...' continues the bio
        if kind == "disclaimer" and layout.site is None:
            layout.fill(site=_site_in_disclaimer(line))
        if kind == "origin":
            publisher, date = _origin(line)
            layout.fill(publisher=publisher, published_date=date)
    for line in footer:
        if _footer_kind(line) == "copyright" and layout.publisher is None:
            layout.fill(publisher=_copyright_holder(line))
    if bio_parts:
        layout.fill(author_bio=_clean_bio(" ".join(bio_parts)))


# --- reading values off footer lines ---------------------------------------------------------------------------
_CONTACT_CLAUSE = re.compile(
    r"[,;]?\s*(?:and\s+)?(?:(?:he|she|they|the\s+(?:writer|author))\s+)?(?:tweets|posts|tweets/posts|is\s+on\s+"
    + _SOCIAL + r"|(?:can|may)\s+be\s+(?:reached|contacted|followed|emailed|found)|could\s+be\s+reached)\b.*$",
    re.IGNORECASE,
)


def _clean_bio(text: str) -> str:
    """'The writer is X. He tweets/posts @y' -> 'The writer is X.' (handle and e-mail have their own place)."""
    text = text.strip().strip("()[]*_~").strip()
    text = re.sub(r"^[•·–—-]+\s*", "", text)
    text = re.sub(r"^about\s+the\s+(?:author|writer)s?\s*:\s*", "", text, flags=re.IGNORECASE)
    kept = []
    for sentence in _SENTENCE_SPLIT.split(text):
        if _HANDLE.search(sentence) or _EMAIL.search(sentence) or _HANDLE_LINE.match(sentence):
            cleaned = _CONTACT_CLAUSE.sub("", sentence).rstrip(" ,;:")
            sentence = "" if _HANDLE.search(cleaned) or _EMAIL.search(cleaned) else cleaned
            if sentence and not sentence.endswith((".", "!", "?")):
                sentence += "."
        if sentence and not _CONTACT.match(sentence):
            kept.append(sentence)
    return " ".join(kept) or text


_SITE_NAME = r"(?P<site>(?:[A-Z0-9][\w.&-]*|of|the|and|&)(?:\s+(?:[A-Z0-9][\w.&-]*|of|&))*?)"
_SITE_PATTERNS = [
    re.compile(rf"\b(?:reflect|represent)s?\s+(?:those\s+of\s+|the\s+)?{_SITE_NAME}['’]s?\s+(?:editorial|views|policy"
               r"|stance|position|opinion)"),
    re.compile(rf"\b(?:views?|opinions?|position|polic(?:y|ies)|stance)\s+of\s+(?:the\s+)?{_SITE_NAME}\s*(?:[.,;)]|$)"),
]


def _site_in_disclaimer(line: str) -> str | None:
    """'... don't necessarily reflect Geo.tv's editorial policy.' -> 'Geo.tv'."""
    for pattern in _SITE_PATTERNS:
        m = pattern.search(line)
        if m and m["site"][0].isupper() and m["site"].lower() not in {"writer", "author", "the writer"}:
            return m["site"].strip(" .")
    return None


_PUBLISHER_END = re.compile(
    r"\s*(?:,|;|\(|\s[–—-]\s|\s+on\s+(?=(?:mon|tue|wed|thu|fri|sat|sun|\d|" + _MONTH + r"))|\s+under\s|\s+with\s"
    r"|\s+and\s+(?:is|has)\s|\s+in\s+(?=\d|" + _MONTH + r")|\s+dated\s).*$",
    re.IGNORECASE,
)


def _origin(line: str) -> tuple[str | None, dt.date | None]:
    """'Originally published in The News' -> 'The News'; 'Published in Dawn, February 27th, 2026' -> also a date."""
    m = _ORIGIN.match(line)
    pub = m["pub"] if m else ""
    pub = re.sub(r"^(?:the\s+)?(?:print\s+edition\s+of|website\s+of|pages\s+of)\s+", "", pub, flags=re.IGNORECASE)
    pub = _PUBLISHER_END.sub("", pub).strip(" .*_\"'“”‘’)")
    if not pub or len(pub.split()) > 8 or not (pub[0].isupper() or pub[0].isdigit() or "." in pub):
        pub = None
    return pub, find_date(line)


def _copyright_holder(line: str) -> str | None:
    """'Copyright: Project Syndicate, 2026.' / '© 2026 Project Syndicate' -> 'Project Syndicate'."""
    holder = re.sub(_LEAD + r"(?:copyright\s*)?(?:©|\(c\))?\s*:?\s*(?:\d{4}\s*)?", "", line, count=1,
                    flags=re.IGNORECASE)
    holder = re.sub(r"[,.]?\s*(?:\d{4}|all\s+rights\s+reserved|www\.\S+).*$", "", holder,
                    flags=re.IGNORECASE).strip(" .,")
    return holder if holder and holder[0].isupper() and len(holder.split()) <= 6 else None
