//! Tick aggregation (issue 8): trades through `BarBuilder` into 1-minute bars, in trades per second, next to a plain
//! sum over the same prices measured in the same run. Target: ≥ 50 M trades/s.
//!
//! Run: `cargo bench --bench aggregate`.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use strata_runtime::data::aggregate::{BarBuilder, BarSpec};

const N: usize = 10_000_000;

fn main() {
    // A seeded walk: 10 M trades, ~40 per second, so 1-minute bars hold ~2,400 trades each.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut price = 30_000.0;
    let mut ts = 1_600_000_000_000i64;
    let trades: Vec<(i64, f64, f64)> = (0..N)
        .map(|_| {
            price *= 1.0 + (next() - 0.5) * 1e-4;
            ts += (next() * 50.0) as i64;
            (ts, price, next())
        })
        .collect();
    let trades = &trades;
    let sum = || black_box(trades.iter().fold(0.0, |a, t| a + t.1));
    let aggregate = |spec: BarSpec| {
        move || {
            let mut b = BarBuilder::new(spec);
            let mut bars = 0usize;
            for &(ts, p, q) in trades {
                bars += usize::from(b.push_trade(ts, p, q).is_some());
            }
            black_box(bars)
        }
    };
    let (minute, ticks) = (aggregate(BarSpec::Time(60_000)), aggregate(BarSpec::Ticks(1000)));
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("aggregate_10m_trades");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("baseline_plain_sum", |b| b.iter(sum));
    g.bench_function("time_bars_1m", |b| b.iter(&minute));
    g.bench_function("tick_bars_1000", |b| b.iter(&ticks));
    g.finish();
    let time = |f: &dyn Fn() -> usize| {
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            black_box(f());
            best = best.min(t.elapsed().as_secs_f64());
        }
        best
    };
    let base = time(&|| sum() as usize);
    println!("\ntrades/s (best of 5), ratio to a plain sum over the same prices:");
    for (name, f) in [("1-minute bars", &minute as &dyn Fn() -> usize), ("1000-tick bars", &ticks)] {
        let t = time(f);
        println!("  {name:15} {:7.1} M trades/s  ({:.2}× the plain sum's time)", N as f64 / t / 1e6, t / base);
    }
}
