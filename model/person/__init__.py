"""One person: the explained score, waterfall, subject access, finder, recourse."""
