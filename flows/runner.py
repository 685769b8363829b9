"""Choose the Prefect task runner: threads in this process, or Dask (a LocalCluster or an existing scheduler)."""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner


def make_task_runner(runner: str = "default", workers: int = 2, dask_address: str | None = None):
    if runner == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        # One thread per worker: each worker process holds its own spaCy pipeline, which is not thread-safe
        # inside nlp.memory_zone().
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                            "dashboard_address": None},
        )
    return ThreadPoolTaskRunner(max_workers=2)
