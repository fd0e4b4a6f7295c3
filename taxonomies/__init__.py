"""Versioned taxonomy data shipped with the package (YAML)."""
