"""Entity mentions with canonical ids: the `oped_entities` component (gazetteer + the model's NER)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from oped_extract.errors import ConfigError
from oped_extract.nlp import extensions  # noqa: F401  (registers Span._ attributes)

# Named-entity labels kept in doc.ents; numeric types (DATE, CARDINAL, MONEY, …) are not entities users join on.
NAMED_LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
)
DEFAULT_GAZETTEER = "gazetteer.jsonl"
_REQUIRED = ("entity_id", "canonical_name", "label")
_POSSESSIVES = {"'s", "’s", "'", "’"}
# Tokens that may sit inside a model span between gazetteer names without making it a different name.
_FILLER_POS = {"PUNCT", "DET", "CCONJ", "PART", "SPACE"}
# An alias without a run of three lowercase letters ("TTP", "IS-K", "U.N.", "LeT") is an acronym: match it
# case-sensitively so that "us" or "un" in running text never becomes a country or the United Nations.
_WORDLIKE = re.compile(r"[a-z]{3}")


def derived_entity_id(text: str, label: str) -> str:
    """Deterministic id for a name outside the gazetteer, so the same name joins across articles."""
    # Curly and straight apostrophes must give the same id ("Pakistan’s" = "Pakistan's"), so unify them
    # before the ASCII fold, which would otherwise drop the curly one.
    norm = re.sub(r"[’‘ʼ`]", "'", " ".join(text.split()))
    norm = unicodedata.normalize("NFKD", norm).encode("ascii", "ignore").decode().lower()
    norm = re.sub(r"^(the)\s+", "", norm)
    norm = re.sub(r"'s?$", "", norm).replace("'", "")
    slug = re.sub(r"[^a-z0-9]+", "-", norm).strip("-") or "x"
    return f"{label.lower()}:{slug}"


def display_name(text: str) -> str:
    """The canonical name of a mention outside the gazetteer: the same normalisation as its entity_id."""
    name = " ".join(text.split())
    name = re.sub(r"^(the|The|THE)\s+", "", name)
    return re.sub(r"['’]s?$", "", name) or name


@dataclass(frozen=True)
class GazetteerEntry:
    """One entity users care about: its canonical id and name, label, the names it goes by, and where it is."""

    entity_id: str
    canonical_name: str
    label: str
    aliases: tuple[str, ...] = ()
    kb_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    country_code: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.canonical_name, *self.aliases)


@dataclass
class Gazetteer:
    """Entries by entity_id, and the files they came from (bundled first, then the user's)."""

    entries: dict[str, GazetteerEntry] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, entity_id: str) -> GazetteerEntry:
        return self.entries[entity_id]


def bundled_gazetteer_path() -> Path:
    """The gazetteer shipped as package data."""
    return Path(str(resources.files("oped_extract.data").joinpath(DEFAULT_GAZETTEER)))


def load_gazetteer(path: str | Path | None = None, extra_paths: Iterable[str | Path] = ()) -> Gazetteer:
    """Read the gazetteer (bundled when `path` is None), then each extra file; a later entity_id replaces an earlier."""
    gazetteer = Gazetteer()
    for source in [Path(path) if path else bundled_gazetteer_path(), *map(Path, extra_paths)]:
        for entry in _read_entries(source):
            gazetteer.entries[entry.entity_id] = entry
        gazetteer.sources.append(str(source))
    return gazetteer


def _read_entries(path: Path) -> list[GazetteerEntry]:
    if not path.is_file():
        raise ConfigError(f"gazetteer file not found: {path}")
    entries = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"gazetteer line is not valid JSON ({exc.msg}): {where}") from exc
        entries.append(_entry(record, where))
    return entries


