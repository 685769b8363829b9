"""The README and docs/ stay true: their Python and SQL snippets run against a real store built from the
samples, and every `oped-extract` and `make` command they show names real commands and options.

A snippet that cannot run on its own (a fragment of the reader's code) is preceded by the line
`<!-- docs-test: skip (why) -->`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import duckdb
import pytest
import typer

from oped_extract.cli import app

from .conftest import ROOT, SAMPLES

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(?P<skip><!-- docs-test: skip \((?P<why>[^)]*)\) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```",
                   re.DOTALL)


def _blocks(lang: str) -> list[tuple[str, str, str | None]]:
    """(page:line, code, skip reason) of every fenced block in that language."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in BLOCK.finditer(text):
            if m["lang"] == lang:
                where = f"{page.relative_to(ROOT)}:{text.count(chr(10), 0, m.start('code')) + 1}"
                found.append((where, m["code"], m["why"]))
    return found


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory, nlp) -> Path:
    """A working directory whose data/parquet holds the samples, written through the library (no Prefect)."""
    from oped_extract.batch.chunks import process_chunk
    from oped_extract.batch.run import start_run
    from oped_extract.ingest.readers import ingest
    from oped_extract.ingest.records import Article
    from oped_extract.settings import Settings

    cwd = tmp_path_factory.mktemp("docs")
    run = start_run(Settings(inputs=(str(SAMPLES),), out=str(cwd / "data" / "parquet")))
    articles = [a for a in ingest([SAMPLES]) if isinstance(a, Article)]
    run.store.upsert(process_chunk(articles, nlp, run.ctx).tables)
    return cwd


@pytest.mark.parametrize(("where", "code", "skip"), _blocks("python"), ids=lambda v: v if ":" in str(v) else "")
def test_python_snippets_run(where, code, skip, store_dir, monkeypatch):
    if skip:
        pytest.skip(reason=f"{where}: {skip}")
    monkeypatch.chdir(store_dir)
    exec(compile(code, where, "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize(("where", "code", "skip"), _blocks("sql"), ids=lambda v: v if ":" in str(v) else "")
def test_sql_snippets_run_in_duckdb(where, code, skip, store_dir, monkeypatch):
    if skip:
        pytest.skip(reason=f"{where}: {skip}")
    monkeypatch.chdir(store_dir)
    for statement in filter(str.strip, re.sub(r"--[^\n]*", "", code).split(";")):
        duckdb.sql(statement).fetchall()


def _shell_commands() -> list[tuple[str, list[str]]]:
    commands = []
    for where, code, skip in _blocks("bash"):
        if skip:
            continue
        for line in code.splitlines():
            line = line.split(" #", 1)[0].strip()
            words = shlex.split(line) if line else []
            if words and words[0].endswith("oped-extract") or words[:1] == ["make"]:
                commands.append((where, words))
    return commands


def test_every_documented_command_exists():
    commands = _shell_commands()
    assert len(commands) >= 10
    cli = typer.main.get_command(app)
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for where, words in commands:
        if words[0] == "make":
            assert set(words[1:]) <= targets, (where, words)
            continue
        if len(words) == 1 or words[1].startswith("-"):
            continue  # `oped-extract --help`
        assert words[1] in cli.commands, (where, words)
        command = cli.commands[words[1]]
        options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
        used = {w.split("=", 1)[0] for w in words[2:] if w.startswith("--")}
        assert used <= options, (where, sorted(used - options))
