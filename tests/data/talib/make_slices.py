"""Cuts the TA-Lib reference outputs (../shared/golden/*.talib.parquet, made by ../shared/tools/make_golden.py with
TA-Lib 0.8.2) into the slices the golden test reads: every row of the first 1,000 bars (warm-ups and seeds), every
10th row after that (drift over the whole history), and the last 200 rows. `row` is the bar's index in the full
dataset, whose bars are in data/NAME.parquet.

usage: python3 tests/data/talib/make_slices.py ../shared/golden tests/data/talib
"""
import glob
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def main(src, dst):
    for path in sorted(glob.glob(os.path.join(src, "*.talib.parquet"))):
        table = pq.read_table(path)
        n = table.num_rows
        rows = [i for i in range(n) if i < 1000 or i % 10 == 0 or i >= n - 200]
        sliced = table.take(pa.array(rows))
        sliced = sliced.add_column(0, "row", pa.array(rows, type=pa.int64()))
        out = os.path.join(dst, os.path.basename(path))
        pq.write_table(sliced, out, compression="zstd", compression_level=19)
        print(f"{out}: {len(rows)} of {n} rows, {sliced.num_columns - 2} columns")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
