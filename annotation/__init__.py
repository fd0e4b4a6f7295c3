"""Argilla human-verification loop: push, pull, agreement, merge, local server."""
