"""The audit report: HTML, PDF and JSON."""
