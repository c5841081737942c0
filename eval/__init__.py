"""Evaluation: answer quality, retrieval and speed benchmarks (run with `python -m eval…`)."""
