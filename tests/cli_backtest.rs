//! `strata backtest` end to end: the bundled run, JSON output, output files, determinism, and every kind of bad
//! input — each a one-line error naming the file, exit code 1, and no output left behind.

mod common;

use std::path::Path;

use common::*;
use polars::prelude::*;

const SMA: &str = "strategies/sma_cross.strat";

fn json(args: &[&str]) -> serde_json::Value {
    let out = strata(args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn orcl() -> DataFrame {
    read(&root().join("data/orcl-1995-2014.1d.parquet"))
}

/// Asserts a failed run: exit 1, a one-line error mentioning `needle`, and `out` not created.
fn assert_fails(args: &[&str], needle: &str, out: &Path) {
    let mut all = args.to_vec();
    let out_s = out.to_str().unwrap();
    all.extend(["--out", out_s]);
    let o = strata(&all);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{args:?}: expected '{needle}' in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "{args:?}: {out_s} must not be created");
}

#[test]
fn bundled_run_needs_no_arguments() {
    let o = strata(&["backtest", SMA]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("bundled:btcperp-2022-01.1m"), "{text}");
    assert!(text.contains("945 entries"), "{text}");
    assert!(text.contains("62,052.77"), "{text}");
}

#[test]
fn json_summary_has_every_field() {
    let v = json(&["backtest", SMA, "--json"]);
    for key in [
        "bars",
        "trades",
        "final_equity",
        "total_return",
        "max_drawdown",
        "sharpe",
        "sortino",
        "win_rate",
        "profit_factor",
        "exposure",
        "rejected_rows",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["bars"], 45_031);
    assert_eq!(v["trades"], 945);
    assert_eq!(v["rejected_rows"], 0);
    assert!((v["final_equity"].as_f64().unwrap() - 62_052.772101).abs() < 1e-6);
    assert!((v["total_return"].as_f64().unwrap() - (62_052.772101 / 100_000.0 - 1.0)).abs() < 1e-9);
}

#[test]
fn options_change_the_run() {
    let v = json(&[
        "backtest",
        SMA,
        "--data",
        "data/orcl-1995-2014.1d.parquet",
        "--fees-bps",
        "10",
        "--cash",
        "50000",
        "--set",
        "fast=5",
        "--set",
        "slow=20",
        "--slippage-bps",
        "2",
        "--json",
    ]);
    assert_eq!(v["params"]["fast"], 5);
    assert_eq!(v["params"]["slow"], 20);
    assert_eq!(v["initial_cash"], 50_000.0);
    assert!(v["fees"].as_f64().unwrap() > 0.0);
}

#[test]
fn output_files_are_readable_and_runs_are_byte_identical() {
    let dir = tempdir();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let args = |out: &Path| {
        vec![
            "backtest".to_string(),
            SMA.into(),
            "--fees-bps".into(),
            "10".into(),
            "--json".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ]
    };
    let run = |out: &Path| {
        let a: Vec<String> = args(out);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let o = strata(&refs);
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let (ja, jb) = (run(&a), run(&b));
    let strip = |j: Vec<u8>| String::from_utf8(j).unwrap();
    assert_eq!(strip(ja), strip(jb), "--json output differs between identical runs");
    for f in ["fills.parquet", "equity.parquet", "summary.json"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
    let fills = read(&a.join("fills.parquet"));
    assert_eq!(
        fills.get_column_names().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        vec!["ts", "side", "qty", "price", "fee", "kind", "order"]
    );
    assert_eq!(fills.height(), 945 * 2);
    assert_eq!(fills.column("side").unwrap().str().unwrap().get(0), Some("buy"));
    let equity = read(&a.join("equity.parquet"));
    assert_eq!(equity.height(), 45_031);
    assert_eq!(equity.column("ts").unwrap().dtype(), &DataType::Int64);
    let last = equity.column("equity").unwrap().f64().unwrap().get(45_030).unwrap();
    assert!((last - 9_374.418619).abs() < 1e-6, "{last}");
    let trades = read(&a.join("trades.parquet"));
    assert_eq!(trades.height(), 945);
    let pnl: f64 = trades.column("pnl").unwrap().f64().unwrap().sum().unwrap();
    assert!((100_000.0 + pnl - last).abs() < 1e-6, "the trades' PnL adds up to the final equity");
    // No staging files are left behind.
    let names: Vec<String> =
        std::fs::read_dir(&a).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn bad_data_files_fail_cleanly() {
    let dir = tempdir();
    let d = dir.path();
    let out = d.join("out");
    let p = |name: &str| d.join(name).to_str().unwrap().to_string();

    assert_fails(&["backtest", SMA, "--data", &p("missing.parquet")], "missing.parquet: no such file", &out);

    let real = std::fs::read(root().join("data/orcl-1995-2014.1d.parquet")).unwrap();
    std::fs::write(d.join("truncated.parquet"), &real[..real.len() / 2]).unwrap();
    assert_fails(
        &["backtest", SMA, "--data", &p("truncated.parquet")],
        "truncated.parquet: not a readable Parquet",
        &out,
    );

    std::fs::write(d.join("bars.csv"), "ts,open,high,low,close\n1,2,3,1,2\n").unwrap();
    assert_fails(&["backtest", SMA, "--data", &p("bars.csv")], "bars.csv: not a readable Parquet", &out);

    std::fs::write(d.join("empty.parquet"), b"").unwrap();
    assert_fails(&["backtest", SMA, "--data", &p("empty.parquet")], "empty.parquet: not a readable Parquet", &out);

    write_parquet(&d.join("zero.parquet"), orcl().head(Some(0)), None);
    assert_fails(&["backtest", SMA, "--data", &p("zero.parquet")], "zero.parquet: the file has no rows", &out);

    write_parquet(&d.join("noclose.parquet"), orcl().drop("close").unwrap(), None);
    assert_fails(&["backtest", SMA, "--data", &p("noclose.parquet")], "missing column 'close'", &out);

    let mut text_close = orcl();
    let as_text = text_close.column("close").unwrap().cast(&DataType::String).unwrap();
    text_close.with_column(as_text).unwrap();
    write_parquet(&d.join("textclose.parquet"), text_close, None);
    assert_fails(&["backtest", SMA, "--data", &p("textclose.parquet")], "column 'close' has type str", &out);

    let mut float_ts = orcl();
    let ts = float_ts.column("ts").unwrap().cast(&DataType::Float64).unwrap();
    float_ts.with_column(ts).unwrap();
    write_parquet(&d.join("floatts.parquet"), float_ts, None);
    assert_fails(&["backtest", SMA, "--data", &p("floatts.parquet")], "column 'ts' has type f64", &out);

    assert_fails(&["backtest", SMA, "--data", "bundled:nope"], "no bundled dataset 'nope'", &out);
}

#[test]
fn bad_params_and_strategies_fail_cleanly() {
    let dir = tempdir();
    let out = dir.path().join("out");
    assert_fails(&["backtest", SMA, "--set", "fats=5"], "unknown param 'fats' — did you mean 'fast'?", &out);
    assert_fails(&["backtest", SMA, "--set", "fast=abc"], "param 'fast': cannot parse 'abc'", &out);
    assert_fails(&["backtest", SMA, "--set", "fast=2.5"], "param 'fast' takes whole numbers", &out);
    assert_fails(&["backtest", SMA, "--set", "fast=1000"], "must be between 2 and 200", &out);
    assert_fails(&["backtest", "strategies/nope.strat"], "strategies/nope.strat: no such file", &out);
    assert_fails(&["backtest", SMA, "--cash", "-5"], "--cash must be", &out);
    assert_fails(&["backtest", SMA, "--from", "2022-13-01"], "--from", &out);
    // A strategy that reads volume, on data without it.
    let vol = dir.path().join("vol.strat");
    std::fs::write(&vol, "when volume > sma(volume, 10) { buy 1 }\n").unwrap();
    assert_fails(&["backtest", vol.to_str().unwrap(), "--data", "bundled:gbpusd-2012-02.1m"], "no volume column", &out);
}

#[test]
fn compile_errors_are_reported_like_a_compiler() {
    let dir = tempdir();
    let bad = dir.path().join("bad.strat");
    std::fs::write(&bad, "let f = smaa(close, 10)\nwhen f > close { buy 1 }\n").unwrap();
    let out = dir.path().join("out");
    let o = strata(&["backtest", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let first = err.lines().next().unwrap();
    assert!(first.ends_with("bad.strat:1:9: error: unknown indicator 'smaa' — did you mean 'sma'?"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_failed_run_leaves_earlier_outputs_untouched() {
    let dir = tempdir();
    let out = dir.path().join("out");
    let o = strata(&["backtest", SMA, "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    let before = std::fs::read(out.join("equity.parquet")).unwrap();
    let o = strata(&["backtest", SMA, "--data", "missing.parquet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(out.join("equity.parquet")).unwrap(), before);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);
}

#[test]
fn bad_rows_are_dropped_and_counted_or_fatal_under_strict() {
    let dir = tempdir();
    let mut rows = rising(60);
    rows[10].4 = f64::NAN; // bad price
    rows[20].2 = rows[20].3 - 1.0; // high < low
    rows[30].0 = rows[29].0; // duplicate ts
    rows[40].5 = -1.0; // negative volume
    rows[50].1 = rows[50].2 + 5.0; // open above high
    let path = dir.path().join("dirty.parquet");
    write_parquet(&path, bars_df(&rows), None);
    let p = path.to_str().unwrap();
    let v = json(&["backtest", SMA, "--data", p, "--json"]);
    assert_eq!(v["rejected_rows"], 5);
    assert_eq!(v["bars"], 55);

    let o = strata(&["backtest", SMA, "--data", p, "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("dirty.parquet: row 11: price missing, not finite, or not positive"), "{err}");
    assert!(err.contains("--strict"), "{err}");
}

#[test]
fn time_range_filters_bars() {
    let v = json(&[
        "backtest",
        SMA,
        "--data",
        "bundled:orcl-1995-2014.1d",
        "--from",
        "2000-01-01",
        "--to",
        "2000-12-31",
        "--json",
    ]);
    assert_eq!(v["first_bar"], "2000-01-03T00:00:00Z");
    assert_eq!(v["last_bar"], "2000-12-29T00:00:00Z");
    assert_eq!(v["bars"], 252);
    let o = strata(&["backtest", SMA, "--data", "bundled:orcl-1995-2014.1d", "--from", "2030-01-01"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no bars between 2030-01-01T00:00:00Z and the end"), "{}", stderr(&o));
}

#[test]
fn datetime_timestamps_and_row_groups_read_the_same_bars() {
    let dir = tempdir();
    let base = json(&["backtest", SMA, "--data", "bundled:orcl-1995-2014.1d", "--json"]);
    for (unit, tz) in
        [(TimeUnit::Milliseconds, None), (TimeUnit::Microseconds, Some("UTC")), (TimeUnit::Nanoseconds, None)]
    {
        let mut df = orcl();
        let ms = df.column("ts").unwrap().i64().unwrap().clone();
        let scaled = match unit {
            TimeUnit::Milliseconds => ms,
            TimeUnit::Microseconds => &ms * 1_000,
            TimeUnit::Nanoseconds => &ms * 1_000_000,
        };
        let tz = tz.map(|t| unsafe { TimeZone::from_static(t) });
        let dt = scaled.into_datetime(unit, tz).into_series().with_name("ts".into()).into_column();
        df.with_column(dt).unwrap();
        let path = dir.path().join(format!("dt-{unit:?}.parquet"));
        write_parquet(&path, df, Some(700));
        let v = json(&["backtest", SMA, "--data", path.to_str().unwrap(), "--json"]);
        assert_eq!(v["bars"], base["bars"], "{unit:?}");
        assert_eq!(v["final_equity"], base["final_equity"], "{unit:?}");
        assert_eq!(v["first_bar"], base["first_bar"], "{unit:?}");
    }
}
