//! Rhai strategies against their `.strat` twins, and the sandbox seen from a program that embeds Strata.
//!
//! - Every reference strategy written in Rhai gives fill-for-fill the same backtest as its `.strat` version on every
//!   bundled dataset, with and without fees and slippage, and with overridden params.
//! - A runaway script is stopped with an error that names the script, the bar and the limit; the process goes on
//!   and the next run is unaffected.
//! - Values that change per bar (account, params, bar fields) are read fresh on every call.
//! - The same script and data give byte-identical output.

mod common;

use std::path::Path;

use strata::script::Limits;
use strata::strategy::{self, Loaded};
use strata_runtime::backtest::{self, RunError};
use strata_runtime::bar::Bar;
use strata_runtime::bind::resolve_params;
use strata_runtime::broker::FillModel;
use strata_runtime::data::parquet::ParquetBars;
use strata_runtime::data::{BarSource, ReadOptions, VecSource};
use strata_runtime::order::Side;
use strata_runtime::session::SessionConfig;
use strata_runtime::{Report, time::format_ts};

use common::{Tape, root};

fn run_loaded(
    loaded: &Loaded,
    source: &mut dyn BarSource,
    fill: FillModel,
    set: &[(String, String)],
) -> Result<(Report, Tape), RunError> {
    run_tier(loaded, source, fill, set, false)
}

/// A run with `on_bar` in the compiled tier when it lowers, or in Rhai's interpreter when `interpret` is set.
fn run_tier(
    loaded: &Loaded,
    source: &mut dyn BarSource,
    fill: FillModel,
    set: &[(String, String)],
    interpret: bool,
) -> Result<(Report, Tape), RunError> {
    let params = resolve_params(&loaded.plan, set)?;
    let engine = loaded.engine_with(&params, interpret)?;
    let config = SessionConfig { cash: 100_000.0, fill, ..SessionConfig::default() };
    let mut tape = Tape::default();
    let report = backtest::run_engine(&loaded.plan, &params, engine, config, source, &mut tape, "test")?;
    Ok((report, tape))
}

fn run_file(path: &Path, data: &Path, fill: FillModel, set: &[(String, String)]) -> (Report, Tape) {
    run_file_tier(path, data, fill, set, false)
}

fn run_file_tier(
    path: &Path,
    data: &Path,
    fill: FillModel,
    set: &[(String, String)],
    interpret: bool,
) -> (Report, Tape) {
    let loaded = strategy::load(path).unwrap_or_else(|e| panic!("{e}"));
    let mut source = ParquetBars::open(data, ReadOptions::default()).unwrap();
    run_tier(&loaded, &mut source, fill, set, interpret).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn datasets() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    v.sort();
    v
}

/// Compares two runs fill for fill and bar for bar; returns what differs.
fn differences(what: &str, (a, ta): &(Report, Tape), (b, tb): &(Report, Tape)) -> Option<String> {
    if ta.fills != tb.fills {
        let first =
            ta.fills.iter().zip(&tb.fills).position(|(x, y)| x != y).unwrap_or(ta.fills.len().min(tb.fills.len()));
        return Some(format!(
            "{what}: fills differ ({} vs {}); first difference at fill {first}: {:?} vs {:?}",
            ta.fills.len(),
            tb.fills.len(),
            ta.fills.get(first),
            tb.fills.get(first)
        ));
    }
    if ta.equity != tb.equity {
        return Some(format!("{what}: equity curves differ"));
    }
    // The summaries agree in everything but the warm-up they report: a `.strat` cross rule starts a bar after its
    // averages (it reads their previous values), the script's on_bar as soon as they are defined.
    let mut sa = serde_json::to_value(&a.summary).unwrap();
    let mut sb = serde_json::to_value(&b.summary).unwrap();
    sa["warmup_bars"] = 0.into();
    sb["warmup_bars"] = 0.into();
    (sa != sb).then(|| format!("{what}: summaries differ:\n{sa:#}\n{sb:#}"))
}