def _entry(record: object, where: str) -> GazetteerEntry:
    if not isinstance(record, dict):
        raise ConfigError(f"gazetteer record must be a JSON object: {where}")
    missing = [k for k in _REQUIRED if not isinstance(record.get(k), str) or not record[k].strip()]
    if missing:
        raise ConfigError(f"gazetteer record lacks {', '.join(missing)} (non-empty strings required): {where}")
    aliases = record.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ConfigError(f"gazetteer 'aliases' must be a list of non-empty strings: {where}")
    lat, lon = record.get("lat"), record.get("lon")
    if (lat is None) != (lon is None) or any(v is not None and not isinstance(v, (int, float)) for v in (lat, lon)):
        raise ConfigError(f"gazetteer 'lat' and 'lon' must both be numbers or both be absent: {where}")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError(f"gazetteer coordinates out of range ({lat}, {lon}): {where}")
    return GazetteerEntry(
        entity_id=record["entity_id"].strip(),
        canonical_name=record["canonical_name"].strip(),
        label=record["label"].strip().upper(),
        aliases=tuple(a.strip() for a in aliases),
        kb_id=record.get("kb_id") or None,
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
        country_code=(record.get("country_code") or None) and record["country_code"].upper(),
    )


@Language.factory(
    "oped_entities",
    default_config={
        "gazetteer_path": None,
        "extra_gazetteer_paths": [],
        "labels": list(NAMED_LABELS),
        "strip_determiners": True,
    },
    assigns=["doc.ents", "token.ent_iob", "token.ent_type", "span._.entity_id", "span._.canonical_name"],
    requires=["doc.ents", "token.tag"],
)
def make_entities(
    nlp: Language,
    name: str,
    gazetteer_path: str | None,
    extra_gazetteer_paths: list[str],
    labels: list[str],
    strip_determiners: bool,
) -> EntityLinker:
    return EntityLinker(nlp, load_gazetteer(gazetteer_path, extra_gazetteer_paths), labels, strip_determiners)


@dataclass(frozen=True)
class _Mention:
    start: int  # token offsets
    end: int
    label: str
    entry: GazetteerEntry | None  # None: the model's mention


class EntityLinker:
    """Puts the gazetteer's names and labels over the model's NER and gives every mention a canonical id.

    Gazetteer aliases and labels win where they disagree with the model ("The Durand Line" ORG becomes
    "Durand Line" LOC); a longer model name that merely contains a gazetteer name ("Islamabad High Court")
    stays the model's. Only `labels` are kept in doc.ents.
    """

    def __init__(self, nlp: Language, gazetteer: Gazetteer, labels: Sequence[str], strip_determiners: bool = True):
        self.gazetteer = gazetteer
        self.labels = frozenset(labels)
        self.strip_determiners = strip_determiners
        self.exact_matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.caseless_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        exact: dict[str, list[Doc]] = {}
        caseless: dict[str, list[Doc]] = {}
        for entry in gazetteer.entries.values():
            for alias in dict.fromkeys(entry.names):
                case_sensitive = alias.islower() or not _WORDLIKE.search(alias)
                (exact if case_sensitive else caseless).setdefault(entry.entity_id, []).append(nlp.make_doc(alias))
        for matcher, patterns in ((self.exact_matcher, exact), (self.caseless_matcher, caseless)):
            for entity_id, docs in patterns.items():
                matcher.add(entity_id, docs)
        # Match ids are string hashes; resolve them without touching the StringStore per document.
        self._by_hash = {nlp.vocab.strings[e]: self.gazetteer[e] for e in gazetteer.entries}

    def __call__(self, doc: Doc) -> Doc:
        found = self._gazetteer_mentions(doc)
        # Every model span takes part in the merge, so a name inside a dropped type ("Pakistan Day" as DATE)
        # is not pulled out of it; spans of other types are dropped afterwards.
        model = [m for ent in doc.ents if (m := self._trimmed(ent)) is not None]
        mentions = [m for m in _merge(doc, found, model) if m.label in self.labels]
        doc.ents = [Span(doc, m.start, m.end, label=m.label) for m in mentions]
        for ent, mention in zip(doc.ents, mentions, strict=False):
            self._annotate(ent, mention.entry)
        return doc

    def _gazetteer_mentions(self, doc: Doc) -> list[_Mention]:
        candidates = [(s, e, self._by_hash[k]) for k, s, e in self.exact_matcher(doc)]
        candidates += [
            (s, e, self._by_hash[k]) for k, s, e in self.caseless_matcher(doc) if not doc[s:e].text.islower()
        ]
        # Longest first, then leftmost: "Pakistani Taliban" beats "Pakistani", "Pakistan Army" beats "Pakistan".
        candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
        taken: set[int] = set()
        mentions = []
        for start, end, entry in candidates:
            if entry.label in self.labels and not taken.intersection(range(start, end)):
                taken.update(range(start, end))
                mentions.append(_Mention(start, end, entry.label, entry))
        return mentions

    def _trimmed(self, ent: Span) -> _Mention | None:
        """The model's span without a leading "the" or a trailing possessive or punctuation."""
        start, end = ent.start, ent.end
        doc = ent.doc
        if self.strip_determiners and ent.label_ != "WORK_OF_ART":
            while start < end - 1 and (doc[start].lower_ == "the" or doc[start].is_punct):
                start += 1
        while end > start + 1 and (doc[end - 1].text in _POSSESSIVES or doc[end - 1].is_punct):
            end -= 1
        return _Mention(start, end, ent.label_, None) if end > start else None

    def _annotate(self, ent: Span, entry: GazetteerEntry | None) -> None:
        x = ent._
        if entry is None:
            x.entity_id = derived_entity_id(ent.text, ent.label_)
            x.canonical_name = display_name(ent.text)
            x.ent_source = "model"
            return
        x.entity_id = entry.entity_id
        x.canonical_name = entry.canonical_name
        x.kb_id = entry.kb_id
        x.ent_source = "gazetteer"
        x.latitude, x.longitude, x.country_code = entry.lat, entry.lon, entry.country_code


