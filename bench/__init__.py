"""Speed and memory benchmarks: `make bench` (never run as tests)."""
