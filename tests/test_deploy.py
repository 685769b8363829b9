"""Scheduled runs against a real Prefect server: `serve` on a cron schedule, `deploy` + a process worker, and the
deployment's parameters; `serve`/`deploy` without a reachable API fail in one line."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest
from oped_extract.flows.deploy import build_deployment, deployment_parameters

from oped_extract.settings import DEPLOYMENT_NAME, Settings

from .conftest import SAMPLE_TXT

BIN = Path(sys.executable).parent
CLI = shutil.which("oped-extract", path=str(BIN)) or "oped-extract"
PREFECT = shutil.which("prefect", path=str(BIN)) or "prefect"


# ---- the deployment object ----------------------------------------------------------------------------------


def test_a_deployment_records_inputs_out_and_only_the_options_that_differ_from_the_defaults(tmp_path):
    settings = Settings(inputs=(str(tmp_path),), out=str(tmp_path / "pq"), profile="fast", runner="dask",
                        workers=3, include=("*.txt",))
    deployment = build_deployment(settings, cron="*/15 * * * *")
    assert deployment.name == DEPLOYMENT_NAME
    assert deployment.schedules[0].schedule.cron == "*/15 * * * *"
    assert deployment.entrypoint == "oped_extract.flows.batch.batch_flow"  # a worker imports the installed package
    assert deployment.parameters == {"inputs": [str(tmp_path)], "out": str(tmp_path / "pq"), "profile": "fast",
                                     "runner": "dask", "workers": 3, "include": ["*.txt"]}
    assert deployment_parameters(Settings(inputs=("in",), out="pq")) == {"inputs": ["in"], "out": "pq"}


def test_absolute_settings_resolve_local_paths_and_keep_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(inputs=("in", "https://example.org/a"), out="pq", gazetteers=("g.jsonl",)).absolute()
    assert settings.inputs == (str(tmp_path / "in"), "https://example.org/a")
    assert (settings.out, settings.gazetteers) == (str(tmp_path / "pq"), (str(tmp_path / "g.jsonl"),))
    assert Settings(out="s3://bucket/prefix").absolute().out == "s3://bucket/prefix"


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.usefixtures("prefect_api")
def test_deployment_registers_against_a_local_prefect_api(tmp_path):
    from prefect.client.orchestration import get_client

    deployment_id = build_deployment(Settings(inputs=(str(tmp_path),), out=str(tmp_path / "pq")),
                                     cron="0 6 * * *").apply()
    with get_client(sync_client=True) as client:
        stored = client.read_deployment(deployment_id)
    assert stored.name == DEPLOYMENT_NAME
    assert stored.schedules[0].schedule.cron == "0 6 * * *"
    assert stored.parameters == {"inputs": [str(tmp_path)], "out": str(tmp_path / "pq")}


# ---- no server, or one that does not answer -----------------------------------------------------------------


def _cli_env(prefect_home: Path, **extra: str) -> dict[str, str]:
    """No Prefect settings from the caller, a private PREFECT_HOME (profiles, database)."""
    prefect_home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**env, "PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1", **extra}


@pytest.mark.slow
@pytest.mark.integration
def test_serve_without_a_prefect_server_says_how_to_configure_one(tmp_path):
    proc = subprocess.run([CLI, "serve", str(SAMPLE_TXT), "--out", str(tmp_path / "pq")],
                          env=_cli_env(tmp_path / "home"), capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "prefect config set PREFECT_API_URL=" in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("command", ["serve", "deploy"])
def test_an_unreachable_api_from_the_prefect_profile_is_one_line_and_exit_69(tmp_path, command):
    home = tmp_path / "home"
    env = _cli_env(home)
    url = f"http://127.0.0.1:{_free_port()}/api"  # nothing listens there
    (home / "profiles.toml").write_text(f'active = "ops"\n\n[profiles.ops]\nPREFECT_API_URL = "{url}"\n')
    args = [CLI, command, str(SAMPLE_TXT), "--out", str(tmp_path / "pq")] + (["--pool", "p"] if command == "deploy"
                                                                              else [])
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 69, output
    assert f"the Prefect API at {url} does not answer" in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


# ---- a real Prefect server ----------------------------------------------------------------------------------


@dataclass
class PrefectServer:
    api_url: str
    home: Path
    log: Path

    @property
    def env(self) -> dict[str, str]:
        """What a client on the operator's machine has: PREFECT_HOME, whose profile names the API (no env var)."""
        return _cli_env(self.home)

    def get(self, path: str) -> dict:
        return self._call("GET", path)

    def post(self, path: str, body: dict) -> dict | list:
        return self._call("POST", path, body)

    def _call(self, method: str, path: str, body: dict | None = None, attempts: int = 6):
        """A request as Prefect's own client makes it: a 503 (the server's "retry": SQLite busy while the
        scheduler and a worker write) is tried again, with a growing pause; anything else fails at once."""
        for attempt in range(attempts):
            response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=30)
            if response.status_code != 503 or attempt == attempts - 1:
                return response.raise_for_status().json()
            time.sleep(2 ** attempt)


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _background(args: list[str], log: Path, **kw) -> Iterator[subprocess.Popen]:
    """A process in its own process group, stopped with everything it started (SIGTERM, then SIGKILL), even when
    the test fails."""
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kw)
        try:
            yield proc
        finally:
            for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=wait)
                    if not _group_alive(proc.pid):
                        break


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> Iterator[PrefectServer]:
    """`prefect server start` on 127.0.0.1 and a free port with a private PREFECT_HOME; the client side is set
    up as the docs tell an operator: `prefect config set PREFECT_API_URL=…` in that home's profile."""
    root = tmp_path_factory.mktemp("prefect_server")
    with contextlib.ExitStack() as stack:
        for _ in range(3):  # a free port can be taken before the server binds it: then another one
            port = _free_port()
            server = PrefectServer(api_url=f"http://127.0.0.1:{port}/api", home=root / "home",
                                   log=root / f"server-{port}.log")
            proc = stack.enter_context(_background(
                [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], server.log,
                env={**server.env, "PREFECT_UI_ENABLED": "false"}, cwd=root))
            deadline = time.monotonic() + 240
            while proc.poll() is None and not _healthy(server.api_url) and time.monotonic() < deadline:
                time.sleep(2)
            if proc.poll() is None:
                break
        _wait(lambda: _healthy(server.api_url), 1, proc, server.log, what="the Prefect server to answer")
        subprocess.run([PREFECT, "config", "set", f"PREFECT_API_URL={server.api_url}"], env=server.env,
                       check=True, capture_output=True, timeout=120)
        yield server


