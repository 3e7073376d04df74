//! Sweep benchmark (issue 7): a 1,000-combination sma_cross sweep over 100,000 bars on 2 threads, end to end
//! (`strata sweep`, process start to results written), next to one `strata backtest` of the same strategy on the
//! same file measured in the same run — the ratio says what a combination costs against a whole single run.
//!
//! With `STRATA_VBT_PYTHON` pointing at a Python that has vectorbt (../shared/tools/peers/setup.sh), the same grid
//! on the same file runs through vectorbt's parameter broadcasting (`benches/peers/vbt_sweep.py`) and its times are
//! printed alongside.
//!
//! Run: `cargo bench --bench sweep`.

mod synth;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use polars::prelude::*;

const BARS: usize = 100_000;
// fast 5..54 (50 values) × slow 60..250:10 (20 values) = 1,000 combinations, all with fast < slow.
const GRID: [&str; 4] = ["--grid", "fast=5..54:1", "--grid", "slow=60..250:10"];

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

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("synth-100k.parquet");
    write(&data, &synth::bars(BARS, 42));
    let bin = env!("CARGO_BIN_EXE_strata");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[&str]| {
        let o = Command::new(bin).args(args).current_dir(root).output().expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let d = data.to_str().expect("utf-8");
    let out = dir.path().join("sweep");
    let o = out.to_str().expect("utf-8");
    let single = median(|| run(&["backtest", "strategies/sma_cross.strat", "--data", d]), 5);
    let mut sweep_args = vec!["sweep", "strategies/sma_cross.strat", "--data", d, "--jobs", "2", "--out", o];
    sweep_args.extend_from_slice(&GRID);
    let sweep = median(|| run(&sweep_args), 3);
    println!("\nsweep benchmark: {BARS} bars, 1,000 combinations of sma_cross, 2 threads");
    println!("  one backtest, end to end        {:8.3} s", single.as_secs_f64());
    println!(
        "  the sweep, end to end           {:8.3} s  (target <= 5 s; {:.0}× one backtest, {:.2} ms per combination)",
        sweep.as_secs_f64(),
        sweep.as_secs_f64() / single.as_secs_f64(),
        sweep.as_secs_f64() * 1e3 / 1000.0
    );
    if let Ok(python) = std::env::var("STRATA_VBT_PYTHON") {
        let script = root.join("benches/peers/vbt_sweep.py");
        let o = Command::new(&python)
            .arg(&script)
            .args([d, "5", "54", "1", "60", "250", "10", "3"])
            .output()
            .expect("runs python");
        println!("  vectorbt (parameter broadcasting, same grid and file):");
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            println!("    {line}");
        }
        if !o.status.success() {
            println!("    failed: {}", String::from_utf8_lossy(&o.stderr));
        }
    } else {
        println!("  (set STRATA_VBT_PYTHON to a Python with vectorbt to time it on the same grid)");
    }
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
