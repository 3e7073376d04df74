//! Backtest benchmarks (issue 2): the engine loop alone, the whole `strata backtest` process on a 1,000,000-bar
//! Parquet file, and the peak memory of a 10,000,000-bar run.
//!
//! Figures are reported next to a baseline measured in the same run, because this machine is noisy:
//! - engine loop vs a plain sum of the same bars' closes (the cheapest possible pass over the data);
//! - the end-to-end run vs `strata --version` (process start alone).
//!
//! Run: `cargo bench --bench backtest` (add `-- engine` etc. to filter). The 10M-bar memory check writes a ~400 MB
//! file to a temporary directory; skip it with `STRATA_BENCH_SKIP_RSS=1`.

mod synth;

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use polars::prelude::*;
use strata_runtime::bar::Bar;
use strata_runtime::engine::Engine;
use strata_runtime::session::{Session, SessionConfig};

const STRATEGY: &str = "strategies/sma_cross.strat";
const RHAI_STRATEGY: &str = "strategies/sma_cross.rhai";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn frame(bars: &[Bar]) -> DataFrame {
    df!(
        "ts" => bars.iter().map(|b| b.ts).collect::<Vec<_>>(),
        "open" => bars.iter().map(|b| b.open).collect::<Vec<_>>(),
        "high" => bars.iter().map(|b| b.high).collect::<Vec<_>>(),
        "low" => bars.iter().map(|b| b.low).collect::<Vec<_>>(),
        "close" => bars.iter().map(|b| b.close).collect::<Vec<_>>(),
        "volume" => bars.iter().map(|b| b.volume).collect::<Vec<_>>(),
    )
    .expect("frame")
}

/// Writes `n` synthetic bars to `path`, a million rows per row group, Snappy-compressed (pyarrow's and pandas'
/// default, so the file looks like one a quant would have).
fn write_synth(path: &Path, n: usize) {
    let file = std::fs::File::create(path).expect("create");
    let schema = frame(&synth::bars(1, 0)).schema().as_ref().clone();
    let mut writer =
        ParquetWriter::new(file).with_compression(ParquetCompression::Snappy).batched(&schema).expect("writer");
    let all = synth::bars(n, 42);
    for chunk in all.chunks(1_000_000) {
        writer.write_batch(&frame(chunk)).expect("write");
    }
    writer.finish().expect("finish");
}

fn run_session(plan: &strata_runtime::Plan, bars: &[Bar]) -> f64 {
    let engine = Engine::new(plan, &plan.default_params()).expect("binds");
    let mut s = Session::new(engine, SessionConfig::default());
    let mut last = 0.0;
    for b in bars {
        last = s.on_bar(b).expect("a plan without a script cannot fail").equity;
    }
    last
}

fn median_time(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

fn engine(c: &mut Criterion) {
    let bars = synth::bars(1_000_000, 42);
    let plan = strata::strategy::load(&root().join(STRATEGY)).expect("strategy").plan;
    let mut g = c.benchmark_group("engine_1m_bars");
    g.throughput(Throughput::Elements(bars.len() as u64));
    g.sample_size(20);
    g.bench_function("baseline_sum_of_closes", |b| b.iter(|| black_box(&bars).iter().map(|x| x.close).sum::<f64>()));
    g.bench_function("sma_cross_session", |b| b.iter(|| run_session(black_box(&plan), black_box(&bars))));
    g.finish();

    let base = median_time(
        || {
            black_box(black_box(&bars).iter().map(|x| x.close).sum::<f64>());
        },
        21,
    );
    let eng = median_time(
        || {
            black_box(run_session(&plan, &bars));
        },
        11,
    );
    let n = bars.len() as f64;
    println!(
        "\nengine loop: {:.1} M bars/s ({:.1} ns/bar); plain sum {:.2} ns/bar; engine/sum = {:.1}x",
        n / eng.as_secs_f64() / 1e6,
        eng.as_secs_f64() * 1e9 / n,
        base.as_secs_f64() * 1e9 / n,
        eng.as_secs_f64() / base.as_secs_f64()
    );
}

fn end_to_end(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("synth-1m.parquet");
    write_synth(&data, 1_000_000);
    let bin = env!("CARGO_BIN_EXE_strata");
    let run_with = |strategy: &str, extra: &[&str]| {
        let out = Command::new(bin)
            .args(["backtest", strategy, "--data", data.to_str().expect("utf-8"), "--json"])
            .args(extra)
            .current_dir(root())
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let run_strategy = |strategy: &str| run_with(strategy, &[]);
    let backtest = || run_strategy(STRATEGY);
    let rhai = || run_strategy(RHAI_STRATEGY);
    let interpreted = || run_with(RHAI_STRATEGY, &["--rhai-interpreter"]);
    let version = || {
        Command::new(bin).arg("--version").output().expect("runs");
    };
    let mut g = c.benchmark_group("end_to_end_1m_bars");
    g.sample_size(20);
    g.bench_function("baseline_process_start", |b| b.iter(version));
    g.bench_function("strata_backtest_sma_cross", |b| b.iter(backtest));
    g.bench_function("strata_backtest_sma_cross_rhai", |b| b.iter(rhai));
    g.finish();
    let start = median_time(version, 11);
    let run = median_time(backtest, 11);
    println!(
        "\nend to end, 1M bars: {:.1} ms (process start alone {:.1} ms; target <= 100 ms)",
        run.as_secs_f64() * 1e3,
        start.as_secs_f64() * 1e3
    );
    let script = median_time(rhai, 5);
    println!(
        "the Rhai twin, end to end: {:.1} ms = {:.2} M bars/s (target >= 2 M bars/s), {:.1}x the .strat time",
        script.as_secs_f64() * 1e3,
        1.0 / script.as_secs_f64(),
        script.as_secs_f64() / run.as_secs_f64()
    );
    let slow = median_time(interpreted, 3);
    println!(
        "the same script in Rhai's interpreter (--rhai-interpreter): {:.1} ms = {:.2} M bars/s; compiled tier {:.1}x faster",
        slow.as_secs_f64() * 1e3,
        1.0 / slow.as_secs_f64(),
        slow.as_secs_f64() / script.as_secs_f64()
    );
}

/// Peak RSS of `strata backtest` over 10,000,000 bars (target: under 300 MB).
///
/// Read from the child's own `/proc/PID/status` (`VmHWM`, its high-water mark) while it runs: `getrusage` would
/// report the *parent's* size, because a spawned child's high-water mark starts from the process it was forked from.
fn peak_rss() {
    if std::env::var_os("STRATA_BENCH_SKIP_RSS").is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("synth-10m.parquet");
    write_synth(&data, 10_000_000);
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["backtest", STRATEGY, "--data", data.to_str().expect("utf-8"), "--json"])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let took = start.elapsed();
    assert!(status.success(), "the 10M-bar backtest failed");
    println!(
        "\n10M bars: {:.2} s end to end, peak RSS {:.0} MB (target < 300 MB)",
        took.as_secs_f64(),
        peak_kb as f64 / 1024.0
    );
}

/// True when the command line selects `name` (no filter selects everything).
fn wanted(name: &str) -> bool {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()) || f.contains(name))
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    if wanted("engine_1m_bars/sma_cross_session baseline_sum_of_closes") {
        engine(&mut c);
    }
    if wanted("end_to_end_1m_bars/strata_backtest_sma_cross baseline_process_start strata_backtest_sma_cross_rhai") {
        end_to_end(&mut c);
    }
    if wanted("peak_rss_10m") {
        peak_rss();
    }
    c.final_summary();
}
