"""Performance benchmarks behind ``robosmplx bench NAME --json``. Never run as tests."""
