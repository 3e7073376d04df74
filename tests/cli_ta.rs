//! `strata ta`: expressions over Parquet bars, written as columns — nulls during warm-up, booleans as 1/0, errors
//! reported like the compiler's, nothing written on failure, byte-identical reruns.

mod common;

use common::*;
use polars::prelude::*;

fn read(path: &std::path::Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

#[test]
fn writes_one_column_per_expression() {
    let dir = tempdir();
    let out = dir.path().join("features.parquet");
    let o = strata(&[
        "ta",
        "bundled:orcl-1995-2014.1d",
        "--out",
        out.to_str().unwrap(),
        "sma20=sma(close, 20)",
        "upper=bbands(close, 20, 2).upper",
        "above=close > sma(close, 20)",
        "range=(high - low) / close",
        "macd=macd(close).hist",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("5036 rows × 5 series"), "{}", stdout(&o));
    let df = read(&out);
    let names: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
    assert_eq!(names, vec!["ts", "sma20", "upper", "above", "range", "macd"]);
    assert_eq!(df.height(), 5036);
    let sma = df.column("sma20").unwrap().f64().unwrap();
    assert_eq!(sma.null_count(), 19, "undefined during warm-up is null");
    assert!(sma.get(18).is_none() && sma.get(19).is_some());
    let above = df.column("above").unwrap().f64().unwrap();
    assert!(above.into_no_null_iter().all(|v| v == 0.0 || v == 1.0));
    assert_eq!(df.column("macd").unwrap().f64().unwrap().null_count(), 33);
    assert_eq!(df.column("range").unwrap().f64().unwrap().null_count(), 0);

    // Same inputs, same bytes.
    let again = dir.path().join("again.parquet");
    let o = strata(&[
        "ta",
        "bundled:orcl-1995-2014.1d",
        "--out",
        again.to_str().unwrap(),
        "sma20=sma(close, 20)",
        "upper=bbands(close, 20, 2).upper",
        "above=close > sma(close, 20)",
        "range=(high - low) / close",
        "macd=macd(close).hist",
    ]);
    assert!(o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
}

#[test]
fn expression_errors_read_like_the_compiler_and_write_nothing() {
    let dir = tempdir();
    let out = dir.path().join("f.parquet");
    let o = strata(&[
        "ta",
        "bundled:orcl-1995-2014.1d",
        "--out",
        out.to_str().unwrap(),
        "ok=sma(close, 5)",
        "bad=smaa(close, 5)",
        "worse=rsi(close)",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("expression 'bad':1:1: error: unknown indicator 'smaa' — did you mean 'sma'?"), "{err}");
    assert!(err.contains("expression 'worse':1:1: error: rsi takes 2 arguments"), "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no staging file left");

    for (args, needle) in [
        (vec!["x"], "expected NAME=EXPR"),
        (vec!["ts=close"], "not a usable column name"),
        (vec!["a=close", "a=open"], "given twice"),
        (vec!["p=position"], "account value"),
    ] {
        let mut all = vec!["ta", "bundled:orcl-1995-2014.1d", "--out", out.to_str().unwrap()];
        all.extend(args);
        let o = strata(&all);
        assert_eq!(o.status.code(), Some(1), "{all:?}");
        assert!(stderr(&o).contains(needle), "{all:?}: {}", stderr(&o));
        assert!(!out.exists());
    }
}

#[test]
fn data_errors_write_nothing() {
    let dir = tempdir();
    let out = dir.path().join("f.parquet");
    let o = strata(&["ta", "missing.parquet", "--out", out.to_str().unwrap(), "s=sma(close, 5)"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.parquet: no such file"));
    let o = strata(&["ta", "bundled:gbpusd-2012-02.1m", "--out", out.to_str().unwrap(), "v=obv()"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no volume column"), "{}", stderr(&o));
    assert!(!out.exists());
}
