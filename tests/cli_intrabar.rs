//! `strata backtest --intrabar FILE`: a bar that reaches both a position's stop and its target is decided by finer
//! data — minute bars or trades — instead of by the assumption of which extreme came first.
//!
//! The case, worked out by hand on the bundled minute bars of 2022-01-01, aggregated into 5-minute bars:
//! the 00:45 bar opens at 46669, reaches 46735 and 46586, closes at 46725. A long entered at its open with a stop at
//! 46600 and a target at 46730 has both inside the bar. The high is nearer the open (66 against 83), so on the
//! 5-minute bars alone the target is assumed to come first. The minutes say otherwise: 00:45 falls to 46624, 00:46
//! goes from 46624 to 46637 and then down to 46586 — through the stop — and the high comes only at 00:49.

mod common;

use common::*;

const STRATEGY: &str = "when time == 1640997600000 { buy 1 stoploss 46600 takeprofit 46730 }\n";

fn summary(args: &[&str]) -> serde_json::Value {
    let o = strata(args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("json")
}

#[test]
fn finer_minutes_or_trades_decide_the_ambiguous_bar() {
    let dir = tempdir();
    let (minutes, fives) = minutes_and_fives();
    let five = file(dir.path(), "five.parquet");
    let one = file(dir.path(), "one.parquet");
    write_bars(&five, &fives);
    write_bars(&one, &minutes);
    // The minutes as trades: each minute's open, extremes (the nearer first) and close, 15 s apart.
    let mut rows: Vec<(i64, f64, f64)> = Vec::new();
    for b in &minutes {
        let (a, c) = if b.high - b.open < b.open - b.low { (b.high, b.low) } else { (b.low, b.high) };
        for (k, p) in [b.open, a, c, b.close].into_iter().enumerate() {
            rows.push((b.ts + k as i64 * 15_000, p, 0.5));
        }
    }
    let trades = file(dir.path(), "trades.parquet");
    write_trades(&trades, "timestamp", &rows);
    let strat = file(dir.path(), "bracket.strat");
    std::fs::write(&strat, STRATEGY).expect("write");
    let (s, f) = (strat.to_str().expect("utf8"), five.to_str().expect("utf8"));

    let coarse = summary(&["backtest", s, "--data", f, "--json"]);
    assert_eq!(coarse["ambiguous_fills"], 1);
    assert_eq!(coarse["final_equity"], 100_061.0, "the target assumed: 46730 - 46669");
    assert_eq!(coarse["equity_band"], serde_json::json!([99_931.0, 100_061.0]));

    for finer in [&one, &trades] {
        let r = summary(&["backtest", s, "--data", f, "--json", "--intrabar", finer.to_str().expect("utf8")]);
        assert_eq!(r["ambiguous_fills"], 0, "{}", finer.display());
        assert_eq!(r["ambiguous_resolved"], 1);
        assert_eq!(r["final_equity"], 99_931.0, "stopped out: 46600 - 46669");
        assert_eq!(r["equity_band"], serde_json::json!([99_931.0, 99_931.0]));
    }
}

#[test]
fn bad_intrabar_files_are_refused_with_their_reason() {
    let dir = tempdir();
    let (minutes, fives) = minutes_and_fives();
    let five = file(dir.path(), "five.parquet");
    write_bars(&five, &fives);
    let strat = file(dir.path(), "bracket.strat");
    std::fs::write(&strat, STRATEGY).expect("write");
    let trades = |name: &str, rows: &[(i64, f64, f64)]| {
        let path = file(dir.path(), name);
        write_trades(&path, "ts", rows);
        path
    };
    let t0 = minutes[0].ts;
    let unsorted = trades("unsorted.parquet", &[(t0, 1.0, 1.0), (t0 + 2000, 2.0, 1.0), (t0 + 1000, 3.0, 1.0)]);
    let negative = trades("negative.parquet", &[(t0, 1.0, 1.0), (t0 + 1000, 2.0, -3.0)]);
    let run = |intrabar: &std::path::Path| {
        let o = strata(&[
            "backtest",
            strat.to_str().expect("utf8"),
            "--data",
            five.to_str().expect("utf8"),
            "--intrabar",
            intrabar.to_str().expect("utf8"),
        ]);
        assert!(!o.status.success());
        stderr(&o)
    };
    let e = run(&unsorted);
    assert!(e.contains("unsorted.parquet: row 3: timestamp") && e.contains("must be sorted by time"), "{e}");
    let e = run(&negative);
    assert!(e.contains("negative.parquet: row 2: quantity -3 is negative"), "{e}");
    // Bars no finer than the data's own.
    let e = run(&five);
    assert!(e.contains("five.parquet's bars are 300 s apart, no finer than"), "{e}");
    let e = run(&file(dir.path(), "missing.parquet"));
    assert!(e.contains("missing.parquet: no such file"), "{e}");
}
