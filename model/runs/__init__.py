"""Run folders: layout, writing, finding and verifying, rows, model files, stored tables."""
