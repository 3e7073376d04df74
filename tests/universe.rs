//! Universes: one strategy over many symbols with one pool of cash, and cross-sections across them.
//!
//! - Hand-worked runs on tiny universes: shared cash (the first symbol's buy spends what the second's would), and a
//!   rotation whose sell pays for its buy at the same open.
//! - `rank`, `zscore` and `top` over real equities equal a brute-force recomputation from the series they read.
//! - A universe file (a `symbol` column) and a folder of files give the same run, byte for byte, every time.
//! - Bad input: an unknown symbol, one symbol's rows out of time order (in a file, and in a folder).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{root, stderr, stdout, strata, tempdir, write_bars, write_parquet};
use polars::prelude::*;
use strata_runtime::bar::Bar;

const DAY: i64 = 86_400_000;
const T0: i64 = 1_704_067_200_000; // 2024-01-01

fn bars(closes: &[f64]) -> Vec<Bar> {
    closes
        .iter()
        .enumerate()
        .map(|(i, &c)| Bar { ts: T0 + i as i64 * DAY, open: c, high: c, low: c, close: c, volume: 1.0 })
        .collect()
}

fn folder(dir: &Path, symbols: &[(&str, &[f64])]) -> std::path::PathBuf {
    let u = dir.join("u");
    std::fs::create_dir_all(&u).unwrap();
    for (name, closes) in symbols {
        write_bars(&u.join(format!("{name}.1d.parquet")), &bars(closes));
    }
    u
}

fn run_json(strategy: &str, data: &Path, extra: &[&str]) -> serde_json::Value {
    let dir = data.parent().unwrap();
    let strat = dir.join("s.strat");
    std::fs::write(&strat, strategy).unwrap();
    let mut args = vec!["backtest", strat.to_str().unwrap(), "--data", data.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let r = strata(&args);
    assert!(r.status.success(), "{}", stderr(&r));
    serde_json::from_str(&stdout(&r)).unwrap()
}

fn symbol<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["symbols"].as_array().unwrap().iter().find(|x| x["symbol"] == name).unwrap()
}

/// Both symbols ask for all the cash at the same close; at the next open A (first by name) spends it, and B's
/// order finds none.
#[test]
fn the_cash_is_one_pool() {
    let dir = tempdir();
    let u = folder(dir.path(), &[("A", &[10.0, 10.0, 12.0]), ("B", &[20.0, 20.0, 20.0])]);
    let s = run_json("when position == 0 { buy 100% }", &u, &["--cash", "1000"]);
    // A: 1000 / 10 = 100 units at the second bar's open; at the last close 100 × 12.
    assert_eq!(symbol(&s, "A")["position"], 100.0);
    assert_eq!(symbol(&s, "B")["position"], 0.0);
    assert_eq!(s["final_equity"], 1200.0);
    assert!(s["orders_rejected"].as_u64().unwrap() >= 1, "B's order had no cash: {s}");
}

/// The leader by close changes on day 3 (A 12 > B 11): at day 4's open B is sold first, and its proceeds buy A.
#[test]
fn a_rotation_sells_before_it_buys() {
    let dir = tempdir();
    let a: &[f64] = &[10.0, 11.0, 12.0, 13.0, 14.0];
    let b: &[f64] = &[12.0, 11.5, 11.0, 10.0, 10.0];
    let u = folder(dir.path(), &[("A", a), ("B", b)]);
    let strategy =
        "when top(close, 1) and position == 0 { buy 100% }\nwhen not top(close, 1) and position > 0 { exit }";
    let s = run_json(strategy, &u, &["--cash", "1150"]);
    // Day 1 close: B leads (12 > 10) → buy at day 2's open: 1150 / 11.5 = 100 B.
    // Day 3 close: A leads (12 > 11) → B exits and A buys at day 4's open: 100 × 10 = 1000 → 1000 / 13 A.
    let a_qty = 1000.0 / 13.0;
    assert_eq!(symbol(&s, "B")["position"], 0.0);
    assert_eq!(symbol(&s, "A")["position"].as_f64().unwrap(), a_qty);
    assert_eq!(s["final_equity"].as_f64().unwrap(), a_qty * 14.0);
    assert_eq!(symbol(&s, "B")["pnl"].as_f64().unwrap(), 1000.0 - 1150.0);
}

