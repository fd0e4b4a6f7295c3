"""Curated trigger evidence shipped with the package (JSON Lines); see README.md here."""
