//! Universe benchmark (issue 8): a cross-sectional strategy — `strategies/momentum_rotation.strat` holding the 10
//! strongest of 100 symbols by 60-bar rate of change — over 100 symbols × 100,000 bars (10 M bars), one pool of
//! cash. Measured end to end (`strata backtest` on a folder of 100 Parquet files, process start to summary) and in
//! process (the run alone, the data already in memory), next to a plain sum over the same 10 M closes in the same
//! run. Target: ≤ 2 s end to end.
//!
//! Run: `cargo bench --bench universe`.

mod synth;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use polars::prelude::*;
use strata_runtime::data::ReadOptions;
use strata_runtime::data::universe::Universe;
use strata_runtime::session::SessionConfig;

const SYMBOLS: usize = 100;
const BARS: usize = 100_000;

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
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

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("universe");
    std::fs::create_dir_all(&folder).expect("folder");
    for s in 0..SYMBOLS {
        write(&folder.join(format!("s{s:03}.parquet")), &synth::bars(BARS, 1000 + s as u64));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let strategy = root.join("strategies/momentum_rotation.strat");
    let bin = env!("CARGO_BIN_EXE_strata");
    let f = folder.to_str().expect("utf-8");
    let s = strategy.to_str().expect("utf-8");
    let end_to_end = median(
        || {
            let o = Command::new(bin).args(["backtest", s, "--data", f, "--set", "hold=10"]).output().expect("runs");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        },
        3,
    );

    let universe = Universe::open(&folder, ReadOptions::default()).expect("reads");
    let loaded = strata::strategy::load(&strategy).expect("loads");
    let params = strata_runtime::bind::resolve_params(&loaded.plan, &[("hold".into(), "10".into())]).expect("params");
    let mut trades = 0;
    let in_process = median(
        || {
            let engines = (0..SYMBOLS).map(|_| loaded.engine_with(&params, false).expect("engine")).collect();
            let r = strata_runtime::basket::run(&universe, engines, SessionConfig::default(), Default::default())
                .expect("runs");
            trades = r.report.summary.closed_trades;
        },
        3,
    );
    let mut total = 0.0;
    let sum = median(
        || {
            total = universe.bars.iter().flatten().map(|b| b.close).sum::<f64>();
        },
        5,
    );
    std::hint::black_box(total);
    let bars = (SYMBOLS * BARS) as f64;
    println!(
        "\nuniverse benchmark: {SYMBOLS} symbols × {BARS} bars, momentum_rotation holding 10 ({trades} round trips)"
    );
    println!("  end to end (strata backtest)   {:8.3} s  (target <= 2 s)", end_to_end.as_secs_f64());
    println!(
        "  the run alone, in process      {:8.3} s  ({:.1} ns per symbol-bar; {:.0}× a plain sum over the closes)",
        in_process.as_secs_f64(),
        in_process.as_secs_f64() * 1e9 / bars,
        in_process.as_secs_f64() / sum.as_secs_f64()
    );
    println!(
        "  plain sum over the closes      {:8.3} s  ({:.2} ns per bar)",
        sum.as_secs_f64(),
        sum.as_secs_f64() * 1e9 / bars
    );
}
