"""Configuration: CLI options and OPED_* variables, validated before any work starts."""

from __future__ import annotations

import pytest

from oped_extract.errors import ConfigError, ModelNotFound
from oped_extract.settings import Settings


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


def test_uninstalled_model_is_reported_with_a_fix(samples_copy):
    with pytest.raises(ModelNotFound, match="not installed"):
        Settings(inputs=(str(samples_copy),), model="xx_no_such_model").validated()


def test_out_must_not_be_a_file(tmp_path, samples_copy):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ConfigError, match="--out must be a directory"):
        Settings(inputs=(str(samples_copy),), out=str(f)).validated()
