"""Prefect settings we need before prefect is imported (it reads them at import time), and an early temporary API."""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any


def configure_prefect_env() -> None:
    """Quiet, offline-friendly defaults; any value the user set in the environment wins.

    The temporary API is started once per process (one flow run per command), so its shutdown happens once,
    at exit. prefect 3.8.8 logs the event-flush CancelledError of that shutdown at DEBUG (earlier 3.x logged it
    as ERROR with a traceback); tests/test_flows.py::test_cli_run_output_is_clean holds the output clean.
    """
    # Without this the temporary API tries to send telemetry, fails offline and logs an ERROR on a good run.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The client side of the same: on a terminal, prefect would print a telemetry notice and try to send events.
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # A cold machine can take over the default 20 s to start the temporary API.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")


# ---- the temporary API, started early ---------------------------------------------------------------------
# Without an API configured, prefect's client starts a temporary API the first time a flow needs one: it imports
# prefect.server.api.server, then runs `python -m uvicorn ... create_app` and polls /api/health, ~5 s in all,
# after our imports and model load. start_api_early() launches that same subprocess as soon as the command's
# settings are valid, so its start-up overlaps with the imports and the model load (the other core);
# adopt_early_api() points prefect's settings at it, so prefect's client never imports the server code in this
# process. The launch mirrors SubprocessASGIServer._run_uvicorn_command (with one change: the server dies with us,
# below) and the settings mirror prefect.testing.utilities.prefect_test_harness of the pinned prefect>=3.8.8,<3.9;
# anything unexpected terminates our process and prefect starts its own, exactly as it would have without us
# (correctness first, seconds second).

# prefect's SubprocessASGIServer._port_range
_PORT_RANGE = range(8000, 9000)
_UVICORN_STARTUP_FAILURE = 3  # uvicorn.config.STARTUP_FAILURE, e.g. the port is taken

# ---- dying with its parent -----------------------------------------------------------------------------------
# atexit stops the temporary API on a normal exit, but SIGKILL (and SIGTERM's default action) end a command without
# running atexit, which left a ~230 MB server behind with parent 1. So the server watches the process that started
# it, as Dask's worker processes watch theirs: it inherits the read end of a pipe whose write end only its parent
# holds. However the parent ends, the kernel closes that write end, the server's read returns EOF, and it stops
# itself. Unlike PR_SET_PDEATHSIG (which fires when the *thread* that forked exits, and needs a preexec_fn that is
# unsafe beside threads) this does not depend on which thread starts the server, and needs nothing Linux-only.
_PARENT_PIPE_ENV = "OPED_API_PARENT_PIPE_FD"
_parent_pipes: list[int] = []  # the write ends, held open for the life of this process


@dataclass
class _EarlyApi:
    process: subprocess.Popen[Any] | None = None
    port: int | None = None
    tried: bool = False  # adopt_early_api ran: the process is the API now, or terminated
    settings: contextlib.ExitStack | None = None  # the settings contexts that name it as the API


_early: _EarlyApi | None = None


def start_api_early() -> None:
    """Launch prefect's temporary API subprocess now, unless an API is configured (once per process).

    It imports prefect's settings (~0.7 s of the prefect import the command does anyway, and no server code)
    to see whether the user configured an API (environment, profile or prefect.toml) and to pass prefect's
    settings to the subprocess as prefect itself does.
    """
    global _early
    if _early is not None:
        return
    _early = _EarlyApi()
    configure_prefect_env()
    if os.environ.get("PREFECT_API_URL"):
        return  # the common case of a configured API, known without importing prefect
    if _usable_cpus() < 2:
        return  # one core: nothing to overlap with, the server's start-up would only slow the imports down
    try:
        process, port = _launch()
    except Exception:  # noqa: BLE001 - prefect starts its own server on the first flow call, as without us
        return
    if process is not None:
        _early.process, _early.port = process, port
        # Stops it at exit whether a flow used it or the command ended before any flow ran (no orphan server).
        atexit.register(_stop_at_exit, _early)


def adopt_early_api() -> None:
    """Point this process's Prefect settings at the early API (call just before the first flow).

    Waits until it answers /api/health, then sets PREFECT_API_URL to it for the rest of the process, in the
    current and in the process-global settings context, as prefect's own test harness does with its server:
    every flow, task and prefect worker thread talks to it, and prefect never imports its server code here
    (~2.5 s of the main process). It is stopped at exit, after prefect's workers have drained (they drain at
    threading shutdown, before atexit handlers run). If its port was taken meanwhile (uvicorn's exit code 3), it
    starts again on another port, as prefect's own does. If it exited otherwise, does not answer within
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or prefect's internals are not what we expect, it is
    terminated and prefect starts its own temporary server as usual – one that also dies with this process
    (see _guard_prefects_own_api).
    """
    early = _early
    if early is not None and early.process is not None and not early.tried:
        early.tried = True
        if _adopt(early):
            return
    if early is None or early.settings is None:
        _guard_prefects_own_api()


