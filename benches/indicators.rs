//! Indicator benchmarks (issue 3): SMA200, EMA20, RSI14, BBANDS(20,2), MACD(12,26,9) and ATR14 over 1,000,000
//! bars, each in ns/bar next to a plain sum over the same array measured in the same run; and `strata ta` with all
//! six on a 1M-bar Parquet file, end to end. Each of SMA, EMA, BBANDS and ATR is timed twice: bar by bar through its
//! typed `update` (a backtest's path) and over the whole array through `update_slice` (`strata ta`'s path, and what
//! TA-Lib's array functions do).
//!
//! TA-Lib's C times on this machine, for the targets: SMA 1.7, EMA 1.9, RSI 3.0, BBANDS 8.4, MACD 5.6,
//! ATR 1.2 ns/bar (`../shared/tools/peers/bench_indicators.py`).
//!
//! Run: `cargo bench --bench indicators`.

mod synth;

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use polars::prelude::*;
use strata_stdlib::average::{Ema, Sma};
use strata_stdlib::momentum::{Macd, Rsi};
use strata_stdlib::volatility::{Atr, Bbands};

const N: usize = 1_000_000;

fn times(mut f: impl FnMut(), runs: usize) -> Vec<Duration> {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t
}

fn median(f: impl FnMut(), runs: usize) -> Duration {
    times(f, runs)[runs / 2]
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let bars = synth::bars(N, 42);
    let close: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let (high, low): (Vec<f64>, Vec<f64>) = bars.iter().map(|b| (b.high, b.low)).unzip();

    let sum = || black_box(black_box(&close).iter().sum::<f64>());
    let sma = || {
        let mut s = Sma::new(200.0).unwrap();
        black_box(close.iter().fold(0.0, |a, &x| a + s.update(x).unwrap_or(0.0)))
    };
    let ema = || {
        let mut s = Ema::new(20.0).unwrap();
        black_box(close.iter().fold(0.0, |a, &x| a + s.update(x).unwrap_or(0.0)))
    };
    let rsi = || {
        let mut s = Rsi::new(14.0).unwrap();
        black_box(close.iter().fold(0.0, |a, &x| a + s.update(x).unwrap_or(0.0)))
    };
    let bbands = || {
        let mut s = Bbands::new(20.0, 2.0, 2.0).unwrap();
        black_box(close.iter().fold(0.0, |a, &x| a + s.update(x).map_or(0.0, |b| b.upper)))
    };
    let macd = || {
        let mut s = Macd::new(12.0, 26.0, 9.0).unwrap();
        black_box(close.iter().fold(0.0, |a, &x| a + s.update(x).map_or(0.0, |m| m.hist)))
    };
    let atr = || {
        let mut s = Atr::new(14.0).unwrap();
        black_box((0..N).fold(0.0, |a, i| a + s.update(high[i], low[i], close[i]).unwrap_or(0.0)))
    };

    // The slice paths: what `strata ta` runs (and what TA-Lib's array API does), one output array per output.
    let out = std::cell::RefCell::new(vec![vec![0.0f64; N]; 3]);
    let sma_slice = || {
        let mut s = Sma::new(200.0).unwrap();
        let o = &mut out.borrow_mut()[0];
        s.update_slice(&close, o);
        black_box(o[N - 1])
    };
    let ema_slice = || {
        let mut s = Ema::new(20.0).unwrap();
        let o = &mut out.borrow_mut()[0];
        s.update_slice(&close, o);
        black_box(o[N - 1])
    };
    let bbands_slice = || {
        let mut s = Bbands::new(20.0, 2.0, 2.0).unwrap();
        let mut o = out.borrow_mut();
        let [u, m, l] = o.as_mut_slice() else { unreachable!() };
        s.update_slice(&close, u, m, l);
        black_box(u[N - 1])
    };
    let atr_slice = || {
        let mut s = Atr::new(14.0).unwrap();
        let o = &mut out.borrow_mut()[0];
        s.update_slice(&high, &low, &close, o);
        black_box(o[N - 1])
    };

    let mut g = c.benchmark_group("indicators_1m_bars");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("baseline_plain_sum", |b| b.iter(sum));
    g.bench_function("sma200", |b| b.iter(sma));
    g.bench_function("ema20", |b| b.iter(ema));
    g.bench_function("rsi14", |b| b.iter(rsi));
    g.bench_function("bbands20_2", |b| b.iter(bbands));
    g.bench_function("macd12_26_9", |b| b.iter(macd));
    g.bench_function("atr14", |b| b.iter(atr));
    g.bench_function("sma200_slice", |b| b.iter(sma_slice));
    g.bench_function("ema20_slice", |b| b.iter(ema_slice));
    g.bench_function("bbands20_2_slice", |b| b.iter(bbands_slice));
    g.bench_function("atr14_slice", |b| b.iter(atr_slice));
    g.finish();

    let base = median(
        || {
            black_box(sum());
        },
        21,
    )
    .as_secs_f64()
        * 1e9
        / N as f64;
    println!("\nns/bar (median of 11, and the best), ratio to a plain sum ({base:.2} ns/bar), TA-Lib's C time here:");
    for (name, f, talib) in [
        ("SMA(200)", &sma as &dyn Fn() -> f64, 1.7),
        ("EMA(20)", &ema, 1.9),
        ("RSI(14)", &rsi, 3.0),
        ("BBANDS(20,2)", &bbands, 8.4),
        ("MACD(12,26,9)", &macd, 5.6),
        ("ATR(14)", &atr, 1.2),
        ("SMA(200) slice", &sma_slice, 1.7),
        ("EMA(20) slice", &ema_slice, 1.9),
        ("BBANDS slice", &bbands_slice, 8.4),
        ("ATR(14) slice", &atr_slice, 1.2),
    ] {
        // The median, and the best run: on a shared machine the best is the closest to the code's own cost.
        let t = times(
            || {
                black_box(f());
            },
            11,
        );
        let per_bar = |d: Duration| d.as_secs_f64() * 1e9 / N as f64;
        let (ns, best) = (per_bar(t[5]), per_bar(t[0]));
        println!(
            "  {name:<14} {ns:6.2} ns/bar (best {best:5.2})  {:5.1}× plain sum  (TA-Lib {talib} ns/bar)",
            ns / base
        );
    }

    // strata ta with the six, end to end.
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("synth-1m.parquet");
    write(&data, &bars);
    let out = dir.path().join("features.parquet");
    let bin = env!("CARGO_BIN_EXE_strata");
    let ta = || {
        let o = Command::new(bin)
            .args(["ta", data.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8")])
            .args([
                "sma=sma(close, 200)",
                "ema=ema(close, 20)",
                "rsi=rsi(close, 14)",
                "bb=bbands(close, 20, 2).upper",
                "macd=macd(close, 12, 26, 9).hist",
                "atr=atr(14)",
            ])
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let mut g = c.benchmark_group("strata_ta_1m_bars");
    g.sample_size(10);
    g.bench_function("six_indicators_end_to_end", |b| b.iter(ta));
    g.finish();
    let t = median(ta, 7);
    println!("\nstrata ta, six indicators, 1M bars, end to end: {:.0} ms (target <= 150 ms)", t.as_secs_f64() * 1e3);
    c.final_summary();
}

fn write(path: &Path, bars: &[strata_runtime::bar::Bar]) {
    let mut df = df!(
        "ts" => bars.iter().map(|b| b.ts).collect::<Vec<_>>(),
        "open" => bars.iter().map(|b| b.open).collect::<Vec<_>>(),
        "high" => bars.iter().map(|b| b.high).collect::<Vec<_>>(),
        "low" => bars.iter().map(|b| b.low).collect::<Vec<_>>(),
        "close" => bars.iter().map(|b| b.close).collect::<Vec<_>>(),
        "volume" => bars.iter().map(|b| b.volume).collect::<Vec<_>>(),
    )
    .expect("frame");
    let file = std::fs::File::create(path).expect("create");
    ParquetWriter::new(file).with_compression(ParquetCompression::Snappy).finish(&mut df).expect("write");
}
