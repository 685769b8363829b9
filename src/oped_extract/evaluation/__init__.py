"""Evaluation: gold annotations, P/R/F1, entity and stance scores beside their baselines."""
