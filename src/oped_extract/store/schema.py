"""The Parquet tables: one pyarrow schema per table, declared once, with column meanings."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = "2"
SCHEMA_VERSION_KEY = b"oped_extract.schema_version"
TABLE_KEY = b"oped_extract.table"
# Field metadata of every column (the data dictionary inside each Parquet file, read back by pyarrow).
DESCRIPTION_KEY = b"description"
EXAMPLE_KEY = b"example"
PARTITION_COLUMN = "published_month"


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    meaning: str
    example: str
    nullable: bool = True

    @property
    def field(self) -> pa.Field:
        """The column as a pyarrow field; its meaning and example travel as field metadata into every file."""
        metadata = {DESCRIPTION_KEY: self.meaning.encode(), EXAMPLE_KEY: self.example.encode()}
        return pa.field(self.name, self.type, nullable=self.nullable, metadata=metadata)


_TS = pa.timestamp("us", tz="UTC")
_STRINGS = pa.list_(pa.string())

COLUMNS: dict[str, list[Column]] = {
    "articles": [
        Column("article_id", pa.string(), "Stable id from the source identity (URL, JSON id or relative path).",
               "3f2a9c0d1e7b4a55", False),
        Column("source_uri", pa.string(), "Where the article was read from (absolute path, URL, or file#record).",
               "/data/samples/000.txt", False),
        Column("title", pa.string(), "Headline, when the input has one.", "Why Pakistan strikes"),
        Column("author", pa.string(), "Author name, when known.", "Umar Khan"),
        Column("author_handle", pa.string(), "Social handle from the footer.", "@umarwrites"),
        Column("author_bio", pa.string(), "Author bio line from the footer.",
               "The writer is a non-resident fellow at …"),
        Column("published_date", pa.date32(), "Publication date (dateline or metadata).", "2026-02-27"),
        Column("publisher", pa.string(), "Outlet that published it ('Originally published in X').", "The News"),
        Column("site", pa.string(), "Site the copy was taken from.", "Geo.tv"),
        Column("language", pa.string(), "ISO 639-1 language code.", "en"),
        Column("body_text", pa.string(), "Clean body text; all offsets point into it.", "The latest round of …", False),
        Column("content_sha256", pa.string(),
               "SHA-256 of body_text; equal for the same content from different sources.", "9b1c…", False),
        Column("n_sentences", pa.int32(), "Body sentences.", "42", False),
        Column("n_tokens", pa.int32(), "Body tokens.", "820", False),
        Column("n_entities", pa.int32(), "Entity mentions in the body.", "23", False),
        Column("n_stance_sentences", pa.int32(), "Sentences with is_stance true.", "37", False),
        Column("pipeline_version", pa.string(), "oped-extract version that wrote the row.", "0.1.0", False),
        Column("model_name", pa.string(), "spaCy pipeline used.", "en_core_web_sm", False),
        Column("model_version", pa.string(), "Version of that pipeline.", "3.8.0", False),
        Column("profile", pa.string(), "Pipeline profile the row was made with: default or fast.", "default", False),
        Column("stance_version", pa.string(),
               "Version of the stance model that scored the sentences, with its cue lexicon's hash.",
               "1-11768dcb3aea+cues-ce92da8a"),
        Column("processed_at", _TS, "When the article was processed (UTC).", "2026-11-25 12:00:00+00:00", False),
        Column("run_id", pa.string(), "The run that wrote the row.", "20261125T120000-ab12cd", False),
    ],
    "entities": [
        Column("article_id", pa.string(), "Article the mention is in.", "3f2a9c0d1e7b4a55", False),
        Column("mention_index", pa.int32(), "Order of the mention in the body, from 0.", "6", False),
        Column("text", pa.string(), "Mention text as it appears.", "TTP", False),
        Column("label", pa.string(), "OntoNotes label (GPE, LOC, ORG, NORP, PERSON, …).", "ORG", False),
        Column("start_char", pa.int32(), "Start offset into articles.body_text.", "584", False),
        Column("end_char", pa.int32(), "End offset (exclusive).", "587", False),
        Column("sentence_index", pa.int32(), "Sentence the mention is in.", "4", False),
        Column("entity_id", pa.string(), "Canonical id: gazetteer id, or derived from normalised text and label.",
               "org:tehrik-i-taliban-pakistan", False),
        Column("canonical_name", pa.string(), "Canonical name of the entity.", "Tehrik-i-Taliban Pakistan", False),
        Column("kb_id", pa.string(), "Knowledge-base id, e.g. 'geonames:1176615'.", "geonames:1176615"),
        Column("source", pa.string(), (
            "Who found it: 'gazetteer' (a curated entry), 'geonames' (a town in the region's GeoNames table), "
            "'rule' (a naming pattern: laws, operations, titled names, acronyms) or 'model' (spaCy's NER, "
            "trimmed and relabelled by the rules)."
        ), "gazetteer", False),
        Column("latitude", pa.float64(), "Latitude for resolved places.", "33.72148"),
        Column("longitude", pa.float64(), "Longitude for resolved places.", "73.04329"),
        Column("country_code", pa.string(), "ISO country code for resolved places.", "PK"),
    ],
    "sentences": [
        Column("article_id", pa.string(), "Article the sentence is in.", "3f2a9c0d1e7b4a55", False),
        Column("sentence_index", pa.int32(), "Order in the body, from 0.", "4", False),
        Column("text", pa.string(), "Sentence text.", "Islamabad has repeatedly stated that …", False),
        Column("start_char", pa.int32(), "Start offset into articles.body_text.", "486", False),
        Column("end_char", pa.int32(), "End offset (exclusive).", "640", False),
        Column("is_stance", pa.bool_(), "Does the sentence take a position?", "true", False),
        Column("stance_score", pa.float32(), "Probability that it is stance, calibrated on the annotated corpus; "
               "is_stance from the stance model's threshold (docs/stance.md).", "0.91", False),
        Column("stance_type", pa.string(),
               "evaluation | obligation | recommendation | prediction | concession | attribution.", "attribution"),
        Column("cues", _STRINGS, "Words that triggered the decision.", "['stated']", False),
        Column("holder", pa.string(), "'author', or the party whose position is reported (its fullest name in the "
               "article; null for a quotation whose speaker the article does not name).", "Islamabad"),
        Column("holder_entity_id", pa.string(), "entity_id of the holder, when it is an entity.", "gpe:islamabad"),
        Column("target_entity_ids", _STRINGS, "Entities the sentence mentions, holder excluded.",
               "['org:tehrik-i-taliban-pakistan']", False),
    ],
    "runs": [
        Column("run_id", pa.string(), "Run id.", "20261125T120000-ab12cd", False),
        Column("started_at", _TS, "Start (UTC).", "2026-11-25 12:00:00+00:00", False),
        Column("finished_at", _TS, "End (UTC).", "2026-11-25 12:00:30+00:00", False),
        Column("n_seen", pa.int32(), "Inputs seen (articles read plus failures).", "3", False),
        Column("n_processed", pa.int32(), "Articles processed and written.", "3", False),
        Column("n_skipped_unchanged", pa.int32(), "Articles skipped because their content was unchanged.", "0", False),
        Column("n_failed", pa.int32(), "Inputs rejected (failures rows with severity 'error').", "0", False),
        Column("n_warnings", pa.int32(), "Warnings about inputs that were still read (severity 'warning').", "0",
               False),
        Column("pipeline_version", pa.string(), "oped-extract version.", "0.1.0", False),
        Column("model_name", pa.string(), "spaCy pipeline used.", "en_core_web_sm", False),
        Column("profile", pa.string(), "Pipeline profile: default or fast.", "default", False),
        Column("status", pa.string(),
               "completed, or failed (a store fault stopped it; see error) or interrupted.", "completed", False),
        Column("error", pa.string(), "Why the run stopped early (null when completed).", "StoreWriteError: …"),
    ],
    "failures": [
        Column("run_id", pa.string(), "Run that met the input.", "20261125T120000-ab12cd", False),
        Column("source_uri", pa.string(), "The rejected input.", "/data/in/broken.json", False),
        Column("stage", pa.string(), "ingest | fetch | nlp.", "ingest", False),
        Column("severity", pa.string(),
               "error (the input was rejected) or warning (it was read; e.g. a date that could not be read).",
               "error", False),
        Column("error_type", pa.string(), "Error class (or warning type, e.g. UnreadDate).", "UndecodableText",
               False),
        Column("message", pa.string(), "What went wrong, for a human.", "file is not UTF-8 text: …", False),
        Column("at", _TS, "When (UTC).", "2026-11-25 12:00:01+00:00", False),
    ],
}

ARTICLE_TABLES = ("articles", "entities", "sentences")
LOG_TABLES = ("runs", "failures")
TABLES = ARTICLE_TABLES + LOG_TABLES


def schema(table: str) -> pa.Schema:
    """The schema of `table`, with the schema version in its key-value metadata."""
    return pa.schema(
        [c.field for c in COLUMNS[table]],
        metadata={SCHEMA_VERSION_KEY: SCHEMA_VERSION.encode(), TABLE_KEY: table.encode()},
    )


def data_dictionary() -> str:
    """Markdown data dictionary generated from the schemas (docs/DATA_DICTIONARY.md)."""
    out = [
        "# Data dictionary",
        "",
        (f"Generated from `oped_extract.store.schema` (schema version {SCHEMA_VERSION}); "
         "`make docs` rewrites it and a test keeps it in sync."),
        "",
        "## Layout",
        "",
        (f"- `{'`, `'.join(ARTICLE_TABLES)}`: `<store>/<table>/{PARTITION_COLUMN}=YYYY-MM/part-bNN.parquet` "
         f"(hive partitions; `{PARTITION_COLUMN}=unknown` when the article has no date). "
         f"`{PARTITION_COLUMN}` comes from the directory name, not the files: read the table's directory, or glob "
         "`**/*.parquet` with hive partitioning on. `NN` is a fixed hash bucket of `article_id`, so all rows of "
         "one article sit in one file per table."),
        (f"- `{'`, `'.join(LOG_TABLES)}`: append-only, `<store>/<table>/part-<UTC time>-<random>.parquet`, "
         "one file per run."),
        (f"- Every file carries the schema version (`{SCHEMA_VERSION_KEY.decode()}`) and table name "
         f"(`{TABLE_KEY.decode()}`) in its Parquet key-value metadata, and each column's meaning and example "
         f"(below) as field metadata (`{DESCRIPTION_KEY.decode()}`, `{EXAMPLE_KEY.decode()}`): "
         "`pyarrow.parquet.read_schema(file).field(name).metadata`."),
        ("- Files are replaced whole by an atomic rename, never edited in place: readers never see a "
         "half-written file, and each article's rows in a table are all old or all new. "
         "Names starting with `_` (`_dataset.json`, `_lock`, `_staging/`) are the store's own."),
    ]
    for table, cols in COLUMNS.items():
        out += ["", f"## {table}", "", "| column | type | nullable | meaning | example |", "|---|---|---|---|---|"]
        out += [f"| {c.name} | {_cell(c.type)} | {'yes' if c.nullable else 'no'} | {_cell(c.meaning)} | "
                f"{_cell(c.example)} |" for c in cols]
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    """A markdown table cell: a `|` inside it would end the cell."""
    return str(value).replace("|", "\\|")
