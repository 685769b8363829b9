"""Configuration: CLI options and OPED_* variables, validated before any work starts."""

from __future__ import annotations

import pytest

from oped_extract.errors import ConfigError, ModelNotFound
from oped_extract.settings import Settings, from_env


def test_env_variables_configure_a_run(monkeypatch, clean_env, samples_copy):
    monkeypatch.setenv("OPED_INPUTS", str(samples_copy))
    monkeypatch.setenv("OPED_CHUNK_SIZE", "50")
    monkeypatch.setenv("OPED_FORCE", "true")
    settings = from_env(out="elsewhere").validated()
    assert settings.inputs == (str(samples_copy),)
    assert settings.chunk_size == 50 and settings.force is True and settings.out == "elsewhere"


def test_explicit_options_win_over_env(monkeypatch, clean_env):
    monkeypatch.setenv("OPED_CHUNK_SIZE", "50")
    assert from_env(chunk_size=7).chunk_size == 7


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"chunk_size": 0}, "--chunk-size must be at least 1"),
        ({"profile": "turbo"}, "--profile must be one of default, fast"),
        ({"runner": "ray"}, "--runner must be one of default, dask"),
        ({"inputs": ("/no/such/folder",)}, "input does not exist: /no/such/folder"),
        ({"inputs": ()}, "no inputs"),
        ({"inputs": ("ftp://example.org/a.txt",)}, "inputs are files, directories or http"),
    ],
)
def test_configuration_mistakes_fail_fast_with_the_option_named(kwargs, message, samples_copy):
    values = {"inputs": (str(samples_copy),), **kwargs}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        Settings(**values).validated()


def test_bad_integer_in_env_names_the_variable(monkeypatch, clean_env):
    monkeypatch.setenv("OPED_CHUNK_SIZE", "lots")
    with pytest.raises(ConfigError, match="OPED_CHUNK_SIZE must be an integer"):
        from_env()


def test_uninstalled_model_is_reported_with_a_fix(samples_copy):
    with pytest.raises(ModelNotFound, match="not installed"):
        Settings(inputs=(str(samples_copy),), model="xx_no_such_model").validated()


def test_out_must_not_be_a_file(tmp_path, samples_copy):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ConfigError, match="--out must be a directory"):
        Settings(inputs=(str(samples_copy),), out=str(f)).validated()