def _merge(doc: Doc, found: list[_Mention], model: list[_Mention]) -> list[_Mention]:
    """Gazetteer mentions plus the model mentions they do not contradict, in text order, never overlapping."""
    dropped: set[_Mention] = set()
    kept_model: list[_Mention] = []
    for m in model:
        inside = [g for g in found if g.start < m.end and m.start < g.end]
        if not inside:
            kept_model.append(m)
            continue
        if all(m.start <= g.start and g.end <= m.end for g in inside) and not _names_only(doc, m, inside):
            # The model's name is longer than any gazetteer name in it ("Islamabad High Court"): keep it whole.
            kept_model.append(m)
            dropped.update(inside)
            continue
        # The gazetteer's reading wins; what remains of the model's span survives if it still names something.
        kept_model.extend(_leftovers(doc, m, inside))
    return sorted([g for g in found if g not in dropped] + kept_model, key=lambda m: m.start)


def _is_filler(token) -> bool:
    return token.pos_ in _FILLER_POS or token.is_punct or token.text in _POSSESSIVES or token.lower_ == "the"


def _names_only(doc: Doc, m: _Mention, inside: list[_Mention]) -> bool:
    """True when every token of `m` outside the gazetteer mentions is filler ("Pakistan-Afghanistan")."""
    covered = {i for g in inside for i in range(g.start, g.end)}
    return all(i in covered or _is_filler(doc[i]) for i in range(m.start, m.end))


def _leftovers(doc: Doc, m: _Mention, inside: list[_Mention]) -> list[_Mention]:
    """The runs of `m` outside the gazetteer mentions that still hold a proper noun, trimmed of filler."""
    covered = {i for g in inside for i in range(g.start, g.end)}
    runs: list[list[int]] = [[]]
    for i in range(m.start, m.end):
        if i in covered:
            runs.append([])
        else:
            runs[-1].append(i)
    out = []
    for run in runs:
        while run and _is_filler(doc[run[0]]):
            run = run[1:]
        while run and _is_filler(doc[run[-1]]):
            run = run[:-1]
        if run and any(doc[i].pos_ == "PROPN" for i in run):
            out.append(_Mention(run[0], run[-1] + 1, m.label, None))
    return out
