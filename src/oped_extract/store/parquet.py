"""The Parquet dataset: hive-partitioned tables, upserts by article_id, crash-safe writes, a writer lock.

Layout under the store's root (a local path or an fsspec URI such as ``s3://bucket/prefix``)::

    <root>/<table>/published_month=YYYY-MM/part-bNN.parquet   articles, entities, sentences
    <root>/runs/part-<UTC timestamp>-<random>.parquet           one file per append (runs, failures)
    <root>/failures/part-<UTC timestamp>-<random>.parquet
    <root>/_dataset.json    bucket count and schema version of the dataset
    <root>/_lock            the writer lock
    <root>/_journal.json    present only while (or if a crash happened while) a committed upsert is applied
    <root>/_staging/        hidden temporary files (names start with '.' and end with '.tmp')

An article's rows live in exactly one file per table: bucket ``NN`` = a stable hash of its article_id modulo the
dataset's bucket count, in the partition of its ``published_month`` (``unknown`` when undated). Upserting an
article rewrites only its bucket files, each replaced by one atomic rename (one PUT on object stores), so a
reader sees either the old or the new rows of each article in each table, never both and never neither.
Files are never deleted (a bucket emptied by a month move stays as an empty file), so none vanishes under a
reader that has listed it. Readers that open a file twice per query (DuckDB, polars) can fail, never return
mixed rows, when that file is replaced between the two opens; pandas/pyarrow open each file once.

An upsert touching several files is a transaction: all new files are staged and flushed, then a journal naming
them is written (the commit point), then they are renamed into place and the journal removed. A writer killed
before the commit leaves the old dataset plus ignorable staging files; one killed after it is rolled forward by
the next writer when it takes the lock (or by ``recover()``), so afterwards every article has the same version
in all three tables. Between the crash and that roll-forward, plain readers see per-table old-or-new rows, with
one exception: an article whose ``published_month`` changed may be missing from a table (files that lose rows
are replaced before files that gain rows, so such an article is never seen twice). A reader scanning files
one by one *during* such a move can still see the article in both months or neither: plain Parquet files have
no snapshot isolation across files.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import NamedTuple

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from oped_extract.errors import SchemaMismatch, StoreError, StoreLocked, StoreWriteError, is_transient
from oped_extract.store.schema import (
    ARTICLE_TABLES,
    COLUMNS,
    LOG_TABLES,
    PARTITION_COLUMN,
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
    TABLES,
    schema,
)

DEFAULT_BUCKETS = 8
UNKNOWN_MONTH = "unknown"
META_FILE = "_dataset.json"
LOCK_FILE = "_lock"
JOURNAL_FILE = "_journal.json"
STAGING_DIR = "_staging"
COMPRESSION = "zstd"

_MONTH = re.compile(r"^(\d{4}-(0[1-9]|1[0-2])|unknown)$")
_BUCKET_FILE = re.compile(r"^part-b(\d+)\.parquet$")
# Every table has a file from the first write on (empty ones until rows come), so all five read everywhere.
EMPTY_LOG_FILE = "part-00000000T000000000000Z-empty.parquet"
# Rows of one article are ordered like this inside a file, so files are deterministic and diff well.
_ROW_ORDER = {"articles": [], "entities": ["mention_index"], "sentences": ["sentence_index"]}


class Stored(NamedTuple):
    """What the store holds of one article that decides whether a new read of it is "changed"."""

    content_sha256: str
    source_uri: str
    made_with: tuple  # RunContext.made_with of the run that wrote it: profile, model, model version, stance


def bucket_of(article_id: str, buckets: int) -> int:
    """The bucket of an article: stable across processes and Python versions (unlike hash())."""
    return int.from_bytes(hashlib.sha256(article_id.encode("utf-8")).digest()[:8], "big") % buckets


class ParquetStore:
    """A Parquet dataset at `uri` that the pipeline upserts into and data scientists read directly.

    Article tables passed to `upsert` carry a string ``published_month`` column (``YYYY-MM`` or ``unknown``)
    next to the columns of `schema.schema(table)`; the store writes it as the hive partition directory, not into
    the files, and `read` adds it back as the last column.
    """

    def __init__(
        self,
        uri: str,
        *,
        storage_options: dict | None = None,
        lock_timeout: float = 30.0,
        buckets: int = DEFAULT_BUCKETS,
    ) -> None:
        if buckets < 1:
            raise StoreError(f"buckets must be at least 1, got {buckets}")
        self.uri = str(uri)
        self.storage_options = dict(storage_options or {})
        self.lock_timeout = lock_timeout
        self._default_buckets = buckets
        fs, root = fsspec.core.url_to_fs(self.uri, **self.storage_options)
        self._files: _Files = _LocalFiles(root) if isinstance(fs, LocalFileSystem) else _RemoteFiles(fs, root)
        self._state = _LockState()

    def __repr__(self) -> str:
        return f"ParquetStore({self.uri!r})"

    def __getstate__(self) -> dict:
        # A held lock belongs to this process; a copy shipped to another process starts unlocked.
        state = self.__dict__.copy()
        state["_state"] = _LockState()
        return state

    # ---- reading -------------------------------------------------------------------------------------------

    def read(self, table: str, columns: list[str] | None = None, months: Collection[str] | None = None) -> pa.Table:
        """All rows of `table` (article tables with ``published_month`` last); empty when nothing is stored.
        `months`: only the files of those ``published_month`` partitions (article tables)."""
        _check_table(table, TABLES)
        parts = [self._read_file(path, table, columns, month) for month, path in self._table_files(table)
                 if months is None or month in months]
        if not parts:
            return self._empty(table, columns)
        return pa.concat_tables(parts)

    def content_index(self) -> dict[str, str]:
        """article_id -> content_sha256 of every stored article (reads only those two columns)."""
        ids = self.read("articles", ["article_id", "content_sha256"])
        return dict(zip(ids["article_id"].to_pylist(), ids["content_sha256"].to_pylist(), strict=False))

    def article_index(self) -> dict[str, Stored]:
        """article_id -> what decides whether a new read of it is changed (content, source, how it was made)."""
        cols = ["article_id", "content_sha256", "source_uri", "profile", "model_name", "model_version",
                "stance_version"]
        rows = self.read("articles", cols)
        made: dict[tuple, tuple] = {}  # one tuple object per distinct value: thousands of rows share a handful
        index = {}
        for a, sha, uri, *how in zip(*(rows[c].to_pylist() for c in cols), strict=True):
            key = tuple(how)
            index[a] = Stored(sha, uri, made.setdefault(key, key))
        return index

    def source_index(self) -> dict[str, str]:
        """article_id -> source_uri of every stored article."""
        ids = self.read("articles", ["article_id", "source_uri"])
        return dict(zip(ids["article_id"].to_pylist(), ids["source_uri"].to_pylist(), strict=False))

    def read_articles(self, table: str, article_ids: list[str]) -> pa.Table:
        """The rows of `article_ids` in an article table (published_month last); reads only their buckets."""
        _check_table(table, ARTICLE_TABLES)
        ids = pa.array(sorted(set(article_ids)), pa.string())
        buckets = {bucket_of(a, self._buckets()) for a in ids.to_pylist()}
        parts = []
        for month, path in self._table_files(table):
            if _bucket_of_path(path) in buckets:
                rows = self._read_file(path, table, None, month)
                parts.append(rows.filter(pc.is_in(rows["article_id"], ids)))
        return pa.concat_tables(parts) if parts else self._empty(table, None)

    def source_uri(self, article_id: str) -> str | None:
        """Where a stored article was read from; None when the store does not hold it. Reads one bucket."""
        bucket = bucket_of(article_id, self._buckets())
        for month, path in self._table_files("articles"):
            if _bucket_of_path(path) != bucket:
                continue
            rows = self._read_file(path, "articles", ["article_id", "source_uri"], month)
            hit = rows.filter(pc.equal(rows["article_id"], article_id))
            if hit.num_rows:
                return hit["source_uri"][0].as_py()
        return None

    # ---- writing -------------------------------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[ParquetStore]:
        """Hold the writer lock: a second writer waits up to `lock_timeout` seconds, then gets StoreLocked.

        Re-entrant within this store object. Taking it first rolls forward an upsert a killed writer committed
        but did not finish, and removes staging files a killed writer left behind.
        """
        with self._state.guard:
            outermost = self._state.depth == 0
            if outermost:
                with self._writing():
                    self._files.acquire_lock(self.uri, self.lock_timeout)
            self._state.depth += 1
        try:
            if outermost:
                with self._writing():
                    self._ensure_dataset()
                    self._recover()
            yield self
        finally:
            with self._state.guard:
                self._state.depth -= 1
                if self._state.depth == 0:
                    self._state.buckets = None
                    self._files.release_lock()

    def recover(self) -> None:
        """Finish or discard what a killed writer left behind (also done by every `lock()`)."""
        with self.lock():
            pass

    def upsert(self, tables: dict[str, pa.Table]) -> None:
        """Replace all rows of the articles in ``tables["articles"]`` in every article table, atomically.

        `tables` holds the articles, entities and sentences rows of a set of articles, each table with its
        ``published_month`` column. Every stored row of those article_ids (in any month) is removed and the given
        rows written; an article whose month changed moves partition.
        """
        incoming = _validated_article_tables(tables)
        ids = set(incoming["articles"]["article_id"].to_pylist())
        if not ids:
            return
        with self.lock(), self._writing():
            buckets = self._buckets()
            plan = _Plan()
            try:
                for table in ARTICLE_TABLES:
                    self._plan_table(plan, table, incoming[table], ids, buckets)
                self._commit(plan)
            except BaseException:
                if not self._files.exists(JOURNAL_FILE):  # before the commit point: nothing happened
                    for tmp, _ in plan.writes:
                        self._files.remove(tmp)
                raise

    def append(self, table: str, rows: pa.Table) -> None:
        """Add rows to an append-only table (runs, failures) as one new file, atomically."""
        _check_table(table, LOG_TABLES)
        rows = _conform(table, rows)
        if rows.num_rows == 0:
            return
        name = f"part-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.parquet"
        with self.lock(), self._writing():
            self._write_new(f"{table}/{name}", rows)

    # ---- internals -----------------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """A write fault that will not go away on retry (disk full, read-only, permissions) is a StoreWriteError
        naming the store; transient ones (a dropped connection) pass through to be retried."""
        try:
            yield
        except OSError as exc:
            if is_transient(exc):
                raise
            raise StoreWriteError(f"cannot write the store at {self.uri}: {exc.strerror or exc} (nothing was "
                                  "half-written; what earlier writes stored is intact)") from exc

    def _write_new(self, path: str, rows: pa.Table) -> None:
        staged = self._files.stage(_parquet_bytes(rows))
        try:
            self._files.promote(staged, path)
        except BaseException:
            self._files.remove(staged)
            raise
        self._files.sync_dirs([os.path.dirname(path)])

    def ensure_tables(self) -> None:
        """Write an empty file into every table that has none yet, so all five tables read with pandas, DuckDB
        and polars from the first run on, even those no row has reached (a run records this at its end)."""
        with self.lock(), self._writing():
            for table in TABLES:
                if self._table_files(table):
                    continue
                empty = schema(table).empty_table()
                if table in LOG_TABLES:
                    self._write_new(f"{table}/{EMPTY_LOG_FILE}", empty)
                else:
                    self._write_new(f"{table}/{PARTITION_COLUMN}={UNKNOWN_MONTH}/part-b00.parquet", empty)

    def _plan_table(self, plan: _Plan, table: str, new: pa.Table, ids: set[str], buckets: int) -> None:
        months = new[PARTITION_COLUMN].to_pylist()
        new = new.drop_columns([PARTITION_COLUMN])
        new_buckets = [bucket_of(a, buckets) for a in new["article_id"].to_pylist()]
        id_buckets = {bucket_of(a, buckets) for a in ids}
        # Where the incoming rows go: (month, bucket) -> row indices.
        targets: dict[tuple[str, int], list[int]] = {}
        for i, key in enumerate(zip(months, new_buckets, strict=False)):
            targets.setdefault(key, []).append(i)
        existing = {(m, _bucket_of_path(p)): p for m, p in self._table_files(table)}
        id_array = pa.array(sorted(ids), pa.string())
        # Which files hold old rows of these articles: their buckets, in any month, probed by the article_id
        # column only. Then each file to write is read, rebuilt and staged one at a time, so memory holds one
        # file, not every file an upsert touches.
        old_month: dict[str, str] = {}
        holding: set[tuple[str, int]] = set()
        for (month, bucket), path in existing.items():
            if bucket not in id_buckets:
                continue
            stored_ids = self._read_file(path, table, ["article_id"])["article_id"]
            hits = set(stored_ids.filter(pc.is_in(stored_ids, id_array)).to_pylist())
            if hits:
                holding.add((month, bucket))
            for a in hits:
                old_month[a] = month
        for key in sorted(set(targets) | holding):
            month, bucket = key
            path = f"{table}/{PARTITION_COLUMN}={month}/part-b{bucket:02d}.parquet"
            kept = self._read_file(existing[key], table) if key in existing else None
            if kept is not None and key in holding:
                kept = kept.filter(pc.invert(pc.is_in(kept["article_id"], id_array)))
            added = new.take(targets[key]) if key in targets else None
            # A bucket emptied by a month move is kept as an empty file: files never disappear under a reader.
            # Cast: rows kept from a file written before the column descriptions get them (field metadata).
            rows = pa.concat_tables([t for t in (kept, added) if t is not None]).cast(schema(table))
            rows = rows.sort_by([("article_id", "ascending")] + [(c, "ascending") for c in _ROW_ORDER[table]])
            moved_in = added is not None and any(
                old_month.get(a, month) != month for a in set(added["article_id"].to_pylist())
            )
            plan.add(path, self._files.stage(_parquet_bytes(rows)), gains_moved_rows=moved_in)

    def _commit(self, plan: _Plan) -> None:
        if not plan.writes:
            return
        journal = {"created_at": dt.datetime.now(dt.UTC).isoformat(), "renames": plan.writes}
        self._files.write_atomic(JOURNAL_FILE, json.dumps(journal, indent=1).encode())  # the commit point
        self._apply(journal)

    def _apply(self, journal: dict) -> None:
        # Row-losing files come first: a reader may miss a month-moving article, never see it twice.
        for tmp, path in journal["renames"]:
            if self._files.exists(tmp):
                self._files.promote(tmp, path)
        self._files.sync_dirs({os.path.dirname(p) for _, p in journal["renames"]})
        self._files.remove(JOURNAL_FILE)

    def _recover(self) -> None:
        raw = self._files.read_bytes(JOURNAL_FILE)
        if raw is not None:
            self._apply(json.loads(raw))
        self._files.clear_staging()

    def _ensure_dataset(self) -> None:
        if self._files.read_bytes(META_FILE) is None:
            meta = {
                "format": "oped-extract parquet store",
                "schema_version": SCHEMA_VERSION,
                "buckets": self._default_buckets,
            }
            self._files.write_atomic(META_FILE, json.dumps(meta, indent=1).encode())
        self._buckets()

    def _buckets(self) -> int:
        if self._state.buckets is not None:
            return self._state.buckets
        raw = self._files.read_bytes(META_FILE)
        if raw is None:
            return self._default_buckets
        meta = json.loads(raw)
        if str(meta.get("schema_version")) != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"the dataset at {self.uri} has schema version {meta.get('schema_version')}, this oped-extract "
                f"writes version {SCHEMA_VERSION}; write to a new location (--out) or reprocess into a fresh store"
            )
        buckets = int(meta["buckets"])
        if self._state.depth:
            self._state.buckets = buckets  # stable while we hold the lock
        return buckets

    def _table_files(self, table: str) -> list[tuple[str | None, str]]:
        """(month, relative path) of the data files of `table`, in a stable order."""
        if table in LOG_TABLES:
            return [
                (None, p)
                for p in self._files.list_files(table)
                if p.endswith(".parquet") and not os.path.basename(p).startswith((".", "_"))
            ]
        out = []
        for part in self._files.list_dirs(table):
            name = os.path.basename(part)
            if not name.startswith(f"{PARTITION_COLUMN}="):
                continue
            month = name.split("=", 1)[1]
            out += [
                (month, p) for p in self._files.list_files(part) if _BUCKET_FILE.match(os.path.basename(p))
            ]
        return sorted(out)

    def _read_file(
        self, path: str, table: str, columns: list[str] | None = None, month: str | None = None
    ) -> pa.Table:
        file_columns = [c for c in columns if c != PARTITION_COLUMN] if columns else None
        rows = self._files.read_parquet(path, file_columns)
        version = (rows.schema.metadata or {}).get(SCHEMA_VERSION_KEY, b"").decode()
        if version != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"{self.uri}/{path} has schema version {version or 'none'}, expected {SCHEMA_VERSION}; "
                "it was not written by this version of oped-extract"
            )
        if month is not None and (columns is None or PARTITION_COLUMN in columns):
            rows = rows.append_column(PARTITION_COLUMN, pa.array([month] * rows.num_rows, pa.string()))
        return rows

    def _empty(self, table: str, columns: list[str] | None) -> pa.Table:
        fields = list(schema(table))
        if table in ARTICLE_TABLES:
            fields.append(pa.field(PARTITION_COLUMN, pa.string()))
        if columns:
            fields = [f for f in fields if f.name in columns]
        return pa.schema(fields, metadata=schema(table).metadata).empty_table()


@dataclass
class _LockState:
    guard: threading.Lock = field(default_factory=threading.Lock)
    depth: int = 0
    buckets: int | None = None


@dataclass
class _Plan:
    """Files one upsert writes, already staged: (staged name, final path)."""

    losing: list[tuple[str, str]] = field(default_factory=list)
    gaining: list[tuple[str, str]] = field(default_factory=list)

    @property
    def writes(self) -> list[tuple[str, str]]:
        # Files that receive a month-moving article are renamed last (see the module docstring).
        return self.losing + self.gaining

    def add(self, path: str, staged: str, gains_moved_rows: bool) -> None:
        (self.gaining if gains_moved_rows else self.losing).append((staged, path))


# ---- validation --------------------------------------------------------------------------------------------


def _check_table(table: str, allowed: tuple[str, ...]) -> None:
    if table not in allowed:
        raise StoreError(f"unknown table {table!r} here; expected one of: {', '.join(allowed)}")


def _conform(table: str, rows: pa.Table) -> pa.Table:
    """`rows` with exactly the columns, order, types and metadata of schema(table), or SchemaMismatch."""
    target = schema(table)
    names = set(rows.column_names)
    missing = [n for n in target.names if n not in names]
    extra = sorted(names - set(target.names))
    if missing or extra:
        raise SchemaMismatch(
            f"{table} rows do not match the {table} schema: missing columns {missing}, unexpected columns {extra}"
        )
    rows = rows.select(target.names)
    for column in COLUMNS[table]:
        if not column.nullable and rows[column.name].null_count:
            raise SchemaMismatch(
                f"{table}.{column.name} must not be null ({rows[column.name].null_count} nulls)"
            )
    try:
        return rows.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        raise SchemaMismatch(f"{table} rows cannot be stored with the declared types: {exc}") from exc


def validate_article_tables(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The article tables as `upsert` will store them (columns, types, months, keys checked), or the StoreError /
    SchemaMismatch `upsert` would raise. Lets a run turn one article's bad rows into a failure before writing."""
    return _validated_article_tables(tables)