/// A table with a `symbol` column.
fn universe_file(path: &Path, rows: &[(&str, Bar)]) {
    let df = DataFrame::new_infer_height(vec![
        Column::new("symbol".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>()),
        Column::new("ts".into(), rows.iter().map(|r| r.1.ts).collect::<Vec<_>>()),
        Column::new("open".into(), rows.iter().map(|r| r.1.open).collect::<Vec<_>>()),
        Column::new("high".into(), rows.iter().map(|r| r.1.high).collect::<Vec<_>>()),
        Column::new("low".into(), rows.iter().map(|r| r.1.low).collect::<Vec<_>>()),
        Column::new("close".into(), rows.iter().map(|r| r.1.close).collect::<Vec<_>>()),
        Column::new("volume".into(), rows.iter().map(|r| r.1.volume).collect::<Vec<_>>()),
    ])
    .unwrap();
    write_parquet(path, df, None);
}

/// Three real equities as a folder and as one file (rows interleaved by date): the same run, byte for byte, twice.
#[test]
fn a_file_and_a_folder_give_the_same_run_every_time() {
    let dir = tempdir();
    let names = ["nvda-1999-2014.1d", "orcl-1995-2014.1d", "yhoo-1996-2015.1d"];
    let u = dir.path().join("u");
    std::fs::create_dir_all(&u).unwrap();
    let mut rows = Vec::new();
    for n in names {
        let b = common::first_bars(&format!("{n}.parquet"), 800);
        write_bars(&u.join(format!("{n}.parquet")), &b);
        let sym = n.split('-').next().unwrap().to_ascii_uppercase();
        rows.extend(b.into_iter().map(|bar| (sym.clone(), bar)));
    }
    rows.sort_by_key(|(s, b)| (b.ts, s.clone()));
    let file = dir.path().join("u.parquet");
    universe_file(&file, &rows.iter().map(|(s, b)| (s.as_str(), *b)).collect::<Vec<_>>());
    let strategy = root().join("strategies/momentum_rotation.strat");
    let run = |data: &Path, out: &str| {
        let out = dir.path().join(out);
        let r = strata(&[
            "backtest",
            strategy.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(r.status.success(), "{}", stderr(&r));
        ["fills.parquet", "equity.parquet", "trades.parquet"].map(|f| std::fs::read(out.join(f)).unwrap())
    };
    let a = run(&u, "a");
    assert_eq!(a, run(&u, "b"), "the same run twice");
    assert_eq!(a, run(&file, "c"), "the file and the folder");
    let fills = ParquetReader::new(std::io::Cursor::new(a[0].clone())).finish().unwrap();
    let names = fills.column("symbol").unwrap().str().unwrap().clone();
    let symbols: Vec<&str> = (0..names.len()).filter_map(|i| names.get(i)).collect();
    assert!(symbols.len() > 20 && ["NVDA", "ORCL", "YHOO"].iter().all(|s| symbols.contains(s)), "{symbols:?}");
}

/// `rank`, `zscore` and `top` from `strata ta` over the real equities equal a recomputation, per date, from the
/// series they read.
#[test]
fn cross_sections_equal_a_brute_force_recomputation() {
    let dir = tempdir();
    let u = dir.path().join("u");
    std::fs::create_dir_all(&u).unwrap();
    for n in ["nvda-1999-2014.1d", "orcl-1995-2014.1d", "yhoo-1996-2015.1d"] {
        write_bars(&u.join(format!("{n}.parquet")), &common::first_bars(&format!("{n}.parquet"), 1500));
    }
    let out = dir.path().join("x.parquet");
    let r = strata(&[
        "ta",
        u.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "m=roc(close, 20)",
        "r=rank(roc(close, 20))",
        "z=zscore(roc(close, 20))",
        "t=top(roc(close, 20), 2) ? 1 : 0",
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let df = ParquetReader::new(std::fs::File::open(&out).unwrap()).finish().unwrap();
    let ts: Vec<i64> = df.column("ts").unwrap().i64().unwrap().into_no_null_iter().collect();
    let names = df.column("symbol").unwrap().str().unwrap().clone();
    let sym: Vec<&str> = (0..names.len()).filter_map(|i| names.get(i)).collect();
    let col = |n: &str| -> Vec<f64> {
        let c = df.column(n).unwrap().f64().unwrap();
        (0..c.len()).map(|i| c.get(i).unwrap_or(f64::NAN)).collect()
    };
    let (m, rank, z, top) = (col("m"), col("r"), col("z"), col("t"));
    let mut by_ts: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, &t) in ts.iter().enumerate() {
        by_ts.entry(t).or_default().push(i);
    }
    let mut checked = 0;
    for rows in by_ts.values() {
        // Rows of one date come in symbol order.
        assert!(rows.windows(2).all(|w| sym[w[0]] < sym[w[1]]));
        let defined: Vec<usize> = rows.iter().copied().filter(|&i| !m[i].is_nan()).collect();
        let n = defined.len() as f64;
        let mean = defined.iter().map(|&i| m[i]).sum::<f64>() / n;
        let sd = (defined.iter().map(|&i| (m[i] - mean).powi(2)).sum::<f64>() / n).sqrt();
        for &i in rows {
            if m[i].is_nan() {
                assert!(rank[i].is_nan() && z[i].is_nan() && top[i].is_nan());
                continue;
            }
            let above = defined.iter().filter(|&&j| m[j] > m[i] || (m[j] == m[i] && sym[j] < sym[i])).count();
            assert_eq!(rank[i], (above + 1) as f64, "{} {}", ts[i], sym[i]);
            assert_eq!(top[i], if above < 2 { 1.0 } else { 0.0 });
            if defined.len() >= 2 && sd > 0.0 {
                assert!(
                    (z[i] - (m[i] - mean) / sd).abs() < 1e-12,
                    "{} {}: {} vs {}",
                    ts[i],
                    sym[i],
                    z[i],
                    (m[i] - mean) / sd
                );
                checked += 1;
            } else {
                assert!(z[i].is_nan());
            }
        }
    }
    assert!(checked > 2000, "{checked}");
}

#[test]
fn bad_universes_are_refused_with_the_symbol_and_row() {
    let dir = tempdir();
    let u = folder(dir.path(), &[("AAA", &[1.0, 2.0]), ("BBB", &[1.0, 2.0])]);
    let strat = dir.path().join("s.strat");
    std::fs::write(&strat, "when close > 0 and position == 0 { buy 1 }").unwrap();
    let s = strat.to_str().unwrap();
    let r = strata(&["backtest", s, "--data", u.to_str().unwrap(), "--symbols", "AAA,BBC"]);
    assert!(!r.status.success());
    assert!(stderr(&r).contains("no symbol 'BBC' — did you mean 'BBB'? (the data has AAA, BBB)"), "{}", stderr(&r));

    // One symbol's rows out of order in a universe file (the other symbol's are fine).
    let file = dir.path().join("bad.parquet");
    let b = bars(&[1.0, 2.0, 3.0]);
    universe_file(&file, &[("AAA", b[0]), ("BBB", b[0]), ("BBB", b[2]), ("AAA", b[1]), ("BBB", b[1])]);
    let r = strata(&["backtest", s, "--data", file.to_str().unwrap()]);
    assert!(!r.status.success());
    let err = stderr(&r);
    assert!(
        err.contains("symbol BBB, row 5: 2024-01-02T00:00:00Z is not after the symbol's previous row at 2024-01-03"),
        "{err}"
    );

    // And in a folder: a file whose rows go back in time.
    let back = dir.path().join("v");
    std::fs::create_dir_all(&back).unwrap();
    write_bars(&back.join("aaa.parquet"), &bars(&[1.0, 2.0]));
    let mut rev = bars(&[1.0, 2.0, 3.0]);
    rev.swap(1, 2);
    write_bars(&back.join("ccc.parquet"), &rev);
    let r = strata(&["backtest", s, "--data", back.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(stderr(&r).contains("symbol CCC") && stderr(&r).contains("go back in time"), "{}", stderr(&r));

    // --symbols without a universe.
    let r = strata(&["backtest", s, "--symbols", "AAA"]);
    assert!(!r.status.success() && stderr(&r).contains("--symbols picks symbols of a universe"), "{}", stderr(&r));
}

/// `symbols` in the strategy picks its universe; `--symbols` overrides it; on one symbol's data it is refused.
#[test]
fn the_strategy_names_its_universe() {
    let dir = tempdir();
    let u = folder(dir.path(), &[("AAA", &[1.0, 2.0, 3.0]), ("BBB", &[1.0, 2.0, 3.0]), ("CCC", &[1.0, 2.0, 3.0])]);
    let strategy = "symbols aaa, CCC\nwhen position == 0 { buy 1 }";
    let s = run_json(strategy, &u, &[]);
    let names: Vec<&str> = s["symbols"].as_array().unwrap().iter().map(|x| x["symbol"].as_str().unwrap()).collect();
    assert_eq!(names, ["AAA", "CCC"]);
    let s = run_json(strategy, &u, &["--symbols", "BBB"]);
    assert_eq!(s["symbols"].as_array().unwrap().len(), 1);
    let strat = dir.path().join("s.strat");
    let r = strata(&["backtest", strat.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(stderr(&r).contains("the strategy trades symbols AAA, CCC: give --data a universe"), "{}", stderr(&r));
}

/// A Rhai strategy runs over a universe as its `.strat` twin does: one script instance per symbol, the same fills.
#[test]
fn a_rhai_strategy_trades_a_universe_like_its_strat_twin() {
    let dir = tempdir();
    let u = dir.path().join("u");
    std::fs::create_dir_all(&u).unwrap();
    for n in ["nvda-1999-2014.1d", "orcl-1995-2014.1d", "yhoo-1996-2015.1d"] {
        write_bars(&u.join(format!("{n}.parquet")), &common::first_bars(&format!("{n}.parquet"), 1200));
    }
    let run = |file: &str| {
        let strategy = root().join(file);
        let r = strata(&["backtest", strategy.to_str().unwrap(), "--data", u.to_str().unwrap(), "--json"]);
        assert!(r.status.success(), "{}", stderr(&r));
        let mut v: serde_json::Value = serde_json::from_str(&stdout(&r)).unwrap();
        // The warm-up a script reports differs by a bar from the `.strat` cross rule's (tests/rhai_strategies.rs).
        v.as_object_mut().unwrap().remove("warmup_bars");
        v
    };
    let (strat, rhai) = (run("strategies/sma_cross.strat"), run("strategies/sma_cross.rhai"));
    assert!(strat["fills"].as_u64().unwrap() > 30, "{strat}");
    assert_eq!(strat, rhai);
}

/// A Rhai script names its universe with `symbols([...])`; a bad list is refused at the call.
#[test]
fn a_rhai_script_names_its_universe() {
    let dir = tempdir();
    let u = folder(dir.path(), &[("AAA", &[1.0, 2.0, 3.0]), ("BBB", &[1.0, 2.0, 3.0]), ("CCC", &[1.0, 2.0, 3.0])]);
    let script = dir.path().join("s.rhai");
    let body = "fn on_bar(bar) { if position() == 0.0 { buy(1); } }";
    std::fs::write(&script, format!("symbols([\"aaa\", \"CCC\"]);\n{body}\n")).unwrap();
    let r = strata(&["backtest", script.to_str().unwrap(), "--data", u.to_str().unwrap(), "--json"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let s: serde_json::Value = serde_json::from_str(&stdout(&r)).unwrap();
    let names: Vec<&str> = s["symbols"].as_array().unwrap().iter().map(|x| x["symbol"].as_str().unwrap()).collect();
    assert_eq!(names, ["AAA", "CCC"]);
    std::fs::write(&script, format!("symbols([\"AAA\", 3]);\n{body}\n")).unwrap();
    let r = strata(&["backtest", script.to_str().unwrap(), "--data", u.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(stderr(&r).contains("symbols() takes an array of names"), "{}", stderr(&r));
}

/// A sweep over a universe: each row is the `strata backtest` of its combination over the same symbols (the same
/// basket, the same pool of cash), whatever the thread count; `--symbols` narrows it; a walk-forward refuses it.
#[test]
fn a_sweep_over_a_universe_is_its_backtests() {
    let dir = tempdir();
    let u = dir.path().join("u");
    std::fs::create_dir_all(&u).unwrap();
    // The same 600 trading days of each (from 2000-01-03 on).
    for n in ["nvda-1999-2014.1d", "orcl-1995-2014.1d", "yhoo-1996-2015.1d"] {
        let all = common::first_bars(&format!("{n}.parquet"), 3000);
        let from: Vec<Bar> = all.into_iter().filter(|b| b.ts >= 946_857_600_000).take(600).collect();
        write_bars(&u.join(format!("{n}.parquet")), &from);
    }
    let strategy = root().join("strategies/momentum_rotation.strat");
    let (s, data) = (strategy.to_str().unwrap(), u.to_str().unwrap());
    let sweep = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let grid = ["sweep", s, "--data", data, "--grid", "hold=1,2", "--grid", "lookback=20,60"];
        let r = strata(&[&grid[..], &["--out", out.to_str().unwrap()], extra].concat());
        assert!(r.status.success(), "{}", stderr(&r));
        assert!(stderr(&r).contains("(3 symbols)") || extra.contains(&"--symbols"), "{}", stderr(&r));
        std::fs::read_to_string(out.join("sweep.csv")).unwrap()
    };
    let csv = sweep("one", &["--jobs", "1"]);
    assert_eq!(csv, sweep("two", &["--jobs", "2"]), "the thread count changes nothing");
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| rows[0].iter().position(|h| *h == name).unwrap();
    assert_eq!(rows.len(), 5);
    let mut finals = Vec::new();
    for row in &rows[1..] {
        let (hold, lookback) = (row[col("hold")], row[col("lookback")]);
        let b = strata(&[
            "backtest",
            s,
            "--data",
            data,
            "--set",
            &format!("hold={hold}"),
            "--set",
            &format!("lookback={lookback}"),
            "--json",
        ]);
        assert!(b.status.success(), "{}", stderr(&b));
        let j: serde_json::Value = serde_json::from_str(&stdout(&b)).unwrap();
        assert!(j["closed_trades"].as_f64().unwrap() > 5.0, "hold={hold} lookback={lookback}: {j}");
        for (metric, key) in [
            ("final_equity", "final_equity"),
            ("trades", "closed_trades"),
            ("max_drawdown", "max_drawdown"),
            ("fees", "fees"),
        ] {
            let got: f64 = row[col(metric)].parse().unwrap();
            assert_eq!(got, j[key].as_f64().unwrap(), "hold={hold} lookback={lookback}: {metric}");
        }
        finals.push(row[col("final_equity")].to_string());
    }
    finals.sort();
    finals.dedup();
    assert!(finals.len() > 1, "the combinations trade differently: {finals:?}");

    // Two of the three symbols: a different basket, so different results.
    let narrowed = sweep("two_symbols", &["--symbols", "NVDA,ORCL"]);
    assert_ne!(narrowed, csv);

    let r = strata(&["sweep", s, "--grid", "hold=1,2", "--symbols", "AAA"]);
    assert!(!r.status.success() && stderr(&r).contains("--symbols picks symbols of a universe"), "{}", stderr(&r));
}

/// A walk-forward over a universe. On a universe of one symbol it is exactly the walk-forward of that symbol's file
/// (windows, winners, out-of-sample metrics, the stitched equity). Over three symbols: the same with one thread or
/// two; the equity covers exactly the test windows; and every test window is invested from its first days, so its
/// series and cross-sections were warmed on the training window (cold, a 60-bar momentum would leave a 3-month
/// window nearly all in cash).
#[test]
fn a_walk_forward_over_a_universe_trades_each_test_window_warm() {
    let dir = tempdir();
    let one = dir.path().join("one");
    std::fs::create_dir_all(&one).unwrap();
    let orcl = common::first_bars("orcl-1995-2014.1d.parquet", 1500);
    write_bars(&one.join("orcl.parquet"), &orcl);
    let walk = |strategy: &Path, data: &Path, out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let args = ["walkforward", strategy.to_str().unwrap(), "--data", data.to_str().unwrap()];
        let r =
            strata(&[&args[..], &["--train", "1Y", "--test", "3M", "--out", out.to_str().unwrap()], extra].concat());
        assert!(r.status.success(), "{}", stderr(&r));
        let csv = std::fs::read_to_string(out.join("walkforward.csv")).unwrap();
        let equity = std::fs::read(out.join("equity.parquet")).unwrap();
        (csv, equity, stdout(&r))
    };
    let sma = root().join("strategies/sma_cross.strat");
    let grid = ["--grid", "fast=5,10", "--grid", "slow=30,50"];
    let (csv_file, equity_file, _) = walk(&sma, &one.join("orcl.parquet"), "file", &grid);
    let (csv_universe, equity_universe, _) = walk(&sma, &one, "universe", &grid);
    assert!(csv_file.lines().count() > 10, "{csv_file}");
    assert_eq!(csv_universe, csv_file, "a universe of one symbol walks as its file does");
    assert_eq!(equity_universe, equity_file);

    let u = dir.path().join("u");
    std::fs::create_dir_all(&u).unwrap();
    for n in ["nvda-1999-2014.1d", "orcl-1995-2014.1d", "yhoo-1996-2015.1d"] {
        let all = common::first_bars(&format!("{n}.parquet"), 4000);
        let from: Vec<Bar> = all.into_iter().filter(|b| b.ts >= 946_857_600_000).take(1000).collect();
        write_bars(&u.join(format!("{n}.parquet")), &from);
    }
    let rotation = root().join("strategies/momentum_rotation.strat");
    let grid = ["--grid", "hold=1,2", "--set", "lookback=60"];
    let (csv, equity, text) = walk(&rotation, &u, "rotation1", &[&grid[..], &["--jobs", "1"]].concat());
    let (csv2, equity2, _) = walk(&rotation, &u, "rotation2", &[&grid[..], &["--jobs", "2"]].concat());
    assert_eq!((csv.as_str(), &equity), (csv2.as_str(), &equity2), "the thread count changes nothing");
    assert!(text.contains("out of sample: total return"), "{text}");
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| rows[0].iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name}: {:?}", rows[0]));
    assert!(rows.len() > 8, "{csv}");
    let eq = ParquetReader::new(std::io::Cursor::new(equity)).finish().unwrap();
    let ts = eq.column("ts").unwrap().cast(&DataType::Int64).unwrap();
    let ts: Vec<i64> = ts.i64().unwrap().into_no_null_iter().collect();
    let day = |s: &str| {
        let d = s.get(..10).unwrap();
        let (y, m, dd): (i64, u32, u32) = (d[..4].parse().unwrap(), d[5..7].parse().unwrap(), d[8..].parse().unwrap());
        strata_runtime::time::days_from_civil(y, m, dd) * DAY
    };
    assert_eq!(ts[0], day(rows[1][col("test_start")]), "the curve starts with the first test window");
    assert_eq!(*ts.last().unwrap(), day(rows[rows.len() - 1][col("test_end")]), "and ends with the last");
    for row in &rows[1..] {
        let exposure: f64 = row[col("oos_exposure")].parse().unwrap_or_else(|_| panic!("{row:?}"));
        assert!(exposure > 0.9, "window {}: exposure {exposure} (cold indicators?)", row[0]);
    }
}

/// `--warmup-data` over a universe: a universe of the same symbols' earlier bars warms every series, cross-section
/// and rule (orders dropped). A universe of one symbol warms exactly as that symbol's file does; a momentum rotation
/// is invested from its first traded days only when warmed; a warm-up missing a symbol, or a universe's warm-up for
/// one symbol's data, is refused.
#[test]
fn a_universe_warms_up_on_a_universe_of_its_symbols() {
    let dir = tempdir();
    let (warm, data) = (dir.path().join("warm"), dir.path().join("data"));
    let (warm1, data1) = (dir.path().join("warm1"), dir.path().join("data1"));
    for d in [&warm, &data, &warm1, &data1] {
        std::fs::create_dir_all(d).unwrap();
    }
    for n in ["nvda-1999-2014.1d", "orcl-1995-2014.1d", "yhoo-1996-2015.1d"] {
        let all = common::first_bars(&format!("{n}.parquet"), 4000);
        let bars: Vec<Bar> = all.into_iter().filter(|b| b.ts >= 946_857_600_000).take(700).collect();
        write_bars(&warm.join(format!("{n}.parquet")), &bars[..300]);
        write_bars(&data.join(format!("{n}.parquet")), &bars[300..]);
        if n.starts_with("orcl") {
            write_bars(&warm1.join("orcl.parquet"), &bars[..300]);
            write_bars(&data1.join("orcl.parquet"), &bars[300..]);
        }
    }
    let run = |strategy: &Path, data: &Path, extra: &[&str]| {
        let args = ["backtest", strategy.to_str().unwrap(), "--data", data.to_str().unwrap(), "--json"];
        let r = strata(&[&args[..], extra].concat());
        assert!(r.status.success(), "{}", stderr(&r));
        serde_json::from_str::<serde_json::Value>(&stdout(&r)).unwrap()
    };
    let sma = root().join("strategies/sma_cross.strat");
    let w1 = warm1.join("orcl.parquet");
    let file = run(&sma, &data1.join("orcl.parquet"), &["--warmup-data", w1.to_str().unwrap()]);
    let folder = run(&sma, &data1, &["--warmup-data", warm1.to_str().unwrap()]);
    assert!(file["closed_trades"].as_f64().unwrap() > 3.0, "{file}");
    for key in ["final_equity", "closed_trades", "fills", "max_drawdown", "bars", "first_bar"] {
        assert_eq!(folder[key], file[key], "{key}");
    }

    let rotation = root().join("strategies/momentum_rotation.strat");
    let cold = run(&rotation, &data, &[]);
    let warmed = run(&rotation, &data, &["--warmup-data", warm.to_str().unwrap()]);
    assert_eq!(warmed["bars"], cold["bars"], "the warm-up bars are not traded");
    let (c, w) = (cold["exposure"].as_f64().unwrap(), warmed["exposure"].as_f64().unwrap());
    assert!(w > 0.98 && c < 0.92, "exposure warmed {w}, cold {c}");

    let partial = dir.path().join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::copy(warm.join("orcl-1995-2014.1d.parquet"), partial.join("orcl.parquet")).unwrap();
    let s = rotation.to_str().unwrap();
    let r = strata(&["backtest", s, "--data", data.to_str().unwrap(), "--warmup-data", partial.to_str().unwrap()]);
    assert!(!r.status.success());
    assert!(stderr(&r).contains("--warmup-data") && stderr(&r).contains("'NVDA'"), "{}", stderr(&r));
    let r = strata(&["backtest", sma.to_str().unwrap(), "--warmup-data", warm.to_str().unwrap()]);
    assert!(!r.status.success() && stderr(&r).contains("--data must be one too"), "{}", stderr(&r));
}

/// A symbol with one bar — listed on the data's last day — cannot tell its own bar interval; a strategy reading a
/// longer timeframe takes the universe's for it instead of refusing the run.
#[test]
fn a_late_listed_symbol_takes_the_universes_interval() {
    let dir = tempdir();
    let closes: Vec<f64> = (0..40).map(|i| 10.0 + (i % 5) as f64).collect();
    let u = folder(dir.path(), &[("AAA", &closes)]);
    let last = bars(&closes)[39];
    write_bars(&u.join("BBB.1d.parquet"), &[last]);
    let s = run_json("when close > sma(close@1w, 2) and position == 0 { buy 1 }", &u, &[]);
    assert_eq!(symbol(&s, "BBB")["bars"], 1);
    assert!(symbol(&s, "AAA")["fills"].as_u64().unwrap() > 0, "{s}");
}

/// `--intrabar` over a universe: each symbol's ambiguous bar is decided by its own finer bars where the finer
/// universe has them. The case is `tests/cli_intrabar.rs`'s (the 00:45 five-minute bar of 2022-01-01 reaches both
/// the stop at 46600 and the target at 46730; its minutes hit the stop first), traded by two symbols with the same
/// bars, and only AAA's minutes given.
#[test]
fn finer_bars_decide_each_symbols_ambiguous_bars() {
    let (minutes, fives) = common::minutes_and_fives();
    let dir = tempdir();
    let (u, fine) = (dir.path().join("u"), dir.path().join("fine"));
    std::fs::create_dir_all(&u).unwrap();
    std::fs::create_dir_all(&fine).unwrap();
    write_bars(&u.join("aaa.parquet"), &fives);
    write_bars(&u.join("bbb.parquet"), &fives);
    write_bars(&fine.join("aaa.parquet"), &minutes);
    let strategy = "when time == 1640997600000 { buy 1 stoploss 46600 takeprofit 46730 }";
    let coarse = run_json(strategy, &u, &[]);
    assert_eq!((coarse["ambiguous_fills"].as_u64(), coarse["ambiguous_resolved"].as_u64()), (Some(2), Some(0)));
    let s = run_json(strategy, &u, &["--intrabar", fine.to_str().unwrap()]);
    assert_eq!((s["ambiguous_fills"].as_u64(), s["ambiguous_resolved"].as_u64()), (Some(1), Some(1)));
    assert_eq!(symbol(&s, "AAA")["pnl"], -69.0, "stopped out: 46600 - 46669");
    assert_eq!(symbol(&s, "BBB")["pnl"], 61.0, "no minutes: the target assumed, 46730 - 46669");

    let r = strata(&[
        "backtest",
        dir.path().join("s.strat").to_str().unwrap(),
        "--data",
        u.to_str().unwrap(),
        "--intrabar",
        u.to_str().unwrap(),
    ]);
    assert!(!r.status.success() && stderr(&r).contains("no finer than the data's 300 s"), "{}", stderr(&r));
}

/// Risk limits over a universe. On a universe of one symbol each limit acts exactly as on that symbol's file
/// (final equity, fills, what it refused); across symbols, open orders count every symbol's.
#[test]
fn risk_limits_hold_across_a_universe() {
    let dir = tempdir();
    let one = dir.path().join("one");
    std::fs::create_dir_all(&one).unwrap();
    let orcl = one.join("orcl.parquet");
    write_bars(&orcl, &common::first_bars("orcl-1995-2014.1d.parquet", 1500));
    let sma = root().join("strategies/sma_cross.strat");
    let json = |data: &Path, limit: &[&str]| {
        let args = ["backtest", sma.to_str().unwrap(), "--data", data.to_str().unwrap(), "--json"];
        let r = strata(&[&args[..], limit].concat());
        assert!(r.status.success(), "{}", stderr(&r));
        serde_json::from_str::<serde_json::Value>(&stdout(&r)).unwrap()
    };
    for limit in [
        &["--max-order-qty", "20000"][..],
        &["--max-order-notional", "150000"],
        &["--max-position", "15000"],
        &["--daily-loss-limit", "2000"],
    ] {
        let (file, universe) = (json(&orcl, limit), json(&one, limit));
        for key in ["final_equity", "fills", "closed_trades", "risk_denied", "orders_rejected"] {
            assert_eq!(universe[key], file[key], "{limit:?}: {key}");
        }
        if limit[0] != "--daily-loss-limit" {
            assert!(file["risk_denied"].as_object().unwrap().values().any(|n| n.as_u64() > Some(0)), "{limit:?}");
        }
    }

    // Two symbols each place a limit order far below the market on the second day: with at most one order open,
    // the second symbol's is refused.
    let u = folder(dir.path(), &[("AAA", &[10.0, 10.0, 10.0]), ("BBB", &[20.0, 20.0, 20.0])]);
    let strategy = format!("when time == {} {{ buy 1 limit 1 }}", T0 + DAY);
    let free = run_json(&strategy, &u, &[]);
    assert_eq!(free["orders_unfilled_at_end"], 2);
    let held = run_json(&strategy, &u, &["--max-open-orders", "1"]);
    assert_eq!(held["orders_unfilled_at_end"], 1);
    assert_eq!(held["risk_denied"], serde_json::json!({ "max_open_orders": 1 }));
}
