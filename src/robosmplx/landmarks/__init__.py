"""Landmark evidence (see types.py)."""