def _validated_article_tables(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    missing = [t for t in ARTICLE_TABLES if t not in tables]
    extra = sorted(set(tables) - set(ARTICLE_TABLES))
    if missing or extra:
        raise StoreError(
            f"upsert takes the tables {', '.join(ARTICLE_TABLES)}; missing {missing}, unexpected {extra}"
            " (append runs and failures with append())"
        )
    out = {}
    for table in ARTICLE_TABLES:
        rows = tables[table]
        if PARTITION_COLUMN not in rows.column_names:
            raise SchemaMismatch(f"{table} rows need a {PARTITION_COLUMN!r} column (YYYY-MM or 'unknown')")
        months = rows[PARTITION_COLUMN].cast(pa.string())
        bad = sorted({m for m in months.to_pylist() if m is None or not _MONTH.match(m)}, key=str)
        if bad:
            raise SchemaMismatch(f"{table}.{PARTITION_COLUMN} must be YYYY-MM or 'unknown', got {bad[:5]}")
        conformed = _conform(table, rows.drop_columns([PARTITION_COLUMN]))
        out[table] = conformed.append_column(PARTITION_COLUMN, months)
    article_ids = out["articles"]["article_id"].to_pylist()
    if len(set(article_ids)) != len(article_ids):
        raise StoreError("articles rows hold an article_id more than once; pass one row per article")
    month_of = dict(zip(article_ids, out["articles"][PARTITION_COLUMN].to_pylist(), strict=False))
    for table in ("entities", "sentences"):
        ids = out[table]["article_id"].to_pylist()
        orphans = sorted(set(ids) - set(month_of))
        if orphans:
            raise StoreError(f"{table} rows of articles missing from the articles rows: {orphans[:5]}")
        months = out[table][PARTITION_COLUMN].to_pylist()
        wrong = sorted({a for a, m in zip(ids, months, strict=True) if month_of[a] != m})
        if wrong:
            raise StoreError(
                f"{table} rows of {wrong[:5]} have a {PARTITION_COLUMN} different from their article's"
            )
        index = _ROW_ORDER[table][0]
        keys = list(zip(ids, out[table][index].to_pylist(), strict=False))
        if len(set(keys)) != len(keys):
            raise StoreError(f"{table} rows repeat an (article_id, {index}) pair; each must be unique")
    return out


def _parquet_bytes(rows: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(rows, sink, compression=COMPRESSION)
    return sink.getvalue()


def _bucket_of_path(path: str) -> int:
    return int(_BUCKET_FILE.match(os.path.basename(path)).group(1))


# ---- filesystems -------------------------------------------------------------------------------------------


class _Files:
    """The few file operations the store needs, on paths relative to the root."""

    root: str

    def staging_name(self) -> str:
        return f"{STAGING_DIR}/.{secrets.token_hex(8)}.tmp"

    def lock_holder(self) -> str:
        raw = self.read_bytes(LOCK_FILE)
        try:
            info = json.loads(raw or b"{}")
            return f"pid {info['pid']} on {info['host']} since {info['since']}"
        except (ValueError, KeyError):
            return "another process"

    @staticmethod
    def holder_info() -> bytes:
        return json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        ).encode()


class _LocalFiles(_Files):
    """Local disk: fsync + os.replace for atomic files, flock for the lock (released by the OS if we die)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self._lock_fd: int | None = None

    def _abs(self, path: str) -> str:
        return os.path.join(self.root, path)

    def acquire_lock(self, uri: str, timeout: float) -> None:
        os.makedirs(self.root, exist_ok=True)
        fd = os.open(self._abs(LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreLocked(
                        f"another writer is using the store at {uri} ({self.lock_holder()}); waited {timeout:g}s. "
                        "Let it finish and retry, or wait longer with --lock-timeout SECONDS."
                    ) from None
                time.sleep(0.05)
        with suppress(OSError):  # who holds the lock is only advice: a full disk must not keep it held
            os.ftruncate(fd, 0)
            os.pwrite(fd, self.holder_info(), 0)
        self._lock_fd = fd

    def release_lock(self) -> None:
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            with suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def stage(self, data: bytes) -> str:
        tmp = self.staging_name()
        os.makedirs(self._abs(STAGING_DIR), exist_ok=True)
        try:
            with open(self._abs(tmp), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:  # e.g. ENOSPC: no partial file stays behind
            self.remove(tmp)
            raise
        return tmp

    def promote(self, tmp: str, path: str) -> None:
        os.makedirs(os.path.dirname(self._abs(path)), exist_ok=True)
        os.replace(self._abs(tmp), self._abs(path))

    def write_atomic(self, path: str, data: bytes) -> None:
        tmp = self.stage(data)
        try:
            self.promote(tmp, path)
        except BaseException:
            self.remove(tmp)
            raise
        self.sync_dirs([os.path.dirname(path)])

    def sync_dirs(self, dirs) -> None:
        # Renames are durable only once their directory is flushed.
        for d in dirs:
            try:
                fd = os.open(self._abs(d), os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def remove(self, path: str) -> None:
        with suppress(FileNotFoundError):
            os.remove(self._abs(path))

    def exists(self, path: str) -> bool:
        return os.path.exists(self._abs(path))

    def read_bytes(self, path: str) -> bytes | None:
        try:
            with open(self._abs(path), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def read_parquet(self, path: str, columns: list[str] | None) -> pa.Table:
        with pq.ParquetFile(self._abs(path)) as f:
            return f.read(columns=columns)

    def list_dirs(self, path: str) -> list[str]:
        try:
            return sorted(os.path.join(path, e.name) for e in os.scandir(self._abs(path)) if e.is_dir())
        except FileNotFoundError:
            return []

    def list_files(self, path: str) -> list[str]:
        try:
            return sorted(os.path.join(path, e.name) for e in os.scandir(self._abs(path)) if e.is_file())
        except FileNotFoundError:
            return []

    def clear_staging(self) -> None:
        for path in self.list_files(STAGING_DIR):
            self.remove(path)


class _RemoteFiles(_Files):
    """Object stores via fsspec: a PUT is atomic; the lock is an object created only if absent."""

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self._holding = False

    def _abs(self, path: str) -> str:
        return f"{self.root}/{path}"

    def _rel(self, path: str) -> str:
        return path[len(self.root) + 1 :] if path.startswith(self.root + "/") else path

    def acquire_lock(self, uri: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.fs.pipe_file(self._abs(LOCK_FILE), self.holder_info(), mode="create")
                break
            except (FileExistsError, OSError) as exc:
                if not self.exists(LOCK_FILE):
                    raise StoreError(f"cannot create the lock object {uri}/{LOCK_FILE}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreLocked(
                        f"another writer is using the store at {uri} ({self.lock_holder()}); waited {timeout:g}s. "
                        f"Let it finish and retry; if that writer is gone, delete {uri}/{LOCK_FILE}."
                    ) from None
                time.sleep(0.2)
        self._holding = True

    def release_lock(self) -> None:
        if self._holding:
            self._holding = False
            self.remove(LOCK_FILE)

    def stage(self, data: bytes) -> str:
        tmp = self.staging_name()
        self.fs.pipe_file(self._abs(tmp), data)
        return tmp

    def promote(self, tmp: str, path: str) -> None:
        # A server-side copy writes the final key in one step, like a PUT.
        self.fs.copy(self._abs(tmp), self._abs(path))
        self.remove(tmp)

    def write_atomic(self, path: str, data: bytes) -> None:
        self.fs.pipe_file(self._abs(path), data)

    def sync_dirs(self, dirs) -> None:
        self.fs.invalidate_cache()

    def remove(self, path: str) -> None:
        with suppress(FileNotFoundError):
            self.fs.rm_file(self._abs(path))
        self.fs.invalidate_cache(self._abs(path))

    def exists(self, path: str) -> bool:
        return self.fs.exists(self._abs(path))

    def read_bytes(self, path: str) -> bytes | None:
        try:
            return self.fs.cat_file(self._abs(path))
        except FileNotFoundError:
            return None

    def read_parquet(self, path: str, columns: list[str] | None) -> pa.Table:
        with self.fs.open(self._abs(path), "rb") as f, pq.ParquetFile(f) as pf:
            return pf.read(columns=columns)

    def _ls(self, path: str, kind: str) -> list[str]:
        self.fs.invalidate_cache(self._abs(path))
        try:
            entries = self.fs.ls(self._abs(path), detail=True)
        except FileNotFoundError:
            return []
        return sorted(self._rel(e["name"].rstrip("/")) for e in entries if e["type"] == kind)

    def list_dirs(self, path: str) -> list[str]:
        return self._ls(path, "directory")

    def list_files(self, path: str) -> list[str]:
        return self._ls(path, "file")

    def clear_staging(self) -> None:
        for path in self.list_files(STAGING_DIR):
            self.remove(path)
