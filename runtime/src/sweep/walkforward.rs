//! Walk-forward analysis: optimise on a training window, trade the winner on the test window that follows, step
//! forward by the test window, and stitch the out-of-sample equity into one curve.
//!
//! Design choice: windows are calendar spans of the data's own timestamps (`6M` is six calendar months), each
//! test window's session is warmed on the bars before it — so its indicators start defined, exactly as a live
//! run's would after a restart — and each test window starts with the equity the previous one ended with (an open
//! position is marked at its window's last close, as at the end of any backtest), so the stitched curve is one
//! account traded only with parameters chosen on data it had not seen.

use thiserror::Error;

use super::grid::Combo;
use super::run::{self, ComboError, MakeEngine, Row};
use super::shared::Shared;
use crate::backtest::RunError;
use crate::bar::Bar;
use crate::basket::Basket;
use crate::data::universe::Universe;
use crate::metrics::{EquityStats, RunFacts, Summary, summarize};
use crate::plan::Plan;
use crate::portfolio::Trade;
use crate::session::{Report, Session, SessionConfig};
use crate::time::{DAY_MS, month_start, year_month};

#[derive(Debug, Error)]
pub enum WalkError {
    #[error(
        "{flag} {given}: expected a count and a unit — H (hours), D (days), W (weeks), M (months) or Y (years), e.g. 6M"
    )]
    Span { flag: &'static str, given: String },
    #[error("the training window ({train}) and the test window ({test}) do not fit in the data ({first} .. {last})")]
    TooShort { train: String, test: String, first: String, last: String },
    #[error(transparent)]
    Combo(#[from] ComboError),
    // (Not a `source`: the message already says it, and a chain would say it twice.)
    #[error("window {window}, testing {params}: {error}")]
    Test { window: usize, params: String, error: RunError },
}

/// A length of time: whole calendar months, or a fixed number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Months(u32),
    Millis(i64),
}

impl Span {
    /// Parses `6M`, `1Y`, `2W`, `30D`, `12H`.
    pub fn parse(flag: &'static str, s: &str) -> Result<Span, WalkError> {
        let bad = || WalkError::Span { flag, given: s.into() };
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = s.split_at(split);
        let n: u32 = n.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(bad());
        }
        Ok(match unit {
            "H" | "h" => Span::Millis(n as i64 * 3_600_000),
            "D" | "d" => Span::Millis(n as i64 * DAY_MS),
            "W" | "w" => Span::Millis(n as i64 * 7 * DAY_MS),
            "M" => Span::Months(n),
            "Y" | "y" => Span::Months(n * 12),
            _ => return Err(bad()),
        })
    }

    /// `ts` moved forward by `k` spans (months keep the time within the month's start: calendar arithmetic).
    pub fn after(self, ts: i64, k: u32) -> i64 {
        match self {
            Span::Millis(ms) => ts + ms * k as i64,
            Span::Months(m) => {
                let (y, mo) = year_month(ts);
                let offset = ts - month_start(y, mo);
                let total = y * 12 + (mo as i64 - 1) + (m as i64) * (k as i64);
                month_start(total.div_euclid(12), (total.rem_euclid(12) + 1) as u32) + offset
            }
        }
    }

    fn describe(self) -> String {
        match self {
            Span::Months(m) if m % 12 == 0 => format!("{} years", m / 12),
            Span::Months(m) => format!("{m} months"),
            Span::Millis(ms) if ms % DAY_MS == 0 => format!("{} days", ms / DAY_MS),
            Span::Millis(ms) => format!("{} hours", ms / 3_600_000),
        }
    }
}

/// One step of the walk: index ranges `[start, end)` into the data's timeline (one symbol's bars; a universe's
/// timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub train: (usize, usize),
    pub test: (usize, usize),
}

/// The windows over `bars`: training windows of `train` (all history from the first bar when `anchored`), each
/// followed by a test window of `test`; the walk steps by `test` until the data ends (the last test window may be
/// shorter). A training window needs two bars and a test window one.
pub fn windows(bars: &[Bar], train: Span, test: Span, anchored: bool) -> Result<Vec<Window>, WalkError> {
    windows_of(&bars.iter().map(|b| b.ts).collect::<Vec<_>>(), train, test, anchored)
}

