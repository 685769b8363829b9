"""Choose the Prefect task runner: threads in this process, or Dask (a LocalCluster or an existing scheduler)."""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner

from oped_extract.settings import DEFAULTS


def make_task_runner(runner: str = DEFAULTS.runner, workers: int = DEFAULTS.workers,
                     dask_address: str | None = DEFAULTS.dask_address):
    if runner == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        # One thread per worker: each worker process holds its own spaCy pipeline, which is not thread-safe
        # inside nlp.memory_zone(). No dashboard; the scheduler's HTTP endpoints (health, metrics) on a free port,
        # not 8787, so two runs at once do not print "Port 8787 is already in use" (a warning no user can act on).
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                            "dashboard_address": None, "scheduler_kwargs": {"dashboard_address": ":0"}},
        )
    return ThreadPoolTaskRunner(max_workers=2)
