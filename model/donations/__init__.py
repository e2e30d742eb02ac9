"""Audit a score no one can see: data donations, a stand-in model, and how many donors it takes."""