#[test]
fn rhai_twins_trade_fill_for_fill_like_the_strat_versions() {
    let fills = [
        ("no costs", FillModel { fee_bps: 0.0, slippage_bps: 0.0, ..FillModel::default() }),
        ("fees 10 bps, slippage 5 bps", FillModel { fee_bps: 10.0, slippage_bps: 5.0, ..FillModel::default() }),
    ];
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut traded = 0;
    for data in datasets() {
        for name in ["sma_cross", "rsi_revert", "bb_break", "breakout_bracket", "htf_trend"] {
            // Hourly bars cannot be built from daily ones (refused, tests/timeframes.rs).
            if name == "htf_trend" && data.to_string_lossy().contains(".1d.") {
                continue;
            }
            for (costs, fill) in fills {
                let strat = run_file(&root().join(format!("strategies/{name}.strat")), &data, fill, &[]);
                let rhai_path = root().join(format!("strategies/{name}.rhai"));
                let rhai = run_file(&rhai_path, &data, fill, &[]);
                let what = format!("{name} on {}, {costs}", data.file_name().unwrap().to_string_lossy());
                failures.extend(differences(&what, &strat, &rhai));
                // The same script in Rhai's interpreter (the reference strategies run compiled by default).
                let interpreted = run_file_tier(&rhai_path, &data, fill, &[], true);
                failures.extend(differences(&format!("{what}, interpreted"), &strat, &interpreted));
                compared += 1;
                traded += usize::from(!strat.1.fills.is_empty());
            }
        }
    }
    let intraday = datasets().iter().filter(|d| !d.to_string_lossy().contains(".1d.")).count();
    assert_eq!(intraday, 5);
    assert_eq!(
        compared,
        (8 * 4 + intraday) * 2,
        "every bundled dataset, four strategies (and the timeframe one on intraday data), two cost settings"
    );
    assert!(traded >= compared - 2, "the comparisons must involve trades: only {traded} of {compared} traded");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn params_set_on_the_command_line_reach_the_script() {
    let data = root().join("data/nvda-1999-2014.1d.parquet");
    let fill = FillModel { fee_bps: 5.0, slippage_bps: 0.0, ..FillModel::default() };
    let set = vec![("fast".to_string(), "5".to_string()), ("slow".to_string(), "50".to_string())];
    let strat = run_file(&root().join("strategies/sma_cross.strat"), &data, fill, &set);
    let rhai = run_file(&root().join("strategies/sma_cross.rhai"), &data, fill, &set);
    assert!(differences("sma_cross fast=5 slow=50", &strat, &rhai).is_none());
    let default = run_file(&root().join("strategies/sma_cross.rhai"), &data, fill, &[]);
    assert_ne!(default.1.fills, rhai.1.fills, "other params must give other trades");

    // A param read in on_bar (not only in a series) follows --set too.
    let set = vec![("oversold".to_string(), "40".to_string()), ("overbought".to_string(), "60".to_string())];
    let strat = run_file(&root().join("strategies/rsi_revert.strat"), &data, fill, &set);
    let rhai = run_file(&root().join("strategies/rsi_revert.rhai"), &data, fill, &set);
    assert!(differences("rsi_revert oversold=40 overbought=60", &strat, &rhai).is_none());
}

fn bars(n: usize) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let p = 100.0 + (i as f64 * 0.7).sin() * 5.0;
            Bar {
                ts: 1_700_000_000_000 + i as i64 * 60_000,
                open: p,
                high: p + 1.0,
                low: p - 1.0,
                close: p,
                volume: 1.0,
            }
        })
        .collect()
}

