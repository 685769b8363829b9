"""The early temporary Prefect API: started before our imports, used by every flow, never a second or orphan."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT, SAMPLE_TXT

# Each test starts fresh interpreters and Prefect APIs in subprocesses.
pytestmark = [pytest.mark.slow, pytest.mark.integration]

# Runs in a fresh interpreter, as the CLI does: start early, import prefect, adopt, run a flow. The flow reports the
# API it talks to; whether prefect imported its server code shows whether it started a server of its own.
HARNESS = """
import json, os, signal, sys
from oped_extract.flows.prefect_env import adopt_early_api, early_api_pid, early_api_port, start_api_early

start_api_early()
early, port = early_api_pid(), early_api_port()
if early is not None:
    if sys.argv[1] == "kill-early":
        os.kill(early, signal.SIGKILL)  # as if it had died, e.g. exit code 3 when its port was taken meanwhile
from prefect import flow
adopt_early_api()

@flow
def api_url() -> str | None:
    from prefect.settings import get_current_settings
    return get_current_settings().api.url

url = api_url()
server = sys.modules.get("prefect.server.api.server")
own = server.SubprocessASGIServer().server_process if server else None
print(json.dumps({"url": url, "early": early, "early_port": port, "server_code_imported": server is not None,
                  "prefect_server": own.pid if own else None}))
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
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _gone(pid: int, wait: float = 10.0) -> bool:
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
    assert result["prefect_server"] is not None and result["prefect_server"] != result["early"]
    assert _gone(result["prefect_server"])


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
