"""Argument parsing and entry points shared by ``tools/*.py``."""
