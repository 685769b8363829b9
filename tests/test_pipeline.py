"""Pipeline assembly: every component says what it assigns and requires, and each profile's order satisfies it."""

from __future__ import annotations

import pytest

from oped_extract.nlp.pipeline import load_pipeline
from oped_extract.settings import PROFILES


@pytest.mark.parametrize("profile", PROFILES)
def test_analyze_pipes_finds_no_problem(profile):
    nlp = load_pipeline(profile=profile)
    analysis = nlp.analyze_pipes(pretty=False)
    assert not any(analysis["problems"].values()), analysis["problems"]
    ours = [name for name in nlp.pipe_names if name.startswith("oped_")]
    assert ours, nlp.pipe_names
    for name in ours:
        meta = nlp.get_pipe_meta(name)
        assert meta.assigns, f"{name} does not declare what it assigns"
