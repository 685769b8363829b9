"""The early temporary Prefect API: started before our imports, used by every flow, never a second or orphan."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from .conftest import ROOT, SAMPLE_TXT

# Each test starts fresh interpreters and Prefect APIs in subprocesses.
pytestmark = [pytest.mark.slow, pytest.mark.integration]

# Runs in a fresh interpreter, as the CLI does: start early, import prefect, adopt, run a flow. The flow reports the
# API it talks to; whether prefect imported its server code shows whether it started a server of its own.
HARNESS = """
import json, os, signal, socket, sys
from oped_extract.flows import prefect_env
from oped_extract.flows.prefect_env import adopt_early_api, early_api_pid, early_api_port, start_api_early

if sys.argv[1] == "port-taken":  # the port found free is taken before the server binds it
    taken = socket.create_server(("127.0.0.1", 0))
    ports, real = iter([taken.getsockname()[1]]), prefect_env._find_available_port
    prefect_env._find_available_port = lambda: next(ports, None) or real()
start_api_early()
first_pid, first_port = early_api_pid(), early_api_port()
if first_pid is not None and sys.argv[1] in ("kill-early", "fallback-then-wait"):
    os.kill(first_pid, signal.SIGKILL)  # as if it had crashed
from prefect import flow
adopt_early_api()
early, port = early_api_pid(), early_api_port()  # the adopted one (on another port if the first was taken)

@flow
def api_url() -> str | None:
    from prefect.settings import get_current_settings
    return get_current_settings().api.url

url = api_url()
server = sys.modules.get("prefect.server.api.server")
own = server.SubprocessASGIServer().server_process if server else None
print(json.dumps({"url": url, "early": early, "early_port": port, "server_code_imported": server is not None,
                  "prefect_server": own.pid if own else None, "first_pid": first_pid, "first_port": first_port}),
      flush=True)
if sys.argv[1].endswith("-then-wait"):  # until the test kills us
    signal.pause()
"""


def _env(prefect_home: Path, **extra: str) -> dict[str, str]:
    """No Prefect settings from the caller (e.g. the session's test API), a private PREFECT_HOME (its own DB)."""
    prefect_home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**env, "PREFECT_HOME": str(prefect_home), **extra}


