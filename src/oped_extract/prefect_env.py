"""Prefect settings we need before prefect is imported (it reads them at import time)."""

from __future__ import annotations

import logging
import os


def configure_prefect_env() -> None:
    """Quiet, offline-friendly defaults; any value the user set in the environment wins."""
    # Without this the temporary API tries to send telemetry, fails offline and logs an ERROR on a good run.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A cold machine can take over the default 20 s to start the temporary API.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")


class _DropShutdownFlushNoise(logging.Filter):
    """prefect 3.8 cancels its event-flush task when the temporary API shuts down at process exit and logs
    'Error flushing events' with a CancelledError traceback, although every event of the run was delivered.
    Only that record is dropped; any other error still shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (record.getMessage().startswith("Error flushing events") and _is_cancelled(exc))


def _is_cancelled(exc: BaseException | None) -> bool:
    import asyncio

    return isinstance(exc, asyncio.CancelledError) or exc is None


def quiet_shutdown_noise() -> None:
    for name in ("prefect", "prefect.server", "prefect.server.events", "prefect.server.events.services",
                 "prefect.server.services", "uvicorn.error"):
        logging.getLogger(name).addFilter(_DropShutdownFlushNoise())
