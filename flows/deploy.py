"""The scheduled deployment of the batch flow (cron): served by `oped-extract serve`, or registered for a process
work pool by `oped-extract deploy` and run by `prefect worker start`."""

from __future__ import annotations

import signal
from uuid import UUID

from oped_extract.flows.batch import batch_flow, flow_parameters

from oped_extract.settings import DEFAULT_CRON, DEFAULTS, DEPLOYMENT_NAME, Settings


def deployment_parameters(settings: Settings) -> dict:
    """The flow parameters a deployment records: inputs, out and every option that differs from its default (so a
    deployment follows the package's defaults, rather than freezing the ones of the day it was made)."""
    default = flow_parameters(DEFAULTS)
    return {key: value for key, value in flow_parameters(settings).items()
            if key in ("inputs", "out") or value != default[key]}


def build_deployment(settings: Settings, cron: str = DEFAULT_CRON, name: str = DEPLOYMENT_NAME,
                     timezone: str = "UTC"):
    """A RunnerDeployment of the batch flow on a cron schedule (not yet registered with any API). Its entrypoint is
    the installed module (oped_extract.flows.batch.batch_flow), so a worker runs it from any working directory."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    return batch_flow.to_deployment(
        name=name,
        schedule=Cron(cron, timezone=timezone),
        parameters=deployment_parameters(settings),
        description="Process new or changed articles into the Parquet store on a schedule.",
        tags=["oped-extract"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def serve(settings: Settings, cron: str = DEFAULT_CRON, name: str = DEPLOYMENT_NAME) -> None:
    """Register the deployment and run its scheduled flow runs in this process until stopped by Ctrl-C or SIGTERM
    (either pauses the schedule; a flow run in progress stops with this process)."""
    from prefect import serve as prefect_serve
    from prefect.runner import Runner

    # prefect 3.8.8's own SIGTERM handler calls the async Runner.stop() without awaiting it and exits from inside
    # the event loop: a traceback and an asyncio ERROR on every stop. SIGTERM takes Ctrl-C's path instead: asyncio's
    # SIGINT handler cancels the runner's main task, which shuts down cleanly.
    Runner.handle_sigterm = _as_ctrl_c
    prefect_serve(build_deployment(settings, cron, name))


def _as_ctrl_c(runner, *args) -> None:
    signal.raise_signal(signal.SIGINT)


def deploy(settings: Settings, cron: str, pool: str, name: str = DEPLOYMENT_NAME) -> UUID:
    """Register the deployment for the process work pool `pool` (created if missing) and return its id; a worker
    (`prefect worker start --pool POOL`) runs its scheduled flow runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(
                name=pool, type=ProcessWorker.type,
                base_job_template=ProcessWorker.get_default_base_job_template()))
    return build_deployment(settings, cron, name).apply(work_pool_name=pool)
