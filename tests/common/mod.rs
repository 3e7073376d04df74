//! Helpers shared by the integration tests: running the binary, writing small Parquet files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A `strata` server child (`feed serve`, `venue serve`), killed when dropped.
pub struct ServerChild {
    pub child: std::process::Child,
    /// The first line it printed, which says where it listens.
    pub first_line: String,
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `strata ARGS` from the repository root and reads its first line of output.
pub fn spawn_server(args: &[&str]) -> ServerChild {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("runs strata");
    let mut first_line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut first_line).expect("reads the server's first line");
    }
    ServerChild { child, first_line }
}

/// `STRATA_PROPTEST_CASES` cases (default `cases`), drawn from a fixed seed so that every run tries the same ones
/// (`STRATA_PROPTEST_SEED` picks others).
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let var = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let rng_seed = proptest::test_runner::RngSeed::Fixed(var("STRATA_PROPTEST_SEED").unwrap_or(0x5747_a7a5));
    proptest::test_runner::Config {
        cases: var("STRATA_PROPTEST_CASES").map_or(cases, |c| c as u32),
        rng_seed,
        ..proptest::test_runner::Config::default()
    }
}

/// Starts `strata feed serve --port 0 ARGS` (killed when dropped) and reads the port it chose from its first line.
pub fn serve_feed(args: &[&str]) -> (ServerChild, u16) {
    let child = spawn_server(&[&["feed", "serve", "--port", "0"][..], args].concat());
    let line = &child.first_line;
    let port = line
        .split("ws://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (child, port)
}

/// Writes `bars` as a Parquet file.
pub fn write_bars(path: &Path, bars: &[strata_runtime::bar::Bar]) {
    let rows: Vec<_> = bars.iter().map(|b| (b.ts, b.open, b.high, b.low, b.close, b.volume)).collect();
    write_parquet(path, bars_df(&rows), None);
}

/// The first `n` bars of a bundled dataset split into `warm.parquet` (the first `warm`) and `traded.parquet` (the
/// rest) in `dir`.
pub fn warm_and_traded(dir: &Path, name: &str, n: usize, warm: usize) -> (PathBuf, PathBuf) {
    let bars = first_bars(name, n);
    let (warm_file, traded_file) = (dir.join("warm.parquet"), dir.join("traded.parquet"));
    write_bars(&warm_file, &bars[..warm]);
    write_bars(&traded_file, &bars[warm..]);
    (warm_file, traded_file)
}

/// Runs `strata ARGS` from the repository root.
pub fn strata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata")).args(args).current_dir(root()).output().expect("runs strata")
}

/// [`strata`] with a deadline: a run still going after `limit` (a live run waiting for a bar that never comes) is
/// killed and the test fails, instead of hanging.
pub fn strata_within(args: &[&str], limit: std::time::Duration) -> Output {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs strata");
    // Drain both pipes on threads, so a chatty child never blocks on a full pipe.
    let drain = |p: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = p {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits for strata") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("strata {} still running after {limit:?}", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Output { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The first `n` bars of a bundled dataset (`data/NAME`).
pub fn first_bars(name: &str, n: usize) -> Vec<strata_runtime::bar::Bar> {
    use strata_runtime::data::BarSource;
    let path = root().join("data").join(name);
    let mut src = strata_runtime::data::parquet::ParquetBars::open(&path, Default::default()).unwrap();
    let mut bars = Vec::new();
    while bars.len() < n {
        let Some(batch) = src.next_batch().unwrap() else { break };
        bars.extend_from_slice(batch);
    }
    bars.truncate(n);
    bars
}

/// Writes trades `(ts, price, qty)` as Parquet, the time column named `time_column`.
pub fn write_trades(path: &Path, time_column: &str, rows: &[(i64, f64, f64)]) {
    let df = df!(
        time_column => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "price" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "qty" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
    )
    .unwrap();
    write_parquet(path, df, None);
}

/// Writes a DataFrame as Parquet; `row_group` rows per row group.
pub fn write_parquet(path: &Path, mut df: DataFrame, row_group: Option<usize>) {
    let f = std::fs::File::create(path).unwrap();
    ParquetWriter::new(f).with_row_group_size(row_group).finish(&mut df).unwrap();
}

/// A bar table from rows of (ts, open, high, low, close, volume).
pub fn bars_df(rows: &[(i64, f64, f64, f64, f64, f64)]) -> DataFrame {
    df!(
        "ts" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "open" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "high" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "low" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "close" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        "volume" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
    )
    .unwrap()
}

/// `n` daily bars rising by 1 from 100 (open = close - 0.5).
pub fn rising(n: usize) -> Vec<(i64, f64, f64, f64, f64, f64)> {
    (0..n)
        .map(|i| {
            let c = 100.0 + i as f64;
            (i as i64 * 86_400_000, c - 0.5, c + 1.0, c - 1.0, c, 1000.0)
        })
        .collect()
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// A recorder that keeps every fill and the whole equity curve, for comparing runs.
#[derive(Debug, Default)]
pub struct Tape {
    pub fills: Vec<strata_runtime::order::Fill>,
    pub equity: Vec<(i64, f64)>,
}

impl strata_runtime::output::Recorder for Tape {
    fn fill(&mut self, f: &strata_runtime::order::Fill) -> Result<(), strata_runtime::output::OutputError> {
        self.fills.push(*f);
        Ok(())
    }
    fn equity(&mut self, ts: i64, e: f64) -> Result<(), strata_runtime::output::OutputError> {
        self.equity.push((ts, e));
        Ok(())
    }
    fn commit(&mut self) -> Result<(), strata_runtime::output::OutputError> {
        Ok(())
    }
}

/// The bundled BTC perpetual's minutes 00:00..01:00 of 2022-01-01 and the same hour in 5-minute bars (the
/// `--intrabar` tests' hand-worked case).
pub fn minutes_and_fives() -> (Vec<strata_runtime::bar::Bar>, Vec<strata_runtime::bar::Bar>) {
    use strata_runtime::bar::Bar;
    const MIDNIGHT: i64 = 1_640_995_200_000;
    let minutes: Vec<Bar> = first_bars("btcperp-2022-01.1m.parquet", 200)
        .into_iter()
        .filter(|b| (MIDNIGHT..MIDNIGHT + 3_600_000).contains(&b.ts))
        .collect();
    assert_eq!(minutes.len(), 60, "the hour after midnight, every minute");
    let fives = minutes
        .chunks(5)
        .map(|c| Bar {
            ts: c[0].ts,
            open: c[0].open,
            high: c.iter().map(|b| b.high).fold(f64::MIN, f64::max),
            low: c.iter().map(|b| b.low).fold(f64::MAX, f64::min),
            close: c[c.len() - 1].close,
            volume: c.iter().map(|b| b.volume).sum(),
        })
        .collect();
    (minutes, fives)
}
