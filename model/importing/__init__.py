"""A user's own table, model and roles, checked and turned into a run."""
