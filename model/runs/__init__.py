"""Run folders: their layout, writing and committing, finding and verifying, reading rows, model files, re-scoring and the stored aggregates."""
