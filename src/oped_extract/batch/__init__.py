"""One run's steps without Prefect: chunks of articles through spaCy, buffered writes, reprocess targets."""
