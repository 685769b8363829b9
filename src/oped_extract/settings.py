"""Run configuration from CLI options and OPED_* environment variables, validated before any work starts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .errors import ConfigError
from .ingest import DEFAULT_INCLUDE, DEFAULT_MAX_BYTES
from .pipeline import PROFILES, resolve_model

RUNNERS = ("default", "dask")
ENV_PREFIX = "OPED_"


@dataclass(frozen=True)
class Settings:
    inputs: tuple[str, ...] = ()
    out: str = "data/parquet"
    model: str | None = None
    profile: str = "default"
    gazetteers: tuple[str, ...] = ()
    chunk_size: int = 200
    batch_size: int = 64
    force: bool = False
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    runner: str = "default"
    workers: int = 2
    dask_address: str | None = None
    storage_options: dict = field(default_factory=dict)

    def validated(self, require_inputs: bool = True) -> Settings:
        """Fail fast, with a message naming the option, on any mistake that would otherwise surface mid-run."""
        for name in ("chunk_size", "batch_size", "workers", "max_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(self, name)})")
        if self.profile not in PROFILES:
            raise ConfigError(f"--profile must be one of {', '.join(PROFILES)} (got {self.profile!r})")
        if self.runner not in RUNNERS:
            raise ConfigError(f"--runner must be one of {', '.join(RUNNERS)} (got {self.runner!r})")
        if require_inputs and not self.inputs:
            raise ConfigError("no inputs: give at least one file, directory or URL")
        for item in self.inputs:
            if _is_url(item) and not item.lower().startswith(("http://", "https://")):
                raise ConfigError(f"inputs are files, directories or http(s) URLs; cannot read {item}")
            if not _is_url(item) and not Path(item).exists():
                raise ConfigError(f"input does not exist: {item}")
        if not _is_url(self.out) and Path(self.out).exists() and not Path(self.out).is_dir():
            raise ConfigError(f"--out must be a directory or s3:// URI, but {self.out} is a file")
        for path in self.gazetteers:
            if not Path(path).is_file():
                raise ConfigError(f"--gazetteer file not found: {path}")
        resolve_model(self.model)
        return self


def _is_url(value: str) -> bool:
    return "://" in value


def from_env(**overrides) -> Settings:
    """Settings from OPED_<NAME> environment variables, then explicit (non-None) overrides."""
    values: dict = {}
    for f in fields(Settings):
        raw = os.environ.get(ENV_PREFIX + f.name.upper())
        if raw is None or f.name == "storage_options":
            continue
        values[f.name] = _parse(f.name, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("inputs", "include", "exclude", "gazetteers"):
        if key in values:
            values[key] = tuple(values[key])
    return replace(Settings(), **values)


def _parse(name: str, raw: str):
    default = getattr(Settings(), name)
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be an integer (got {raw!r})") from None
    if isinstance(default, tuple):
        return tuple(p for p in raw.split(",") if p)
    return raw
