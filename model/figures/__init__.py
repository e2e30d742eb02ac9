"""Figures from plain frames: groups, small cells, profiles, influence, score spread."""
