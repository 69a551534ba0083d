"""Test support: stand-in model files and other fixtures the tests build (not installed)."""
