//! Every TA-Lib golden column on every golden dataset: the language expression that names it
//! (tests/data/talib/columns.txt), computed by the engine over the dataset's full history, equals TA-Lib 0.8.2's
//! output to 1e-9 relative (or 1e-9 absolute near zero) on every sliced bar, and is undefined on exactly the bars
//! where TA-Lib's is. The slices (tests/data/talib/*.talib.parquet) keep the first 1,000 bars, every 10th bar, and
//! the last 200; `row` is the bar's index in data/NAME.parquet.

mod common;

use std::collections::BTreeMap;

use common::root;
use polars::prelude::*;
use strata::dsl::{NamedExpr, compile_expressions};
use strata_runtime::data::ReadOptions;
use strata_runtime::data::parquet::ParquetBars;

fn columns() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("tests/data/talib/columns.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (c, e) = l.split_once(' ').unwrap();
            (c.to_string(), e.trim().to_string())
        })
        .collect()
}

struct Mismatch {
    count: usize,
    first: String,
    worst: f64,
}

fn check_dataset(name: &str) -> Vec<String> {
    let golden_path = root().join(format!("tests/data/talib/{name}.talib.parquet"));
    let golden = ParquetReader::new(std::fs::File::open(&golden_path).unwrap()).finish().unwrap();
    let rows: Vec<usize> =
        golden.column("row").unwrap().i64().unwrap().into_no_null_iter().map(|r| r as usize).collect();
    let present: Vec<(String, String)> = columns().into_iter().filter(|(c, _)| golden.column(c).is_ok()).collect();
    let exprs: Vec<NamedExpr> =
        present.iter().map(|(c, e)| NamedExpr { name: c.clone(), label: c.clone(), text: e.clone() }).collect();
    let plan =
        compile_expressions(&exprs).unwrap_or_else(|e| panic!("{name}: expressions do not compile: {}", e.len()));

    // Compute every expression over the whole history; keep the sliced rows.
    let mut wanted = rows.iter().copied().peekable();
    let mut got: Vec<Vec<f64>> = vec![Vec::with_capacity(rows.len()); present.len()];
    let mut i = 0usize;
    let mut source = ParquetBars::open(&root().join(format!("data/{name}.parquet")), ReadOptions::default()).unwrap();
    strata_runtime::ta::run(&plan, &mut source, name, &mut |_, values| {
        if wanted.peek() == Some(&i) {
            wanted.next();
            for (g, &v) in got.iter_mut().zip(values) {
                g.push(v);
            }
        }
        i += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(got[0].len(), rows.len(), "{name}: rows computed");

    let mut failures = BTreeMap::new();
    for ((col, expr), values) in present.iter().zip(&got) {
        let want: Vec<Option<f64>> = golden.column(col).unwrap().f64().unwrap().iter().collect();
        for ((&row, &g), w) in rows.iter().zip(values).zip(&want) {
            let problem = match (g.is_nan(), w) {
                (true, None) => None,
                (true, Some(w)) => Some((format!("bar {row}: undefined, TA-Lib {w}"), f64::INFINITY)),
                (false, None) => Some((format!("bar {row}: {g}, TA-Lib undefined"), f64::INFINITY)),
                (false, Some(w)) => {
                    let err = (g - w).abs();
                    (err > 1e-9 * w.abs() && err > 1e-9)
                        .then(|| (format!("bar {row}: {g} vs TA-Lib {w}"), err / w.abs().max(1e-300)))
                }
            };
            if let Some((msg, rel)) = problem {
                let m =
                    failures.entry(format!("{col} = {expr}")).or_insert(Mismatch { count: 0, first: msg, worst: 0.0 });
                m.count += 1;
                m.worst = m.worst.max(rel);
            }
        }
    }
    failures
        .into_iter()
        .map(|(k, m)| {
            format!("{name}: {k}: {} bars differ (worst relative {:.1e}), first {}", m.count, m.worst, m.first)
        })
        .collect()
}

#[test]
fn every_golden_column_on_every_dataset_equals_talib() {
    let datasets =
        ["btc-2017-11.1m", "btcperp-2022-01.1m", "ethbtc-2018-01.5m", "orcl-1995-2014.1d", "yhoo-1996-2015.1d"];
    let failures: Vec<String> = datasets.iter().flat_map(|d| check_dataset(d)).collect();
    assert!(failures.is_empty(), "{} mismatching column(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_column_has_an_expression() {
    let golden = ParquetReader::new(
        std::fs::File::open(root().join("tests/data/talib/btcperp-2022-01.1m.talib.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    let mapped: Vec<String> = columns().into_iter().map(|(c, _)| c).collect();
    for c in golden.get_column_names() {
        assert!(c == "row" || c == "ts" || mapped.iter().any(|m| m == c.as_str()), "no expression for {c}");
    }
}