/// [`windows`] over a timeline: the timestamps of the data's bars, in order (a universe's: every timestamp any
/// symbol has a bar at).
pub fn windows_of(timeline: &[i64], train: Span, test: Span, anchored: bool) -> Result<Vec<Window>, WalkError> {
    let bars = timeline;
    let index = |ts: i64| bars.partition_point(|&b| b < ts);
    let mut out = Vec::new();
    if let Some(&first) = bars.first() {
        for k in 0.. {
            let train_start = if anchored { first } else { test.after(first, k) };
            let train_end = test.after(train.after(first, 1), k);
            let test_end = test.after(train_end, 1);
            let (a, b, c) = (index(train_start), index(train_end), index(test_end));
            if b >= bars.len() {
                break;
            }
            if b - a >= 2 && c > b {
                out.push(Window { train: (a, b), test: (b, c) });
            }
        }
    }
    if out.is_empty() {
        let ts = |b: Option<&i64>| b.map_or("-".into(), |&b| crate::time::format_ts(b));
        return Err(WalkError::TooShort {
            train: train.describe(),
            test: test.describe(),
            first: ts(bars.first()),
            last: ts(bars.last()),
        });
    }
    Ok(out)
}

/// One window's outcome.
#[derive(Debug, Clone)]
pub struct WindowResult {
    pub window: Window,
    /// The training window's best combination, with its in-sample metrics.
    pub winner: Row,
    /// The winner's out-of-sample metrics on the test window (as [`run::METRICS`]).
    pub test: Vec<f64>,
}

/// The whole walk.
#[derive(Debug, Clone)]
pub struct WalkForward {
    pub windows: Vec<WindowResult>,
    /// The stitched out-of-sample equity: (ts, equity) at each test bar's close.
    pub equity: Vec<(i64, f64)>,
    /// Out-of-sample metrics of the stitched curve and every test window's trades.
    pub summary: Summary,
    pub trades: Vec<Trade>,
}

fn metrics_of(s: &Summary) -> Vec<f64> {
    run::metrics_of(s)
}

/// The out-of-sample account a walk stitches from its test windows: one curve, one list of round trips, the cash
/// each window starts with.
struct Stitched {
    equity: Vec<(i64, f64)>,
    trades: Vec<Trade>,
    stats: EquityStats,
    cash: f64,
    fees: f64,
    fills: usize,
    entries: usize,
    realized: f64,
}

impl Stitched {
    fn new(cash: f64) -> Self {
        Stitched {
            equity: Vec::new(),
            trades: Vec::new(),
            stats: EquityStats::new(cash),
            cash,
            fees: 0.0,
            fills: 0,
            entries: 0,
            realized: 0.0,
        }
    }

    /// A test bar's close.
    fn bar(&mut self, ts: i64, equity: f64, exposed: bool) {
        self.equity.push((ts, equity));
        self.stats.on_bar(ts, equity, exposed);
    }

    /// A test window's end: the next starts with its final equity.
    fn window(&mut self, report: &Report) {
        self.cash = report.summary.final_equity;
        self.fees += report.summary.fees;
        self.fills += report.summary.fills;
        self.entries += report.summary.trades;
        self.realized += report.summary.realized_pnl;
        self.trades.extend(report.trades.iter().filter(|t| t.exit_ts.is_some()).cloned());
    }

    fn finish(self, plan: &Plan, data_label: &str, windows: Vec<WindowResult>) -> WalkForward {
        let facts = RunFacts {
            strategy: plan.name.clone(),
            data: data_label.into(),
            entries: self.entries,
            fees: self.fees,
            fills: self.fills,
            realized_pnl: self.realized,
            final_equity: self.cash,
            ..RunFacts::default()
        };
        let summary = summarize(&self.stats, &self.trades, facts);
        WalkForward { windows, equity: self.equity, summary, trades: self.trades }
    }
}

