"""Benchmarks: each measures a bare baseline in the same run and reports our figures as ratios to it.

Run them with `python -m bench [NAME ...] --size smoke|full` or `hotline bench`; every
run prints its figures and writes them as JSON into bench/results/ (git-ignored).
"""
