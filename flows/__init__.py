"""Prefect flows of oped-extract: thin wiring over the library (installed as `oped_extract.flows`)."""

from oped_extract.flows.prefect_env import configure_prefect_env

configure_prefect_env()
