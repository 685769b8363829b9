"""The scheduled deployment of the batch flow (cron), served by a long-running `oped-extract serve`."""

from __future__ import annotations

from collections.abc import Sequence

from oped_extract.flows.batch import batch_flow

from oped_extract.settings import DEFAULT_CRON, DEFAULTS

DEPLOYMENT_NAME = "oped-batch-scheduled"


def build_deployment(
    inputs: Sequence[str],
    out: str = DEFAULTS.out,
    cron: str = DEFAULT_CRON,
    model: str | None = None,
    chunk_size: int = DEFAULTS.chunk_size,
    timezone: str = "UTC",
):
    """A RunnerDeployment of the batch flow on a cron schedule (not yet registered with any API)."""
    from prefect.schedules import Cron

    parameters = {"inputs": list(inputs), "out": out, "chunk_size": chunk_size}
    if model:
        parameters["model"] = model
    return batch_flow.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Cron(cron, timezone=timezone),
        parameters=parameters,
        description="Process new or changed articles into the Parquet store on a schedule.",
        tags=["oped-extract"],
    )


def serve(inputs: Sequence[str], out: str, cron: str = DEFAULT_CRON, model: str | None = None) -> None:
    """Register the deployment and run its scheduled flow runs in this process (needs a Prefect server)."""
    from prefect import serve as prefect_serve

    prefect_serve(build_deployment(inputs, out, cron, model))
