"""bench/import_jobs.py with tiny parameters: the import it times applies every row once, and the
single calls it compares with cost more write units per row."""

from __future__ import annotations

from bench.import_jobs import measure_import, measure_single_calls, section
from bench.table import bench_table


def test_given_a_small_file_when_the_bench_imports_it_then_every_row_applies_and_the_ratio_is_reported():
    with bench_table() as table:
        one, two = measure_import(table, 60, 1), measure_import(table, 60, 2)
        single = measure_single_calls(table, 20)
    assert one.rows == two.rows == 60  # (measure_import checks the job's counters)
    assert one.write_units == two.write_units  # threads change time only
    assert single.write_units / single.rows > one.write_units / one.rows
    text = section([one, two, single], 100_000)
    assert "| import job | 60 | 2 |" in text
    assert "extrapolated" in text