/// Walks `windows`: a sweep of `combos` on each training window (ranked by metric `sort`, indicators several
/// combinations need computed once unless `share` is off), the winner traded on the test window. `progress(done)`
/// counts finished training runs across the walk.
#[allow(clippy::too_many_arguments)]
pub fn walk(
    plan: &Plan,
    combos: &[Combo],
    bars: &[Bar],
    windows: &[Window],
    config: SessionConfig,
    sort: usize,
    data_label: &str,
    jobs: usize,
    share: bool,
    make_engine: &MakeEngine<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<WalkForward, WalkError> {
    let mut results = Vec::with_capacity(windows.len());
    let mut out = Stitched::new(config.cash);
    for (w, win) in windows.iter().enumerate() {
        let offset = w * combos.len();
        let train = &bars[win.train.0..win.train.1];
        let params: Vec<Vec<f64>> = combos.iter().map(|c| c.params.clone()).collect();
        let shared = if share { Shared::prepare(plan, &params, train) } else { Shared::default() };
        let mut rows =
            run::run(plan, combos, train, config, data_label, jobs, &shared, make_engine, &|d| progress(offset + d))?;
        run::sort(&mut rows, sort);
        let Some(winner) = rows.into_iter().next() else { break };
        let fail = |error| WalkError::Test { window: w + 1, params: run::params_text(plan, &winner.params), error };
        let mut engine = make_engine(&winner.params, &[]).map_err(fail)?;
        engine.fit_bar_interval(bars[win.train.0..win.test.1].iter().map(|b| b.ts)).map_err(|e| fail(e.into()))?;
        let mut session = Session::new(engine, SessionConfig { cash: out.cash, ..config });
        for bar in &bars[win.train.0..win.test.0] {
            session.warm(bar).map_err(|e| fail(e.into()))?;
        }
        for bar in &bars[win.test.0..win.test.1] {
            let eq = session.on_bar(bar).map_err(|e| fail(e.into()))?.equity;
            out.bar(bar.ts, eq, session.portfolio().position() != 0.0);
        }
        let facts = RunFacts { strategy: plan.name.clone(), data: data_label.into(), ..RunFacts::default() };
        let report = session.finish(facts);
        out.window(&report);
        results.push(WindowResult { window: *win, winner, test: metrics_of(&report.summary) });
    }
    Ok(out.finish(plan, data_label, results))
}

/// [`walk`] over a universe whose `timeline` (every timestamp, [`Universe::timeline`]) the `windows` index: each
/// training window is a sweep of universe backtests, and each winner trades its test window as one basket —
/// every symbol's series, the cross-sections and the rules warmed on the training window's bars first — with the
/// equity the previous window ended with.
#[allow(clippy::too_many_arguments)]
pub fn walk_universe(
    plan: &Plan,
    combos: &[Combo],
    universe: &Universe,
    timeline: &[i64],
    windows: &[Window],
    config: SessionConfig,
    sort: usize,
    data_label: &str,
    jobs: usize,
    make_engine: &MakeEngine<'_>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<WalkForward, WalkError> {
    let at = |i: usize| timeline.get(i).copied().unwrap_or(i64::MAX);
    let mut results = Vec::with_capacity(windows.len());
    let mut out = Stitched::new(config.cash);
    for (w, win) in windows.iter().enumerate() {
        let offset = w * combos.len();
        let train = universe.between(at(win.train.0), at(win.train.1));
        let tick = |d| progress(offset + d);
        let mut rows = run::run_universe(plan, combos, &train, config, data_label, jobs, make_engine, &tick)?;
        drop(train);
        run::sort(&mut rows, sort);
        let Some(winner) = rows.into_iter().next() else { break };
        let fail = |error| WalkError::Test { window: w + 1, params: run::params_text(plan, &winner.params), error };
        let span = universe.between(at(win.train.0), at(win.test.1));
        let mut engines = Vec::with_capacity(span.symbols.len());
        for _ in &span.symbols {
            engines.push(make_engine(&winner.params, &[]).map_err(fail)?);
        }
        crate::basket::fit_intervals(&mut engines, None, &span).map_err(fail)?;
        let mut basket = Basket::new(engines, SessionConfig { cash: out.cash, ..config }).map_err(fail)?;
        let (mut groups, test_from) = (span.groups(), at(win.test.0));
        let mut members = Vec::new();
        while let Some((ts, m)) = groups.next_group() {
            members.clear();
            members.extend_from_slice(m);
            if ts < test_from {
                basket.warm(&members, &groups).map_err(fail)?;
                continue;
            }
            basket.on_group(ts, &members, &groups).map_err(fail)?;
            if let Some((ts, eq, exposed)) = basket.last() {
                out.bar(ts, eq, exposed);
            }
        }
        let facts = RunFacts { strategy: plan.name.clone(), data: data_label.into(), ..RunFacts::default() };
        let report = basket.finish(&span.symbols, facts).report;
        out.window(&report);
        results.push(WindowResult { window: *win, winner, test: metrics_of(&report.summary) });
    }
    Ok(out.finish(plan, data_label, results))
}

/// The in-sample average of metric `m` over the windows' winners (NaN ignored).
pub fn in_sample_mean(w: &WalkForward, m: usize) -> f64 {
    let v: Vec<f64> = w.windows.iter().map(|r| r.winner.metrics[m]).filter(|x| !x.is_nan()).collect();
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::days_from_civil;

    fn day(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * DAY_MS
    }

    fn daily(from: i64, n: usize) -> Vec<Bar> {
        (0..n)
            .map(|i| Bar { ts: from + i as i64 * DAY_MS, open: 1.0, high: 1.0, low: 1.0, close: 1.0, volume: 1.0 })
            .collect()
    }

    #[test]
    fn spans_parse_and_follow_the_calendar() {
        assert_eq!(Span::parse("--train", "6M").unwrap(), Span::Months(6));
        assert_eq!(Span::parse("--train", "2Y").unwrap(), Span::Months(24));
        assert_eq!(Span::parse("--test", "2W").unwrap(), Span::Millis(14 * DAY_MS));
        for bad in ["", "M", "6", "0M", "6X", "-1M"] {
            assert!(Span::parse("--train", bad).is_err(), "{bad}");
        }
        // Jan 31 + 1 month → the same offset from March 1 would overflow; months step from month starts.
        assert_eq!(Span::Months(1).after(day(2024, 1, 1), 1), day(2024, 2, 1));
        assert_eq!(Span::Months(6).after(day(2023, 9, 1), 1), day(2024, 3, 1));
        assert_eq!(Span::Months(1).after(day(2024, 11, 1), 3), day(2025, 2, 1));
    }

    #[test]
    fn rolling_and_anchored_windows_by_hand() {
        // Daily bars from 2024-01-01 to 2024-12-31 (366 days); train 6 months, test 2 months.
        let bars = daily(day(2024, 1, 1), 366);
        let at = |ts: i64| bars.partition_point(|b| b.ts < ts);
        let w = windows(&bars, Span::Months(6), Span::Months(2), false).unwrap();
        // Tests: Jul–Aug, Sep–Oct, Nov–Dec.
        assert_eq!(w.len(), 3);
        assert_eq!(w[0], Window { train: (0, at(day(2024, 7, 1))), test: (at(day(2024, 7, 1)), at(day(2024, 9, 1))) });
        assert_eq!(w[1].train, (at(day(2024, 3, 1)), at(day(2024, 9, 1))));
        assert_eq!(w[2].test, (at(day(2024, 11, 1)), 366));
        let a = windows(&bars, Span::Months(6), Span::Months(2), true).unwrap();
        assert!(a.iter().all(|x| x.train.0 == 0), "anchored windows start at the first bar");
        assert_eq!(a[2].train.1, at(day(2024, 11, 1)));
        // The last test window is cut at the end of the data.
        let w = windows(&bars, Span::Months(10), Span::Months(3), false).unwrap();
        assert_eq!((w.len(), w[0].test), (1, (at(day(2024, 11, 1)), 366)));
    }

    #[test]
    fn windows_longer_than_the_data_are_refused() {
        let bars = daily(day(2024, 1, 1), 100);
        let e = windows(&bars, Span::Months(6), Span::Months(1), false).unwrap_err().to_string();
        assert!(e.contains("do not fit in the data (2024-01-01"), "{e}");
        assert!(windows(&[], Span::Months(1), Span::Months(1), false).is_err());
    }
}
