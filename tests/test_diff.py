"""What a reprocess changes: `reprocess` prints it, `reprocess --dry-run` shows it without writing anything."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from oped_extract.batch.diff import diff_articles, preview_reprocess, stored_rows
from oped_extract.cli import app
from oped_extract.ingest.readers import ingest
from oped_extract.settings import Settings
from oped_extract.store.parquet import ParquetStore

from .conftest import ROOT, SAMPLE_TXT, write_store

runner = CliRunner()
# Kabul relabelled (same entity_id: the extra file replaces the bundled entry) and a new entity for "corridor".
GAZETTEER = (
    '{"entity_id": "gpe:kabul", "canonical_name": "Kabul", "label": "ORG", "aliases": []}\n'
    '{"entity_id": "loc:border-corridor", "canonical_name": "Border Corridor", "label": "LOC", '
    '"aliases": ["corridor"]}\n'
)


@pytest.fixture
def setup(nlp, tmp_path) -> tuple[Path, Path, Path, str]:
    """(store, the article file, an extra gazetteer, article_id): the sample op-ed stored by a first run."""
    article = tmp_path / "in" / SAMPLE_TXT.name
    article.parent.mkdir()
    shutil.copy(SAMPLE_TXT, article)
    store = tmp_path / "pq"
    items = list(ingest([str(article)]))
    write_store(store, nlp, items, "run-1", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    gazetteer = tmp_path / "mine.jsonl"
    gazetteer.write_text(GAZETTEER, encoding="utf-8")
    return store, article, gazetteer, items[0].article_id


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _kabul_mentions(store: Path) -> int:
    ents = ParquetStore(str(store)).read("entities")
    return pc.sum(pc.equal(ents["entity_id"], "gpe:kabul")).as_py()


def test_dry_run_shows_the_changes_and_writes_nothing(setup):
    store, _, gazetteer, article_id = setup
    before = _snapshot(store)
    result = runner.invoke(app, ["reprocess", article_id, "--out", str(store), "--gazetteer", str(gazetteer),
                                 "--dry-run"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 100
    out = " ".join(result.output.split())  # wrapped lines joined
    n_kabul = _kabul_mentions(store)
    assert f"Changes for {article_id}" in out and "body text unchanged" in out
    assert f"~ Kabul GPE gpe:kabul → ORG gpe:kabul ×{n_kabul}" in out
    assert "+ corridor LOC loc:border-corridor" in out
    assert f"entities: 1 added, 0 removed, {n_kabul} relabelled" in out
    assert "stance sentences: 0 added, 0 removed, 0 relabelled" in out
    assert f"dry run: nothing written to {store}" in out
    assert _snapshot(store) == before  # not a byte changed, no run recorded, no lock taken


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_reprocess_prints_what_changed_and_replaces_the_rows(setup):
    store, _, gazetteer, article_id = setup
    cli = shutil.which("oped-extract", path=str(Path(sys.executable).parent)) or "oped-extract"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"COLUMNS": "100"}
    proc = subprocess.run([cli, "reprocess", article_id, "--out", str(store), "--gazetteer", str(gazetteer)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    out = " ".join(proc.stdout.split())
    assert "~ Kabul GPE gpe:kabul → ORG gpe:kabul ×" in out and "+ corridor LOC" in out
    ents = ParquetStore(str(store)).read("entities").to_pandas()
    assert set(ents[ents["entity_id"] == "gpe:kabul"]["label"]) == {"ORG"}
    assert "loc:border-corridor" in set(ents["entity_id"])
    # Nothing left to change: the same reprocess again would change nothing.
    again = runner.invoke(app, ["reprocess", article_id, "--out", str(store), "--gazetteer", str(gazetteer),
                                "--dry-run"])
    assert again.exit_code == 0 and "no entity or stance sentence changed" in again.output


def test_an_edited_body_is_compared_by_text(setup):
    store, article, _, article_id = setup
    text = article.read_text(encoding="utf-8")
    start = text.index("The Durand Line has long been")
    end = text.index(".", text.index("equal measure")) + 1
    removed = text[start:end]
    article.write_text(text.replace(removed + " ", ""), encoding="utf-8")
    settings = Settings.of(out=str(store)).validated(require_inputs=False)
    changes, failures = preview_reprocess(str(article), settings)
    assert failures == [] and len(changes) == 1
    change = changes[0]
    assert change.article_id == article_id and change.stored and change.body_changed
    assert [(e.kind, e.before[:2]) for e in change.entities] == [("removed", ("Durand Line", "LOC"))]
    assert change.mentions[1] == change.mentions[0] - 1
    assert [(s.kind, s.text) for s in change.stance] == [("removed", removed)]


def test_stance_changes_are_added_removed_or_relabelled(setup):
    store, _, _, article_id = setup
    old = stored_rows(ParquetStore(str(store)), [article_id])
    sents = old["sentences"].to_pylist()
    stance = [s for s in sents if s["is_stance"]]
    quiet = next(s for s in sents if not s["is_stance"])
    flip, relabel = stance[0], stance[1]
    flip["is_stance"] = False
    relabel["stance_type"], relabel["holder"] = "prediction", "Islamabad"
    quiet["is_stance"], quiet["stance_type"], quiet["holder"] = True, "evaluation", "author"
    new = {**old, "sentences": pa.Table.from_pylist(sents, schema=old["sentences"].schema)}
    (change,) = diff_articles(old, new)
    assert not change.entities and not change.body_changed
    got = {(s.kind, s.sentence_index) for s in change.stance}
    assert got == {("removed", flip["sentence_index"]), ("relabelled", relabel["sentence_index"]),
                   ("added", quiet["sentence_index"])}
    relabelled = next(s for s in change.stance if s.kind == "relabelled")
    assert relabelled.after == ("prediction", "Islamabad")
    assert change.stance_sentences == (len(stance), len(stance))


def test_a_new_article_is_all_additions(setup, tmp_path):
    store, _, _, _ = setup
    other = tmp_path / "other.txt"
    other.write_text("March 3, 2026\nKabul must act against the TTP. Islamabad should reopen talks.\n",
                     encoding="utf-8")
    changes, _ = preview_reprocess(str(other), Settings.of(out=str(store)).validated(require_inputs=False))
    (change,) = changes
    assert not change.stored and {e.kind for e in change.entities} == {"added"}
    assert change.mentions[0] == 0 and change.mentions[1] == sum(e.count for e in change.entities)
