"""Building a run: the score model, the build engine, chunk summaries, writing runs."""