fn compile(name: &str, text: &str, limits: &Limits) -> Loaded {
    strategy::compile_rhai(name, text, limits).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_runaway_script_is_stopped_and_the_process_goes_on() {
    let limits = Limits { operations: 50_000, ..Limits::default() };
    let cases = [
        ("loop.rhai", "fn on_bar(bar) { if bar.index == 3 { loop { } } }", "operations", 3),
        ("recurse.rhai", "fn f(n) { f(n + 1) }\nfn on_bar(bar) { if bar.index == 4 { f(0); } }", "call_depth", 4),
        ("grow.rhai", "fn on_bar(bar) { let s = \"ab\"; loop { s += s; } }", "string_size", 0),
        ("hoard.rhai", "state(#{ a: [] });\nfn on_bar(bar) { for i in 0..400 { this.a.push(i); } }", "array_size", 250),
        // Maps count every entry they hold, nested ones included: `m` itself is the 10,000th on bar 9,999.
        ("keys.rhai", "state(#{ m: #{} });\nfn on_bar(bar) { this.m[bar.index.to_string()] = 1; }", "map_size", 9_999),
    ];
    let data = bars(12_000);
    for (name, text, limit, bar) in cases {
        let loaded = compile(name, text, &limits);
        let err = match run_loaded(&loaded, &mut VecSource::new(data.clone()), FillModel::default(), &[]) {
            Err(RunError::Strategy(e)) => e.message,
            other => panic!("{name}: expected the script to be stopped, got {other:?}"),
        };
        let first = err.lines().next().unwrap();
        assert!(first.starts_with(&format!("{name}:")), "{name}: names the script: {first}");
        assert!(first.contains(&format_ts(data[bar].ts)), "{name}: names the bar {}: {first}", format_ts(data[bar].ts));
        assert!(first.contains(&format!("sandbox limit {limit}")), "{name}: names the limit: {first}");
    }
    // The process is healthy: a good script runs, and gives what it always gives.
    let data = root().join("data/btc-2017-11.1m.parquet");
    let a = run_file(&root().join("strategies/sma_cross.rhai"), &data, FillModel::default(), &[]);
    let b = run_file(&root().join("strategies/sma_cross.strat"), &data, FillModel::default(), &[]);
    assert!(differences("after the runaways", &a, &b).is_none());
}

#[test]
fn limits_are_configurable() {
    let text = "fn on_bar(bar) { let x = 0.0; for i in 0..20000 { x += bar.close; } }";
    let tight = compile("ops.rhai", text, &Limits { operations: 10_000, ..Limits::default() });
    assert!(matches!(
        run_loaded(&tight, &mut VecSource::new(bars(3)), FillModel::default(), &[]),
        Err(RunError::Strategy(_))
    ));
    let roomy = compile("ops.rhai", text, &Limits { operations: 1_000_000, ..Limits::default() });
    assert!(run_loaded(&roomy, &mut VecSource::new(bars(3)), FillModel::default(), &[]).is_ok());

    let mut limits = Limits::default();
    limits.set("call_depth", "12").unwrap();
    assert_eq!(limits.call_depth, 12);
    assert!(limits.set("operations", "0").unwrap_err().contains("positive whole number"));
    assert!(limits.set("operation", "5").unwrap_err().contains("did you mean 'operations'"));
}

#[test]
fn float_comparisons_are_exact() {
    // Closes one ulp apart: a script sees them as different, as a `.strat` rule does.
    let mut data = bars(4);
    data[2].close = 1.107155;
    data[3].close = f64::from_bits(1.107155f64.to_bits() + 1);
    let text = "state(#{ prev: 0.0 });\n\
                fn on_bar(bar) {\n\
                    if bar.index == 3 && bar.close > this.prev && !(bar.close == this.prev) && bar.close != this.prev\n\
                        && this.prev < bar.close && this.prev <= bar.close && !(this.prev >= bar.close) { buy(1); }\n\
                    this.prev = bar.close;\n\
                }";
    let loaded = compile("exact.rhai", text, &Limits::default());
    assert!(loaded.script.as_ref().unwrap().is_compiled());
    for interpret in [false, true] {
        let (report, _) =
            run_tier(&loaded, &mut VecSource::new(data.clone()), FillModel::default(), &[], interpret).unwrap();
        assert_eq!(
            report.summary.orders_unfilled_at_end, 1,
            "the order placed on the last bar (interpreted: {interpret})"
        );
    }
}

#[test]
fn per_bar_values_are_read_fresh_on_every_call() {
    // Buy one unit when flat, exit when long: only a position() read anew on each bar alternates.
    let text = "param(\"size\", 1);\n\
                state(#{ seen: [] });\n\
                fn on_bar(bar) {\n\
                    this.seen.push(bar.index);\n\
                    if position() == 0.0 { buy(param(\"size\")); } else { exit(); }\n\
                }";
    let loaded = compile("flip.rhai", text, &Limits::default());
    let (report, tape) = run_loaded(&loaded, &mut VecSource::new(bars(10)), FillModel::default(), &[]).unwrap();
    let sides: Vec<Side> = tape.fills.iter().map(|f| f.side).collect();
    assert_eq!(sides.len(), 9, "an order on every bar but the last fills");
    assert!(sides.chunks(2).all(|c| c[0] == Side::Buy && c.get(1).is_none_or(|s| *s == Side::Sell)), "{sides:?}");
    assert_eq!(report.summary.trades, 5);
    // The param is read as set for the run.
    let set = vec![("size".to_string(), "3".to_string())];
    let (_, tape) = run_loaded(&loaded, &mut VecSource::new(bars(10)), FillModel::default(), &set).unwrap();
    assert!(tape.fills.iter().all(|f| f.qty == 3.0));
}

#[test]
fn the_same_script_and_data_give_byte_identical_output() {
    let dir = common::tempdir();
    let run = |out: &str| {
        let out = dir.path().join(out);
        let o = common::strata(&[
            "backtest",
            "strategies/sma_cross.rhai",
            "--data",
            "bundled:ethbtc-2018-01.5m",
            "--fees-bps",
            "10",
            "--json",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", common::stderr(&o));
        let read = |f: &str| std::fs::read(out.join(f)).unwrap();
        (o.stdout, read("fills.parquet"), read("equity.parquet"))
    };
    assert_eq!(run("a"), run("b"));
}
