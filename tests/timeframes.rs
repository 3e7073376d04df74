//! Longer timeframes (`close@1h`, `sma(close@1d, 20)`): no lookahead, and the values a brute-force reading of the
//! bars gives.
//!
//! The reference here shares no code with the engine: at each of the data's bars it looks at the bars seen so far,
//! groups them by period, decides which periods have closed — the data reached the period's end, or moved past it —
//! drops a first period the data began inside, and reads the latest closed one. Bars come from a seeded generator
//! with gaps (missing bars, weekends), so late completions, periods completed by a gap and several periods
//! completing on one bar are all exercised.

mod common;

use common::{root, stderr, stdout, strata, tempdir};
use polars::prelude::ParquetReader;
use polars::prelude::SerReader;
use proptest::prelude::*;
use strata::dsl::{NamedExpr, compile_expressions};
use strata_runtime::bar::{AccountView, Bar};
use strata_runtime::engine::Engine;
use strata_runtime::time::{DAY_MS, days_from_civil, period_start};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

/// Bars `interval` apart from `start`, a seeded walk, with each bar kept or skipped (a gap) by `keep`.
fn bars(start: i64, interval: i64, moves: &[(f64, bool)]) -> Vec<Bar> {
    let mut close = 100.0;
    let mut out = Vec::new();
    for (i, &(m, keep)) in moves.iter().enumerate() {
        let open = close;
        close = (close + m).max(1.0);
        if keep {
            let (hi, lo) = (open.max(close) + m.abs() * 0.5, open.min(close) - m.abs() * 0.25);
            let ts = start + i as i64 * interval;
            out.push(Bar { ts, open, high: hi, low: lo.max(0.5), close, volume: 1.0 + (i % 7) as f64 });
        }
    }
    out
}

/// The engine's value of each expression after every bar.
fn run(exprs: &[&str], data: &[Bar], interval: i64) -> Vec<Vec<f64>> {
    let named: Vec<NamedExpr> = exprs
        .iter()
        .enumerate()
        .map(|(i, t)| NamedExpr { name: format!("e{i}"), label: format!("e{i}"), text: t.to_string() })
        .collect();
    let plan = compile_expressions(&named).unwrap_or_else(|e| panic!("{exprs:?} do not compile: {e:?}"));
    let mut engine = Engine::new(&plan, &plan.default_params()).expect("binds");
    engine.set_bar_interval(interval).expect("the timeframes fit the data");
    let (mut out, mut rejected) = (Vec::new(), Vec::new());
    data.iter()
        .map(|bar| {
            engine.on_bar(bar, &AccountView::default(), &mut out, &mut rejected).expect("steps");
            plan.outputs.iter().map(|o| engine.value(o.node)).collect()
        })
        .collect()
}

