"""Audits of a whole run: fairness, proxies, counterfactuals, friends, recourse burden, gates."""
