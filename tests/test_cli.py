"""The command line: --help everywhere, `show` writes nothing, errors are messages not tracebacks."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from oped_extract.cli import app

from .conftest import SAMPLE_TXT

runner = CliRunner()


@pytest.mark.parametrize("command", ["run", "reprocess", "show", "evaluate", "report", "serve", "deploy"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and "--help" in result.output


def test_show_prints_entities_and_stance_sentences_without_writing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["show", str(SAMPLE_TXT)], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "Islamabad" in result.output and "GPE" in result.output and "TTP" in result.output
    assert "@umarwrites" in result.output and "2026-02-27" in result.output
    assert list(tmp_path.iterdir()) == []


def test_run_with_a_missing_input_fails_fast_without_traceback(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "pq")])
    assert result.exit_code == 2
    assert "input does not exist" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "pq").exists()


def test_run_with_an_unknown_model_names_the_fix(tmp_path):
    result = runner.invoke(app, ["run", str(SAMPLE_TXT), "--model", "xx_missing", "--out", str(tmp_path / "pq")])
    assert result.exit_code == 2
    assert "not installed" in result.output and "--model" in result.output


def test_evaluate_needs_gold_or_checkthat():
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 2 and "--gold" in result.output


def test_evaluate_on_a_store_without_tables_is_a_message_not_a_traceback(tmp_path):
    result = runner.invoke(app, ["evaluate", "--gold", str(SAMPLE_TXT.parents[1] / "gold"),
                                 "--outputs", str(tmp_path / "nowhere")], terminal_width=250)
    assert result.exit_code == 2, result.output
    assert "no readable entities/articles tables" in result.output and "Traceback" not in result.output


def test_show_with_an_extra_gazetteer_uses_its_ids(tmp_path):
    gazetteer = tmp_path / "mine.jsonl"
    gazetteer.write_text('{"entity_id": "org:khyber-rifles", "canonical_name": "Khyber Rifles", "label": "ORG", '
                         '"aliases": ["KRF"]}\n', encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("March 3, 2026\nThe KRF moved to Landi Kotal on Monday. Officials said nothing more.\n",
                       encoding="utf-8")
    result = runner.invoke(app, ["show", str(article), "--gazetteer", str(gazetteer)], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "org:khyber-rifles" in result.output and "Khyber Rifles" in result.output


def test_missing_gazetteer_file_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["run", str(SAMPLE_TXT), "--gazetteer", str(tmp_path / "nope.jsonl"),
                                 "--out", str(tmp_path / "pq")])
    assert result.exit_code == 2 and "--gazetteer file not found" in result.output


def test_environment_variables_configure_run_and_are_validated(tmp_path):
    env = {"OPED_CHUNK_SIZE": "0", "OPED_OUT": str(tmp_path / "pq")}
    result = runner.invoke(app, ["run", str(SAMPLE_TXT)], env=env)
    assert result.exit_code == 2 and "--chunk-size must be at least 1" in result.output
    result = runner.invoke(app, ["run", str(SAMPLE_TXT)], env={"OPED_CHUNK_SIZE": "lots"})
    assert result.exit_code == 2 and "'OPED_CHUNK_SIZE'" in result.output and "valid integer" in result.output
    result = runner.invoke(app, ["run", str(SAMPLE_TXT)], env={"OPED_PROFILE": "turbo"})
    assert result.exit_code == 2 and "--profile must be one of default, fast" in result.output