/// The bars of `period` that have closed once the data has reached bar `i`, oldest first, built by brute force.
fn closed_periods(data: &[Bar], i: usize, interval: i64, period: i64) -> Vec<Bar> {
    let seen = &data[..=i];
    let now = seen[i].ts + interval;
    let first = period_start(seen[0].ts, period);
    let mut starts: Vec<i64> = seen.iter().map(|b| period_start(b.ts, period)).collect();
    starts.dedup();
    starts
        .into_iter()
        // A first period the data began inside is a fragment.
        .filter(|&s| !(s == first && seen[0].ts != first))
        // Closed: the data reached its end, or has a bar after it.
        .filter(|&s| s + period <= now || period_start(seen[i].ts, period) > s)
        .map(|s| {
            let rows: Vec<&Bar> = seen.iter().filter(|b| period_start(b.ts, period) == s).collect();
            Bar {
                ts: s,
                open: rows[0].open,
                high: rows.iter().map(|b| b.high).fold(f64::MIN, f64::max),
                low: rows.iter().map(|b| b.low).fold(f64::MAX, f64::min),
                close: rows[rows.len() - 1].close,
                volume: rows.iter().map(|b| b.volume).sum(),
            }
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

fn moves() -> impl Strategy<Value = Vec<(f64, bool)>> {
    // About one bar in six missing, now and then a long gap.
    prop::collection::vec((-3.0f64..3.0, prop::bool::weighted(0.83)), 150..420)
}

proptest! {
    #![proptest_config(common::proptest_config(24))]

    /// Each bar's timeframe values equal the brute-force reading of the bars up to it — which sees nothing later —
    /// for bar fields, history, an indicator, two timeframes mixed, and an indicator over both.
    #[test]
    fn timeframe_values_are_those_of_the_last_closed_period(
        mv in moves(),
        offset in 0i64..90,
    ) {
        // 5-minute bars starting anywhere in an hour (so the first hour is often a fragment).
        let interval = 5 * MIN;
        let data = bars(days_from_civil(2024, 3, 1) * DAY_MS + offset * MIN / 5 * 5, interval, &mv);
        prop_assume!(data.len() > 2);
        let exprs = [
            "close@1h", "open@1h", "high@1h", "low@1h", "volume@1h", "time@1h", "close@1h[1]",
            "sma(close@1h, 3)", "close@4h - close@1h", "sma(close@1h - close@4h, 2)", "sma(close, 3)@1h",
        ];
        let got = run(&exprs, &data, interval);
        for i in 0..data.len() {
            let h = closed_periods(&data, i, interval, HOUR);
            let h4 = closed_periods(&data, i, interval, 4 * HOUR);
            let last = |v: &[Bar], back: usize| v.len().checked_sub(back + 1).map(|k| v[k]);
            let field = |b: Option<Bar>, f: fn(&Bar) -> f64| b.map_or(f64::NAN, |b| f(&b));
            let sma_h = |k: usize| if h.len() >= k {
                h[h.len() - k..].iter().map(|b| b.close).sum::<f64>() / k as f64
            } else { f64::NAN };
            // sma(close@1h - close@4h, 2): on the hourly clock, each hour reads the 4h bar closed at its own end.
            let diff_at = |hb: &Bar| {
                let end = hb.ts + HOUR;
                h4.iter().rev().find(|b| b.ts + 4 * HOUR <= end).map_or(f64::NAN, |b| hb.close - b.close)
            };
            let sma_diff = if h.len() >= 2 { (diff_at(&h[h.len() - 1]) + diff_at(&h[h.len() - 2])) / 2.0 } else { f64::NAN };
            let want = [
                field(last(&h, 0), |b| b.close),
                field(last(&h, 0), |b| b.open),
                field(last(&h, 0), |b| b.high),
                field(last(&h, 0), |b| b.low),
                field(last(&h, 0), |b| b.volume),
                field(last(&h, 0), |b| b.ts as f64),
                field(last(&h, 1), |b| b.close),
                sma_h(3),
                field(last(&h4, 0), |b| b.close) - field(last(&h, 0), |b| b.close),
                sma_diff,
                sma_h(3),
            ];
            for (k, (&g, &w)) in got[i].iter().zip(&want).enumerate() {
                prop_assert!(same(g, w), "bar {i} ({}): {} = {g}, the bars say {w}", data[i].ts, exprs[k]);
            }
        }
    }

    /// No lookahead: running on the bars up to any point gives, on every bar so far, exactly what running on all
    /// of them does.
    #[test]
    fn a_prefix_of_the_data_gives_the_same_values(mv in moves(), cut in 0.1f64..0.9) {
        let interval = 15 * MIN;
        let data = bars(days_from_civil(2024, 1, 3) * DAY_MS, interval, &mv);
        let exprs = ["ema(close@1d, 3)", "rsi(close@4h, 5)", "atr(3)@1h", "close@1w", "close > close@1h[2]"];
        let all = run(&exprs, &data, interval);
        let k = ((data.len() as f64 * cut) as usize).max(1);
        let part = run(&exprs, &data[..k], interval);
        for (i, (p, a)) in part.iter().zip(&all).enumerate() {
            for (j, (x, y)) in p.iter().zip(a).enumerate() {
                prop_assert!(x.to_bits() == y.to_bits(), "bar {i}: {} is {x} on a prefix, {y} on all", exprs[j]);
            }
        }
    }
}

/// Daily bars of a real equity, weekends and holidays missing: a week is Monday to Sunday, and its bar completes on
/// the first bar of the next week (the data has no bar at the week's end), so `close@1w` is the last close of
/// the previous week.
#[test]
fn weeks_of_daily_bars_start_on_monday_and_close_with_the_next_weeks_first_bar() {
    let data = common::first_bars("orcl-1995-2014.1d.parquet", 400);
    let got = run(&["close@1w", "time@1w"], &data, DAY_MS);
    let week = |ts: i64| period_start(ts, 7 * DAY_MS);
    let mut checked = 0;
    for i in 1..data.len() {
        if week(data[i].ts) != week(data[i - 1].ts) && week(data[i - 1].ts) != week(data[0].ts) {
            // The previous bar was the last of its week: its close is the week's.
            assert_eq!(got[i][0], data[i - 1].close, "bar {i}");
            assert_eq!(got[i][1], week(data[i - 1].ts) as f64);
            let (y, m, d) = strata_runtime::time::civil_from_days(got[i][1] as i64 / DAY_MS);
            let weekday = (days_from_civil(y, m, d) + 3).rem_euclid(7); // 0 = Monday
            assert_eq!(weekday, 0, "weeks start on Monday, not {y}-{m}-{d}");
            checked += 1;
        } else if i > 1 {
            assert_eq!(got[i][0].to_bits(), got[i - 1][0].to_bits(), "bar {i}: no week closed, yet close@1w moved");
        }
    }
    assert!(checked > 70, "only {checked} weeks");
}

/// `sma(close@1d, 5)` over real minute bars is, from the minute each day ends, the mean of the last five daily
/// closes of `strata data resample --to 1d`, and holds until the next day ends.
#[test]
fn a_daily_sma_of_minute_bars_is_the_sma_of_the_resampled_days() {
    let dir = tempdir();
    let data = root().join("data/btcperp-2022-01.1m.parquet");
    let days = dir.path().join("days.parquet");
    let minutes = dir.path().join("minutes.parquet");
    let r = strata(&["data", "resample", data.to_str().unwrap(), "--to", "1d", "-o", days.to_str().unwrap()]);
    assert!(r.status.success(), "{}", stderr(&r));
    let r = strata(&["ta", data.to_str().unwrap(), "--out", minutes.to_str().unwrap(), "s=sma(close@1d, 5)"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let df = ParquetReader::new(std::fs::File::open(&minutes).unwrap()).finish().unwrap();
    let ts: Vec<i64> = df.column("ts").unwrap().i64().unwrap().into_no_null_iter().collect();
    let col = df.column("s").unwrap().f64().unwrap();
    let s: Vec<f64> = (0..col.len()).map(|i| col.get(i).unwrap_or(f64::NAN)).collect();
    let minute_bars = common::first_bars("btcperp-2022-01.1m.parquet", usize::MAX);
    assert_eq!(ts, minute_bars.iter().map(|b| b.ts).collect::<Vec<_>>());
    let mut source = strata_runtime::data::parquet::ParquetBars::open(&days, Default::default()).unwrap();
    let mut daily = Vec::new();
    while let Some(batch) = strata_runtime::data::BarSource::next_batch(&mut source).unwrap() {
        daily.extend_from_slice(batch);
    }
    // The data begins at 23:01 on 31 December: both drop that fragment of a day.
    assert_eq!(daily[0].ts, period_start(ts[0], DAY_MS) + DAY_MS);
    let days = &daily[..];
    let mut checked = 0;
    for k in 4..days.len() {
        let want = days[k - 4..=k].iter().map(|b| b.close).sum::<f64>() / 5.0;
        let end = days[k].ts + DAY_MS;
        let Some(i) = ts.iter().position(|&t| t + MIN == end) else { continue };
        let next_end = days.get(k + 1).map_or(i64::MAX, |d| d.ts + DAY_MS);
        for j in i..ts.len() {
            if ts[j] + MIN >= next_end {
                break;
            }
            assert!(same(s[j], want), "{}: {} but the resampled days say {want}", ts[j], s[j]);
        }
        checked += 1;
    }
    assert!(s[..ts.iter().position(|&t| t + MIN == days[4].ts + DAY_MS).unwrap()].iter().all(|v| v.is_nan()));
    assert!(checked >= 25, "{checked} days");
}

/// A timeframe the data's bars cannot build is refused before any bar is read, naming where the strategy asks for
/// it; so is a var or an account value on a timeframe, at compile time (tests/data/check/timeframes.strat).
#[test]
fn timeframes_the_data_cannot_build_are_refused_with_the_place_that_asks() {
    let dir = tempdir();
    let strat = dir.path().join("tf.strat");
    let minutes = root().join("data/btcperp-2022-01.1m.parquet");
    let fives = root().join("data/ethbtc-2018-01.5m.parquet");
    for (tf, data, msg) in [
        ("1m", &minutes, "@1m is not longer than the data's 1m bars"),
        ("30s", &minutes, "@30s is not longer than the data's 1m bars"),
        ("90s", &minutes, "@90s is not a whole number of the data's 1m bars"),
        ("7m", &fives, "@7m is not a whole number of the data's 5m bars"),
    ] {
        std::fs::write(&strat, format!("let t = sma(close, 3)\nwhen close > t and close@{tf} > t {{ buy 1 }}\n"))
            .unwrap();
        let r = strata(&["backtest", strat.to_str().unwrap(), "--data", data.to_str().unwrap()]);
        assert!(!r.status.success(), "@{tf} ran");
        let err = stderr(&r);
        let want = format!("{}:2:20: {msg}", strat.display());
        assert!(err.contains(&want), "@{tf}: {err}\nwanted: {want}");
    }
    // A week of minute bars is fine, and so is a 15-minute timeframe of 5-minute bars.
    std::fs::write(&strat, "when close@1w > 0 and close@15m > 0 { buy 1 }\n").unwrap();
    let r = strata(&["backtest", strat.to_str().unwrap(), "--data", fives.to_str().unwrap()]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stdout(&r).contains("fills"), "{}", stdout(&r));
}

/// A sweep's combinations and a walk-forward's test windows build their timeframes as a backtest does: each sweep row
/// is the backtest of its combination, and every walk-forward window trades.
#[test]
fn sweeps_and_walk_forwards_of_a_timeframe_strategy_are_its_backtests() {
    let dir = tempdir();
    let out = dir.path().join("s");
    let strat = root().join("strategies/htf_trend.strat");
    let strat = strat.to_str().unwrap();
    let r = strata(&["sweep", strat, "--grid", "trend_len=4,12", "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", stderr(&r));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| rows[0].iter().position(|h| *h == name).unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows[1..] {
        let len = row[col("trend_len")];
        let b = strata(&["backtest", strat, "--set", &format!("trend_len={len}"), "--json"]);
        assert!(b.status.success(), "{}", stderr(&b));
        let s: serde_json::Value = serde_json::from_str(&stdout(&b)).unwrap();
        assert!(s["closed_trades"].as_f64().unwrap() > 10.0);
        for (metric, key) in [("sharpe", "sharpe"), ("trades", "closed_trades"), ("final_equity", "final_equity")] {
            let got: f64 = row[col(metric)].parse().unwrap();
            assert_eq!(got, s[key].as_f64().unwrap(), "trend_len={len}: {metric}");
        }
    }
    let walk = dir.path().join("w");
    let args = ["walkforward", strat, "--grid", "trend_len=4,12", "--train", "10d", "--test", "5d"];
    let r = strata(&[&args[..], &["--out", walk.to_str().unwrap()]].concat());
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stdout(&r).contains("out of sample: total return"), "{}", stdout(&r));
}
