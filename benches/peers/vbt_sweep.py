"""vectorbt peer for the sweep benchmark: the SMA crossover over a fast x slow grid by parameter broadcasting.

Same rules as strategies/sma_cross.strat: long when SMA(fast) crosses above SMA(slow), exit when it crosses
below, all cash, the signal at a bar's close filled at the next bar's open, no fees. One column per combination
(vbt.MA.run over the repeated windows, then Portfolio.from_signals over all columns at once).

usage: python vbt_sweep.py BARS.parquet FAST_START FAST_END FAST_STEP SLOW_START SLOW_END SLOW_STEP [REPEATS]
prints "name value unit" lines: combinations, first call (includes numba JIT), warm median, best sharpe.
"""
import statistics
import sys
import time

import numpy as np
import pandas as pd
import vectorbt as vbt


def main():
    path = sys.argv[1]
    f0, f1, fs, s0, s1, ss = (int(x) for x in sys.argv[2:8])
    repeats = int(sys.argv[8]) if len(sys.argv) > 8 else 3
    d = pd.read_parquet(path)
    idx = pd.to_datetime(d["ts"], unit="ms", utc=True)
    close = pd.Series(d["close"].to_numpy(), index=idx)
    open_ = pd.Series(d["open"].to_numpy(), index=idx)
    fasts = np.arange(f0, f1 + 1, fs)
    slows = np.arange(s0, s1 + 1, ss)
    pairs = [(f, s) for f in fasts for s in slows if f < s]
    fw = np.array([p[0] for p in pairs])
    sw = np.array([p[1] for p in pairs])

    def run():
        fast = vbt.MA.run(close, fw, short_name="fast", per_column=False)
        slow = vbt.MA.run(close, sw, short_name="slow", per_column=False)
        f = fast.ma.to_numpy()
        s = slow.ma.to_numpy()
        with np.errstate(invalid="ignore"):
            up = np.zeros_like(f, dtype=bool)
            dn = np.zeros_like(f, dtype=bool)
            up[1:] = (f[1:] > s[1:]) & (f[:-1] <= s[:-1])
            dn[1:] = (f[1:] < s[1:]) & (f[:-1] >= s[:-1])
        ent = np.zeros_like(up)
        ex = np.zeros_like(dn)
        ent[1:] = up[:-1]
        ex[1:] = dn[:-1]
        cols = pd.RangeIndex(len(pairs))
        # close and open stay one column each: vectorbt broadcasts them against the signal columns.
        pf = vbt.Portfolio.from_signals(
            close,
            entries=pd.DataFrame(ent, index=idx, columns=cols),
            exits=pd.DataFrame(ex, index=idx, columns=cols),
            price=open_,
            size=np.inf, init_cash=100_000.0, fees=0.0, direction="longonly", freq="1min",
        )
        return pf.sharpe_ratio()

    t0 = time.perf_counter()
    sharpe = run()
    first = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        sharpe = run()
        warm.append(time.perf_counter() - t0)
    print(f"vbt_version {vbt.__version__} -")
    print(f"vbt_combinations {len(pairs)} count")
    print(f"vbt_bars {len(close)} bars")
    print(f"vbt_first_call {first:.3f} s")
    print(f"vbt_warm_median {statistics.median(warm):.3f} s")
    print(f"vbt_best_sharpe {np.nanmax(sharpe.to_numpy()):.6f} -")


if __name__ == "__main__":
    main()