def _adopt(early: _EarlyApi) -> bool:
    try:
        import prefect.context
        from prefect.logging import get_logger
        from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, get_current_settings, temporary_settings

        settings = get_current_settings()
        if not _wants_temporary_api(settings):
            raise RuntimeError("an API was configured after start_api_early")
        _wait_healthy(early, float(settings.server.ephemeral.startup_timeout_seconds))
        address = f"http://127.0.0.1:{early.port}"
        # prefect's own message and logger, so the output reads the same as when prefect starts its server
        get_logger().info(f"Starting temporary server on {address}\nSee "
                          "https://docs.prefect.io/v3/concepts/server#how-to-guides "
                          "for more information on running a dedicated Prefect server.")
        stack = contextlib.ExitStack()
        # No UI URL: prefect would derive one from the API URL and log "View at http://127.0.0.1:PORT/runs/…",
        # a link to a server that has no UI and is gone once the command ends (as with prefect's own temporary API).
        stack.enter_context(temporary_settings(updates={PREFECT_API_URL: f"{address}/api", PREFECT_UI_URL: ""}))
        stack.enter_context(prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()))
        early.settings = stack  # held for the life of the process
        return True
    except Exception:  # noqa: BLE001 - fall back to prefect's own start, which reports its own errors
        if early.process is not None:
            _terminate(early.process)
        early.process = None
        return False


def early_api_pid() -> int | None:
    """The pid of the early API subprocess while it is ours or adopted; None if none was started or it failed."""
    return _early.process.pid if _early is not None and _early.process is not None else None


def early_api_port() -> int | None:
    """The port the early API listens on (known before the subprocess has even started); None as for the pid."""
    return _early.port if _early is not None and _early.process is not None else None


def _launch() -> tuple[subprocess.Popen[Any] | None, int | None]:
    from prefect.settings import get_current_settings

    if not _wants_temporary_api(get_current_settings()):
        return None, None
    port = _find_available_port()
    return _start_api_process(port), port


def _start_api_process(port: int) -> subprocess.Popen[Any]:
    """SubprocessASGIServer._run_uvicorn_command in effect, but the app factory is api_app (which dies with us)."""
    import prefect
    from prefect.settings import get_current_settings

    read_end, write_end = os.pipe()  # not inheritable (PEP 446): only the server gets the read end, by pass_fds
    _parent_pipes.append(write_end)
    server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
                  _PARENT_PIPE_ENV: str(read_end)}
    try:
        return subprocess.Popen(
            args=[sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
                  f"{__name__}:api_app", "--host", "127.0.0.1", "--port", str(port),
                  "--log-level", "error", "--lifespan", "on"],
            env={**os.environ, **server_env, **get_current_settings().to_environment_variables(exclude_unset=True)},
            pass_fds=(read_end,),
        )
    finally:
        os.close(read_end)


def api_app():
    """The uvicorn app factory of the temporary API: prefect's own app, in a server that stops when the process
    that started it ends (by SIGKILL too)."""
    fd = os.environ.pop(_PARENT_PIPE_ENV, None)
    if fd is not None:
        threading.Thread(target=_stop_when_parent_ends, args=(int(fd),), name="oped-watch-parent",
                         daemon=True).start()
    from prefect.server.api.server import create_app

    return create_app()


def _stop_when_parent_ends(fd: int, grace_seconds: float = 20.0) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 1):  # nothing is ever written: this blocks until the parent's write end closes
            pass
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown (the database is closed cleanly)
    time.sleep(grace_seconds)
    os._exit(1)


def _guard_prefects_own_api() -> None:
    """When prefect is about to start its own temporary API (no early one adopted), make it start ours instead:
    the same command, but dying with this process. Imports prefect's server code only when prefect would."""
    from prefect.settings import get_current_settings

    if not _wants_temporary_api(get_current_settings()):
        return
    from prefect.server.api.server import SubprocessASGIServer

    SubprocessASGIServer._run_uvicorn_command = lambda server: _start_api_process(server.port)


def _wants_temporary_api(settings) -> bool:
    """The test of prefect's get_client(): no API URL configured and ephemeral mode allowed."""
    return not settings.api.url and settings.server.ephemeral.enabled


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _find_available_port() -> int:
    # SubprocessASGIServer.find_available_port: a random port in 8000-8999 that binds on 127.0.0.1.
    for _ in range(10):
        port = random.choice(_PORT_RANGE)
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return port
            except OSError:
                pass
        time.sleep(random.uniform(0.1, 0.5))
    raise RuntimeError("Unable to find an available port after multiple attempts")


def _wait_healthy(early: _EarlyApi, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            code = early.process.poll()
            if code == _UVICORN_STARTUP_FAILURE:  # another process took the port since we found it free:
                early.port = _find_available_port()  # another port, as SubprocessASGIServer.start does
                early.process = _start_api_process(early.port)
                continue
            if code is not None:
                raise RuntimeError(f"the early API exited with code {code}")
            try:
                if client.get(f"http://127.0.0.1:{early.port}/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError("the early API did not answer in time")


def _terminate(process: subprocess.Popen[Any]) -> None:
    # As SubprocessASGIServer.stop does it.
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _stop_at_exit(early: _EarlyApi) -> None:
    """Runs after prefect's workers have drained (at threading shutdown, before atexit handlers)."""
    process = early.process
    if process is None:  # adoption failed and terminated it already
        return
    with contextlib.suppress(Exception):
        if early.settings is not None and process.poll() is None:
            from prefect.logging import get_logger

            get_logger().info(f"Stopping temporary server on http://127.0.0.1:{early.port}")
        _terminate(process)
