"""The project's exceptions: each with a stable code and a message a user can act on."""

from __future__ import annotations


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
    """A path that vanished or cannot be opened (permissions, a directory where a file was expected)."""

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