def _assert_clean_server_log(server: PrefectServer) -> None:
    """E.g. SQLAlchemy 2.1 made the scheduler log `InvalidRequestError` tracebacks every minute and schedule nothing."""
    log = server.log.read_text()
    assert "Traceback" not in log and "ERROR" not in log, log[-5000:]


def _healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(done, timeout: float, proc: subprocess.Popen, *logs: Path, what: str):
    """Poll `done()` until it returns something truthy; fail early if `proc` exits. Failures show the logs' tails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = done()
        if result:
            return result
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[:3]} exited ({proc.returncode}) while waiting for {what}:{_tails(logs)}")
        time.sleep(2)
    pytest.fail(f"no {what} within {timeout:.0f} s:{_tails(logs)}")


def _tails(logs: tuple[Path, ...]) -> str:
    return "".join(f"\n--- {log.name}:\n{log.read_text()[-4000:]}" for log in logs)


def _finished_runs(server: PrefectServer, deployment_id: str) -> list[dict]:
    runs = server.post("/flow_runs/filter", {
        "deployments": {"id": {"any_": [deployment_id]}},
        "flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]}}},
        "limit": 10, "sort": "EXPECTED_START_TIME_ASC"})
    failed = [r for r in runs if r["state"]["type"] != "COMPLETED"]
    assert not failed, failed
    return runs


def _assert_the_samples_are_in(out: Path) -> None:
    articles = pd.read_parquet(out / "articles")
    assert len(articles) == 3 and len(pd.read_parquet(out / "entities")) > 0
    runs = pd.read_parquet(out / "runs")
    assert runs.n_processed.iloc[0] == 3


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(900)
def test_serve_runs_the_flow_on_its_cron_schedule(prefect_server, tmp_path, samples_copy):
    """`oped-extract serve` with an every-minute cron: the server's scheduler schedules a run, serve runs it, its
    articles land in the store (a relative --out registered as an absolute path) – within about three minutes."""
    name = "every-minute"
    started = time.monotonic()
    with _background([CLI, "serve", str(samples_copy), "--out", "pq", "--cron", "* * * * *", "--name", name,
                      "--profile", "fast"], tmp_path / "serve.log", env=prefect_server.env, cwd=tmp_path) as serve:
        logs = (tmp_path / "serve.log", prefect_server.log)
        deployment = _wait(lambda: _deployment(prefect_server, name), 180, serve, *logs, what="the deployment")
        assert deployment["parameters"] == {"inputs": [str(samples_copy)], "out": str(tmp_path / "pq"),
                                            "profile": "fast"}
        runs = _wait(lambda: _finished_runs(prefect_server, deployment["id"]), 240, serve, *logs,
                     what="completed scheduled flow run")
        waited = time.monotonic() - started
        serve.terminate()  # as a service manager stops it
        assert serve.wait(timeout=120) == 0
    assert runs[0]["auto_scheduled"], runs[0]  # made by the server's scheduler, not triggered by hand
    _assert_the_samples_are_in(tmp_path / "pq")
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log and "ERROR" not in log, log
    assert _deployment(prefect_server, name)["paused"]  # stopping serve pauses its schedule
    _assert_clean_server_log(prefect_server)
    print(f"serve: first scheduled run completed {waited:.0f} s after `serve` started")


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(900)
def test_a_deployment_for_a_process_work_pool_runs_on_a_prefect_worker(prefect_server, tmp_path, samples_copy):
    """`oped-extract deploy … --pool P` registers the deployment (creating the process pool); `prefect worker
    start --pool P`, started in another directory, runs a triggered flow run; `prefect deployment ls` works."""
    name, pool = "on-a-worker", "oped-test-pool"
    deploy = subprocess.run([CLI, "deploy", str(samples_copy), "--out", "pq", "--pool", pool, "--name", name,
                             "--cron", "0 6 * * *", "--profile", "fast"],
                            env=prefect_server.env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            check=False)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert f"prefect worker start --pool {pool}" in deploy.stdout
    deployment = _deployment(prefect_server, name)
    assert deployment["work_pool_name"] == pool and deployment["entrypoint"] == "oped_extract.flows.batch.batch_flow"
    assert deployment["schedules"][0]["schedule"]["cron"] == "0 6 * * *"
    listed = subprocess.run([PREFECT, "deployment", "ls"], env={**prefect_server.env, "COLUMNS": "250"},
                            capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0 and f"oped-batch/{name}" in listed.stdout, listed.stdout + listed.stderr

    elsewhere = tmp_path / "worker"
    elsewhere.mkdir()
    with _background([PREFECT, "worker", "start", "--pool", pool], tmp_path / "worker.log", env=prefect_server.env,
                     cwd=elsewhere) as worker:
        flow_run = prefect_server.post(f"/deployments/{deployment['id']}/create_flow_run", {})
        _wait(lambda: _finished_runs(prefect_server, deployment["id"]), 240, worker, tmp_path / "worker.log",
              prefect_server.log, what="completed flow run on the worker")
    assert prefect_server.get(f"/flow_runs/{flow_run['id']}")["state"]["type"] == "COMPLETED"
    _assert_the_samples_are_in(tmp_path / "pq")
    assert not (elsewhere / "pq").exists()
    assert "Traceback" not in (tmp_path / "worker.log").read_text()
    _assert_clean_server_log(prefect_server)


def _deployment(server: PrefectServer, name: str) -> dict | None:
    try:
        return server.get(f"/deployments/name/oped-batch/{name}")
    except httpx.HTTPStatusError:
        return None