def _harness(mode: str, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", HARNESS, mode], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    assert "View at" not in proc.stderr, proc.stderr  # no link to a temporary server's (absent) UI
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _gone(pid: int, wait: float = 30.0) -> bool:
    """The process has exited (its parent terminated it at exit; an orphan would live on)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_the_early_api_is_the_one_prefect_uses_and_it_stops_at_exit(tmp_path):
    result = _harness("use-early", _env(tmp_path / "prefect_home"))
    assert result["early"] is not None and result["url"] == f"http://127.0.0.1:{result['early_port']}/api"
    assert not result["server_code_imported"]  # prefect neither imported its server code nor started a second API
    assert _gone(result["early"])
    assert (tmp_path / "prefect_home" / "prefect.db").exists()  # the private home, not ~/.prefect


def test_a_dead_early_api_falls_back_to_prefects_own_start(tmp_path):
    result = _harness("kill-early", _env(tmp_path / "prefect_home"))
    assert result["url"] is None  # prefect's own temporary API, as without an early one
    assert result["early"] is None and result["prefect_server"] not in (None, result["first_pid"])
    assert _gone(result["prefect_server"])


def test_an_early_api_whose_port_was_taken_starts_again_on_another(tmp_path):
    proc = subprocess.run([sys.executable, "-c", HARNESS, "port-taken"], env=_env(tmp_path / "prefect_home"),
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["early_port"] not in (None, result["first_port"])
    assert result["url"] == f"http://127.0.0.1:{result['early_port']}/api"
    assert not result["server_code_imported"]  # still ours, not prefect's fallback
    # (The server that lost the port prints uvicorn's bind error and prefect's shutdown traceback, as a temporary
    # API of prefect's own does in this race; the command goes on.)
    assert proc.stderr.count("Starting temporary server") == 1, proc.stderr


@pytest.mark.parametrize("where", ["environment", "profile"])
def test_a_configured_api_starts_nothing(tmp_path, where):
    home = tmp_path / "prefect_home"
    url = "http://127.0.0.1:9/api"  # never contacted: nothing may start, and no flow runs here
    if where == "environment":
        env = _env(home, PREFECT_API_URL=url)
    else:
        env = _env(home)
        (home / "profiles.toml").write_text(f'active = "remote"\n\n[profiles.remote]\nPREFECT_API_URL = "{url}"\n')
    code = ("from oped_extract.flows.prefect_env import adopt_early_api, early_api_pid, start_api_early\n"
            "start_api_early(); adopt_early_api(); print(early_api_pid())")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "None"


def test_cli_reprocess_on_the_early_api_is_clean(tmp_path):
    """`oped-extract reprocess FILE` (the latency path): exit 0, its rows written, one temporary API, clean output."""
    cli = shutil.which("oped-extract", path=str(Path(sys.executable).parent)) or "oped-extract"
    out = tmp_path / "pq"
    proc = subprocess.run([cli, "reprocess", str(SAMPLE_TXT), "--out", str(out), "--profile", "fast"],
                          env=_env(tmp_path / "prefect_home"), cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Traceback" not in output and "ERROR" not in output, output
    assert output.count("Starting temporary server") == 1 and output.count("Stopping temporary server") == 1, output
    articles = pd.read_parquet(out / "articles")
    assert len(articles) == 1 and len(pd.read_parquet(out / "entities")) > 0


@pytest.mark.parametrize(("mode", "sig"), [
    ("early-then-wait", signal.SIGTERM), ("early-then-wait", signal.SIGKILL), ("fallback-then-wait", signal.SIGKILL),
], ids=["early-SIGTERM", "early-SIGKILL", "prefects-own-SIGKILL"])
def test_the_temporary_api_dies_with_its_parent(tmp_path, mode, sig):
    """Killed mid-life by a signal that runs no atexit handler, the command must not leave the temporary API (ours,
    or prefect's own, started after ours died) alive with parent 1. The server watches a pipe, not the signal, so
    SIGTERM of prefect's own is the same case."""
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, mode], env=_env(tmp_path / "prefect_home"), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children: list[psutil.Process] = []
    try:
        result = json.loads(proc.stdout.readline())
        server = result["early"] if mode == "early-then-wait" else result["prefect_server"]
        children = psutil.Process(proc.pid).children()
        assert server in [c.pid for c in children] and server != proc.pid  # a live child, about to be orphaned
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == -sig
        assert _gone(server), f"the temporary API {server} outlived its parent"
    finally:
        stderr = _reap(proc, children)
    assert "Traceback" not in stderr, stderr


@pytest.mark.timeout(600)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_dask_run_leaves_no_process_behind(tmp_path, sig):
    """`oped-extract run --runner dask`, killed mid-run: neither the temporary API nor a Dask worker (nor anything
    else it started) outlives it."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(12):
        shutil.copy(SAMPLE_TXT, inputs / f"{i:02d}.txt")
    cli = shutil.which("oped-extract", path=str(Path(sys.executable).parent)) or "oped-extract"
    proc = subprocess.Popen([cli, "run", str(inputs), "--out", str(tmp_path / "pq"), "--runner", "dask",
                             "--workers", "2", "--chunk-size", "1"], env=_env(tmp_path / "prefect_home"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        cli_process = psutil.Process(proc.pid)
        deadline = time.monotonic() + 300
        descendants: list[psutil.Process] = []
        while time.monotonic() < deadline and proc.poll() is None:
            descendants = cli_process.children(recursive=True)
            commands = [" ".join(_cmdline(p)) for p in descendants]
            if any("uvicorn" in c for c in commands) and sum("spawn_main" in c for c in commands) >= 2:
                break  # the temporary API and both Dask workers are up: the run is under way
            time.sleep(0.5)
        else:
            pytest.fail(f"the run ended or never started its Dask workers: {proc.poll()}")
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        assert code == -sig, proc.stderr.read()[-4000:]  # killed mid-run (by the signal), not finished or failed
        _, alive = psutil.wait_procs(descendants, timeout=60)
        assert not alive, [(p.pid, _cmdline(p)) for p in alive]
    finally:
        _reap(proc, descendants)
    # Its output is not checked: a Dask worker whose scheduler vanishes mid-heartbeat may log a traceback.


def _reap(proc: subprocess.Popen, started: list[psutil.Process]) -> str:
    """Kill the command and whatever it started that is still alive (after a failure, nothing is left behind on
    the machine either); return its stderr."""
    proc.kill()
    _, stderr = proc.communicate(timeout=60)
    for process in started:
        with contextlib.suppress(psutil.Error):
            process.kill()
    return stderr


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
