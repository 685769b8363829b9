"""The table schemas: declared once, versioned in Parquet metadata, documented in a dictionary kept in sync."""

from __future__ import annotations

import ast
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from oped_extract.store.schema import (
    ARTICLE_TABLES,
    COLUMNS,
    PARTITION_COLUMN,
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
    TABLE_KEY,
    TABLES,
    data_dictionary,
    schema,
)

DICTIONARY = Path(__file__).resolve().parents[1] / "docs" / "DATA_DICTIONARY.md"


def test_data_dictionary_in_docs_matches_the_schemas():
    assert DICTIONARY.exists(), "docs/DATA_DICTIONARY.md is missing: run `make docs`"
    assert DICTIONARY.read_text(encoding="utf-8") == data_dictionary(), (
        "docs/DATA_DICTIONARY.md is out of date with oped_extract.store.schema: run `make docs`"
    )


@pytest.mark.parametrize("table", TABLES)
def test_schema_carries_version_and_table_name(table):
    s = schema(table)
    assert s.metadata[SCHEMA_VERSION_KEY] == SCHEMA_VERSION.encode()
    assert s.metadata[TABLE_KEY] == table.encode()
    assert len(set(s.names)) == len(s.names)
    # The partition column lives in directory names only; a file column of the same name would clash.
    assert PARTITION_COLUMN not in s.names


@pytest.mark.parametrize("table", TABLES)
def test_dictionary_documents_every_column_with_type_and_an_example_of_that_type(table):
    section = data_dictionary().split(f"\n## {table}\n", 1)[1].split("\n## ", 1)[0]
    for column in COLUMNS[table]:
        assert f"| {column.name} | {column.type} | {'yes' if column.nullable else 'no'} |" in section
        assert column.meaning and column.example
        # Examples are real values of the column's type, so the dictionary cannot drift into prose.
        if pa.types.is_list(column.type):
            value = pa.array([ast.literal_eval(column.example)], column.type)
        else:
            value = pc.cast(pa.array([column.example]), column.type)
        assert value.null_count == 0, column.name


def test_article_tables_share_the_article_id_key_and_contract_types():
    for table in ARTICLE_TABLES:
        assert schema(table).field("article_id").type == pa.string()
        assert not schema(table).field("article_id").nullable
    assert schema("articles").field("published_date").type == pa.date32()
    assert schema("articles").field("processed_at").type == pa.timestamp("us", tz="UTC")
    assert schema("sentences").field("is_stance").type == pa.bool_()
    assert schema("sentences").field("cues").type == pa.list_(pa.string())
    assert schema("entities").field("kb_id").nullable


def test_article_metadata_fields_are_the_articles_columns_in_order():
    """ArticleMetadata declares the metadata fields once; the articles schema gives each its type and meaning."""
    from oped_extract.ingest.records import METADATA_FIELDS, Article, ArticleMetadata

    names = [c.name for c in COLUMNS["articles"]]
    start = names.index(METADATA_FIELDS[0])
    assert tuple(names[start:start + len(METADATA_FIELDS)]) == METADATA_FIELDS
    article = Article("id", "/in/a.txt", "Body.", title="T", published_date=None, language="en")
    assert article.metadata == ArticleMetadata(title="T")
    assert article.metadata.over(ArticleMetadata(author="A", title="X")) == ArticleMetadata(title="T", author="A")
