"""Benchmarks of lucy-tui; targets and the last figures are in bench/README.md."""
