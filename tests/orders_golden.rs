//! Golden tests for the order types, driven by files: every `tests/data/orders/NAME.strat` (and `NAME.rhai`, the same
//! strategy in Rhai) is backtested on the bundled minute bars with the flags on its first line, and its fills and
//! summary must be those `NAME.fills` works out by hand (see that folder's README).

mod common;

use std::path::{Path, PathBuf};

use common::*;
use polars::prelude::*;

/// `HH:MM kind side qty @ price` for each fill of a run's `fills.parquet`.
fn fill_lines(dir: &Path) -> Vec<String> {
    let df = ParquetReader::new(std::fs::File::open(dir.join("fills.parquet")).expect("fills.parquet"))
        .finish()
        .expect("read fills");
    let col = |name: &str| df.column(name).unwrap_or_else(|e| panic!("column {name}: {e}")).clone();
    let (ts, kind, side, qty, price) = (col("ts"), col("kind"), col("side"), col("qty"), col("price"));
    let (ts, kind, side) = (ts.i64().expect("ts"), kind.str().expect("kind"), side.str().expect("side"));
    let (qty, price) = (qty.f64().expect("qty"), price.f64().expect("price"));
    (0..df.height())
        .map(|i| {
            let when = strata_runtime::time::format_ts(ts.get(i).expect("ts"));
            let hhmm = when.get(11..16).unwrap_or(&when).to_string();
            format!(
                "{hhmm} {} {} {} @ {}",
                kind.get(i).expect("kind"),
                side.get(i).expect("side"),
                number(qty.get(i).expect("qty")),
                number(price.get(i).expect("price"))
            )
        })
        .collect()
}

/// At most 6 decimals, trailing zeros dropped.
fn number(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a, b) {
        (serde_json::Value::Number(x), serde_json::Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            (x - y).abs() <= 1e-9 * y.abs().max(1.0)
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| close(a, b))
        }
        _ => a == b,
    }
}

fn cases() -> Vec<PathBuf> {
    let dir = root().join("tests/data/orders");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/data/orders")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "strat" || x == "rhai"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_order_case_fills_as_worked_out_by_hand() {
    let cases = cases();
    assert!(cases.iter().filter(|c| c.extension().is_some_and(|x| x == "strat")).count() >= 8, "cases missing");
    assert!(cases.iter().filter(|c| c.extension().is_some_and(|x| x == "rhai")).count() >= 4, "Rhai twins missing");
    let mut failures = Vec::new();
    for strat in &cases {
        let text = std::fs::read_to_string(strat).expect("strategy");
        let args: Vec<&str> = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// args:"))
            .unwrap_or_else(|| panic!("{}: the first line must be `// args: ...`", strat.display()))
            .split_whitespace()
            .collect();
        let expected = std::fs::read_to_string(strat.with_extension("fills")).expect("NAME.fills");
        let dir = tempdir();
        let out = dir.path().join("run");
        let mut cmd =
            vec!["backtest", strat.to_str().expect("path"), "--data", "bundled:btcperp-2022-01.1m", "--json", "--out"];
        cmd.push(out.to_str().expect("out"));
        cmd.extend(args);
        let o = strata(&cmd);
        let name = strat.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if !o.status.success() {
            failures.push(format!("{name}: the backtest failed: {}", stderr(&o)));
            continue;
        }
        let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("summary json");
        let want: Vec<&str> =
            expected.lines().filter(|l| !l.starts_with('#') && !l.starts_with('=') && !l.trim().is_empty()).collect();
        let got = fill_lines(&out);
        if got != want {
            failures.push(format!("{name}: fills\n  got:  {got:?}\n  want: {want:?}"));
        }
        for line in expected.lines().filter_map(|l| l.strip_prefix("= ")) {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            let want: serde_json::Value = serde_json::from_str(value).unwrap_or_else(|e| panic!("{name}: {line}: {e}"));
            let got = &summary[key];
            if !close(got, &want) {
                failures.push(format!("{name}: {key} is {got}, expected {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_comparisons_tell_a_tick_apart() {
    assert_eq!(number(10.0024000001), "10.0024");
    assert_eq!(number(47100.0), "47100");
    assert_ne!(number(47100.0), number(47101.0));
    assert!(!close(&serde_json::json!(99994.0), &serde_json::json!(99995.0)));
    assert!(close(&serde_json::json!([99994.00001, 100024.0]), &serde_json::json!([99994.0, 100024.0])));
    assert!(!close(&serde_json::json!([99994.0]), &serde_json::json!([99994.0, 100024.0])));
}
