"""bench/exports.py with tiny parameters: the export it times is whole, and it counts a read unit or
so per member (the member items read back), never a Scan of the table."""

from __future__ import annotations

from bench.exports import measure_export, section, seed
from bench.table import bench_table


def test_given_seeded_members_when_the_bench_exports_them_then_every_member_is_in_the_file_once():
    with bench_table() as table:
        seed(table, 300)
        one, three = measure_export(table, 300, 1), measure_export(table, 300, 3)
    for figures in (one, three):
        assert figures.rows == 300  # (measure_export also checks the file's rows against the job)
        assert 300 <= figures.read_units <= 300 * 1.2
        assert figures.parts == 8  # one page per shard at this size
    assert (one.read_units, one.calls) == (three.read_units, three.calls)  # threads change time only
    assert "| 300 | 3 |" in section([one, three])
