"""Run configuration (from CLI options, which also read OPED_* environment variables), validated up front."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oped_extract.errors import ConfigError
from oped_extract.ingest.discovery import DEFAULT_INCLUDE, DEFAULT_MAX_BYTES
from oped_extract.nlp.pipeline import PROFILES, resolve_model

RUNNERS = ("default", "dask")


@dataclass(frozen=True)
class Settings:
    inputs: tuple[str, ...] = ()
    out: str = "data/parquet"
    model: str | None = None
    profile: str = "default"
    gazetteers: tuple[str, ...] = ()
    chunk_size: int = 200
    batch_size: int = 64
    write_batch: int = 2000
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
        for name in ("chunk_size", "batch_size", "write_batch", "workers", "max_bytes"):
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
