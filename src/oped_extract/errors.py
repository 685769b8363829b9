"""The project's exceptions: each with a stable code and a message a user can act on."""

from __future__ import annotations

import errno
import sys


class OpedError(Exception):
    """Base class; `code` is stable and appears in the failures table as error_type."""

    code = "E000"

    @property
    def error_type(self) -> str:
        return type(self).__name__


class ConfigError(OpedError):
    """A configuration mistake, raised at start-up before any work is done."""

    code = "E001"


class ModelNotFound(ConfigError):
    code = "E002"


class PrefectApiUnreachable(ConfigError):
    """The configured Prefect API does not answer: its server is not running, or PREFECT_API_URL is wrong."""

    code = "E003"


class IngestError(OpedError):
    """An input that cannot become an article. Recorded in `failures`; never retried."""

    code = "E100"
    stage = "ingest"


class EmptyInput(IngestError):
    code = "E101"


class BinaryInput(IngestError):
    code = "E102"


class UndecodableText(IngestError):
    code = "E103"


class OversizedInput(IngestError):
    code = "E104"


class MalformedRecord(IngestError):
    code = "E105"


class NoExtractableText(IngestError):
    code = "E106"


class UnsupportedInput(IngestError):
    code = "E107"


class UnreadableInput(IngestError):
    """A path that vanished or cannot be opened (permissions, a symlink loop, a FIFO or device, a name that is
    not valid UTF-8), or a folder that cannot be listed."""

    code = "E108"


class FetchError(IngestError):
    """A URL that could not be fetched (after retries for transient faults)."""

    code = "E110"
    stage = "fetch"


class TransientFetchError(FetchError):
    """A fault worth retrying: timeouts, connection resets, HTTP 429/5xx."""

    code = "E111"


class ArticleTooLong(IngestError):
    """Body longer than the model's max_length; rejected rather than silently cut."""

    code = "E120"
    stage = "nlp"


class StoreError(OpedError):
    code = "E200"


class StoreLocked(StoreError):
    code = "E201"


class SchemaMismatch(StoreError):
    code = "E202"


class StoreWriteError(StoreError):
    """The store could not be written (disk full, read-only, permissions); nothing half-written is left."""

    code = "E203"


class NotInStore(ConfigError):
    """`reprocess` was given an article_id the store does not hold (and no such file or URL)."""

    code = "E003"


# Faults worth another try: the same call may well succeed a moment later. Everything else (ENOENT, EACCES,
# ELOOP, EISDIR, ENOSPC, EROFS, decoding errors, bad input) gives the same answer every time.
TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name) for name in (
        "EAGAIN", "EINTR", "EBUSY", "ETIMEDOUT", "ECONNRESET", "ECONNABORTED", "ECONNREFUSED", "EPIPE",
        "ENETUNREACH", "ENETDOWN", "EHOSTUNREACH", "ESTALE", "EIO",
    ) if hasattr(errno, name)
)


def is_transient(exc: BaseException) -> bool:
    """Is `exc` a fault worth retrying (a timeout, a dropped connection, a busy or briefly failing device)?"""
    if isinstance(exc, OpedError):
        return False
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


def is_interrupt(exc: BaseException) -> bool:
    """What stops a run from outside: Ctrl-C (KeyboardInterrupt), SystemExit, or a signal Prefect raised (its
    ExternalSignal; SIGTERM is a TerminationSignal). Other BaseExceptions are no interrupt: asyncio's wait_for
    raises its TimeoutError from a CancelledError."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return True
    prefect = sys.modules.get("prefect.exceptions")  # a Prefect signal exists only once Prefect is imported
    return prefect is not None and isinstance(exc, prefect.ExternalSignal)


def stop_behind(exc: BaseException) -> BaseException | None:
    """The interrupt (see is_interrupt) behind `exc`, if one caused it: anywhere in its chain of causes.

    A signal's exception is raised wherever the main thread happens to be. Raised inside a library's callback it
    can come back as that library's error: pydantic's serializer (Prefect serializes its context as a task is
    submitted) turns it into a PydanticSerializationError with the interrupt as its cause. Caught as an ordinary
    error, a killed run would then end as failed, with a traceback and exit 1, or as one article's failure."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if is_interrupt(exc):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def raise_interrupt(exc: BaseException) -> None:
    """Raise the interrupt behind `exc`, if there is one: where one input's or one article's fault costs only
    itself, an interrupt is nobody's fault and must stop the run."""
    if (stop := stop_behind(exc)) is not None:
        raise stop from None
