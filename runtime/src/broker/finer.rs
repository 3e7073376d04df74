//! Finer data inside a bar (`--intrabar FILE`): the price path a bar's minute bars, or its trades, actually took.
//!
//! Design choice: finer data only replaces the assumed path — the broker walks a list of points either way. A bar
//! with finer data walks its finer bars one after another (each open → extreme → extreme → close, by the same
//! [`IntrabarPath`] assumption) or its trades one by one; a bar without any keeps its own four points. What is
//! still undecided is then only what the finer bars themselves cannot say.

use super::IntrabarPath;
use crate::bar::Bar;

/// Finer bars, or trades, sorted by time, for bars `interval` milliseconds long.
#[derive(Debug, Clone)]
pub struct FinerPath {
    ts: Vec<i64>,
    /// Each finer bar's open, high, low, close (a trade is four times its price).
    ohlc: Vec<[f64; 4]>,
    interval: i64,
}

impl FinerPath {
    /// Finer bars for base bars `interval` ms long. The bars must be sorted by time (checked by the caller).
    pub fn from_bars(bars: &[Bar], interval: i64) -> Self {
        Self {
            ts: bars.iter().map(|b| b.ts).collect(),
            ohlc: bars.iter().map(|b| [b.open, b.high, b.low, b.close]).collect(),
            interval,
        }
    }

    /// Trades `(ts, price)` sorted by time, for base bars `interval` ms long.
    pub fn from_trades(trades: &[(i64, f64)], interval: i64) -> Self {
        Self { ts: trades.iter().map(|t| t.0).collect(), ohlc: trades.iter().map(|t| [t.1; 4]).collect(), interval }
    }

    /// The path inside `bar` (its open first), walked with `path` inside each finer bar — and the other ordering of
    /// each finer bar's extremes; `None` when no finer data falls inside the bar.
    pub fn paths(&self, bar: &Bar, path: IntrabarPath) -> Option<(Vec<f64>, Vec<f64>)> {
        let start = self.ts.partition_point(|&t| t < bar.ts);
        let end = self.ts.partition_point(|&t| t < bar.ts.saturating_add(self.interval));
        let inside = self.ohlc.get(start..end).filter(|s| !s.is_empty())?;
        let (mut main, mut other) = (vec![bar.open], vec![bar.open]);
        for &[open, high, low, close] in inside {
            let b = Bar { ts: 0, open, high, low, close, volume: 0.0 };
            push_points(&mut main, &path.points(&b));
            push_points(&mut other, &path.other_points(&b));
        }
        Some((main, other))
    }
}

/// Appends `points`, leaving out repeats of the last point.
fn push_points(out: &mut Vec<f64>, points: &[f64; 4]) {
    for &p in points {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(ts: i64, o: f64, h: f64, l: f64, c: f64) -> Bar {
        Bar { ts, open: o, high: h, low: l, close: c, volume: 0.0 }
    }

    #[test]
    fn a_bar_walks_the_finer_bars_inside_it_and_only_those() {
        let finer = FinerPath::from_bars(
            &[
                bar(0, 1.0, 1.0, 1.0, 1.0),
                bar(60, 10.0, 12.0, 9.0, 11.0),
                bar(120, 11.0, 11.0, 8.0, 8.5),
                bar(180, 50.0, 50.0, 50.0, 50.0),
            ],
            120,
        );
        let (main, other) = finer.paths(&bar(60, 10.0, 12.0, 8.0, 8.5), IntrabarPath::Nearest).expect("inside");
        // 60: high 2 away, low 1 away → low first; 120: open is the high → high first.
        assert_eq!(main, vec![10.0, 9.0, 12.0, 11.0, 8.0, 8.5]);
        assert_eq!(other, vec![10.0, 12.0, 9.0, 11.0, 8.0, 11.0, 8.5]);
        assert!(finer.paths(&bar(240, 1.0, 1.0, 1.0, 1.0), IntrabarPath::Nearest).is_none());
    }

    #[test]
    fn trades_are_their_own_path() {
        let finer = FinerPath::from_trades(&[(5, 100.0), (6, 103.0), (7, 97.0), (70, 1.0)], 60);
        let (main, other) = finer.paths(&bar(0, 100.0, 103.0, 97.0, 97.0), IntrabarPath::Nearest).expect("inside");
        assert_eq!(main, vec![100.0, 103.0, 97.0]);
        assert_eq!(main, other, "trades leave nothing to assume");
    }
}
