"""Evaluation: metrics, benchmark protocols, robustness sweeps."""
