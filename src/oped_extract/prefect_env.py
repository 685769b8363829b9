"""Prefect settings we need before prefect is imported (it reads them at import time)."""

from __future__ import annotations

import os


def configure_prefect_env() -> None:
    """Quiet, offline-friendly defaults; any value the user set in the environment wins.

    The temporary API is started once per process (one flow run per command), so its shutdown happens once,
    at exit. prefect 3.8.8 logs the event-flush CancelledError of that shutdown at DEBUG (earlier 3.x logged it
    as ERROR with a traceback); tests/test_flows.py::test_cli_run_output_is_clean holds the output clean.
    """
    # Without this the temporary API tries to send telemetry, fails offline and logs an ERROR on a good run.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A cold machine can take over the default 20 s to start the temporary API.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
