"""What measures the suite, apart from what runs the week: :mod:`measure.bench` (``make bench``:
each stage's time and memory, with :mod:`measure.bench_floor` the floor DuckDB alone sets) and
:mod:`measure.evaluate` (``make eval``: the reconciliation scored against the synthetic truth).
Nothing in :mod:`helpers` imports it, so its code is not part of the weekly report's code version.
"""
