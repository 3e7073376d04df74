//! Building bars from finer rows: trades into time, volume or tick-count bars, and bars into longer bars.
//!
//! Design choice: one state machine, [`BarBuilder`], fed one row at a time and handing out each bar when it is
//! complete — the shape a live trade stream needs, so `strata data import`, `strata data resample`, a live feed of
//! trades and a strategy's higher timeframes (`close@1h`) build bars with the same code. Time bars are aligned to
//! the epoch (UTC): a 1h bar starts on the hour, a 1d bar at midnight UTC, a 1w bar on a Monday
//! ([`crate::time::period_start`]); each is stamped with its start. A period without rows makes no bar.

use crate::bar::Bar;

/// What closes a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BarSpec {
    /// A period of this many milliseconds.
    Time(i64),
    /// Once this much quantity has traded (the trade that reaches it is the bar's last).
    Volume(f64),
    /// Every this many trades.
    Ticks(u64),
}

impl BarSpec {
    /// `30s`, `1m`, `5m`, `1h`, `4h`, `1d`, `1w` (time); `500t` (ticks); `10v` or `2.5v` (volume).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad =
            || format!("'{s}' is not a bar size: use a time (30s, 1m, 5m, 1h, 1d, 1w), ticks (500t) or volume (10v)");
        let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let (num, unit) = s.split_at(split);
        let n: f64 = num.parse().map_err(|_| bad())?;
        if !(n.is_finite() && n > 0.0) {
            return Err(bad());
        }
        let whole = |scale: i64| -> Result<BarSpec, String> {
            if n.fract() != 0.0 {
                return Err(format!("'{s}': a time or tick count must be a whole number"));
            }
            Ok(BarSpec::Time((n as i64).checked_mul(scale).ok_or_else(bad)?))
        };
        match unit {
            "s" => whole(1_000),
            "m" => whole(60_000),
            "h" => whole(3_600_000),
            "d" => whole(86_400_000),
            "w" => whole(7 * 86_400_000),
            "t" => {
                if n.fract() != 0.0 {
                    return Err(format!("'{s}': a tick count must be a whole number"));
                }
                Ok(BarSpec::Ticks(n as u64))
            }
            "v" => Ok(BarSpec::Volume(n)),
            _ => Err(bad()),
        }
    }

    /// Its length in milliseconds, for time bars.
    pub fn period(self) -> Option<i64> {
        match self {
            BarSpec::Time(ms) => Some(ms),
            _ => None,
        }
    }
}

/// Builds bars from rows handed in time order.
#[derive(Debug, Clone)]
pub struct BarBuilder {
    spec: BarSpec,
    current: Option<Bar>,
    /// Trades in the current bar (tick bars), or the end of its period (time bars).
    count: u64,
    end: i64,
}

impl BarBuilder {
    pub fn new(spec: BarSpec) -> Self {
        Self { spec, current: None, count: 0, end: i64::MIN }
    }

    /// A trade at `ts` of `qty` at `price`: returns the bar it completes, if any (for time bars, the previous
    /// period's, when this trade opens a new one).
    pub fn push_trade(&mut self, ts: i64, price: f64, qty: f64) -> Option<Bar> {
        self.push(Bar { ts, open: price, high: price, low: price, close: price, volume: qty })
    }

    /// A finer bar (resampling): as a trade, with its own range and volume.
    pub fn push_bar(&mut self, bar: &Bar) -> Option<Bar> {
        self.push(*bar)
    }

    fn push(&mut self, row: Bar) -> Option<Bar> {
        match self.spec {
            BarSpec::Time(period) => {
                let done = if row.ts >= self.end { self.current.take() } else { None };
                if self.current.is_none() {
                    let start = crate::time::period_start(row.ts, period);
                    self.end = start.saturating_add(period);
                    self.current = Some(Bar { ts: start, ..row });
                } else {
                    merge(self.current.as_mut(), &row);
                }
                done
            }
            BarSpec::Volume(threshold) => {
                self.extend(row);
                let full = self.current.as_ref().is_some_and(|b| b.volume >= threshold);
                if full { self.current.take() } else { None }
            }
            BarSpec::Ticks(n) => {
                self.extend(row);
                self.count += 1;
                if self.count >= n {
                    self.count = 0;
                    self.current.take()
                } else {
                    None
                }
            }
        }
    }

    /// For time bars: hands out the bar being built if its period is over by `now` — when the last row's own
    /// period ends (its timestamp plus its interval), so a bar completes with its last row instead of waiting for
    /// the first row of the next period.
    pub fn close_by(&mut self, now: i64) -> Option<Bar> {
        match self.spec {
            BarSpec::Time(_) if now >= self.end => self.current.take(),
            _ => None,
        }
    }

    fn extend(&mut self, row: Bar) {
        match self.current.as_mut() {
            Some(_) => merge(self.current.as_mut(), &row),
            None => self.current = Some(row),
        }
    }

    /// The bar still being built when the rows end — a time bar whose period may not be over, a volume or tick bar
    /// short of its size. `last_row_end` is when the last row's own period ends (its timestamp plus its interval for
    /// bars, its timestamp for trades): a time bar is complete exactly when that reaches the end of its period.
    pub fn finish(self, last_row_end: i64) -> Finished {
        match (self.current, self.spec) {
            (None, _) => Finished::Nothing,
            (Some(b), BarSpec::Time(_)) if last_row_end >= self.end => Finished::Complete(b),
            (Some(b), _) => Finished::Partial(b),
        }
    }
}

/// What is left when the rows end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Finished {
    Nothing,
    Complete(Bar),
    /// A bar whose period (or size) the rows did not fill.
    Partial(Bar),
}

fn merge(into: Option<&mut Bar>, row: &Bar) {
    if let Some(b) = into {
        b.high = b.high.max(row.high);
        b.low = b.low.min(row.low);
        b.close = row.close;
        b.volume += row.volume;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_like_intervals() {
        assert_eq!(BarSpec::parse("5m"), Ok(BarSpec::Time(300_000)));
        assert_eq!(BarSpec::parse("1d"), Ok(BarSpec::Time(86_400_000)));
        assert_eq!(BarSpec::parse("500t"), Ok(BarSpec::Ticks(500)));
        assert_eq!(BarSpec::parse("2.5v"), Ok(BarSpec::Volume(2.5)));
        for bad in ["", "m", "0m", "1.5m", "5x", "-1h", "1.5t"] {
            assert!(BarSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trades_make_epoch_aligned_time_bars_and_skip_empty_periods() {
        let mut b = BarBuilder::new(BarSpec::Time(60_000));
        let trades = [(61_000, 10.0, 1.0), (62_000, 12.0, 2.0), (119_999, 9.0, 1.0), (250_000, 11.0, 4.0)];
        let mut out = Vec::new();
        for (ts, p, q) in trades {
            out.extend(b.push_trade(ts, p, q));
        }
        assert_eq!(out, vec![Bar { ts: 60_000, open: 10.0, high: 12.0, low: 9.0, close: 9.0, volume: 4.0 }]);
        // The 240 000 bar has had a trade at 250 000 only: its period is not over.
        assert_eq!(
            b.clone().finish(250_000),
            Finished::Partial(Bar { ts: 240_000, open: 11.0, high: 11.0, low: 11.0, close: 11.0, volume: 4.0 })
        );
        assert!(matches!(b.finish(300_000), Finished::Complete(_)));
    }

    #[test]
    fn volume_and_tick_bars_close_on_their_size() {
        let mut v = BarBuilder::new(BarSpec::Volume(3.0));
        assert_eq!(v.push_trade(1, 10.0, 1.0), None);
        let bar = v.push_trade(2, 11.0, 2.5).expect("3.5 ≥ 3");
        assert_eq!((bar.ts, bar.open, bar.close, bar.volume), (1, 10.0, 11.0, 3.5));
        let mut t = BarBuilder::new(BarSpec::Ticks(2));
        assert_eq!(t.push_trade(5, 1.0, 1.0), None);
        assert_eq!(t.push_trade(6, 3.0, 1.0).map(|b| (b.ts, b.high, b.low)), Some((5, 3.0, 1.0)));
        assert_eq!(t.push_trade(7, 2.0, 1.0), None);
    }

    #[test]
    fn bars_resample_into_longer_bars() {
        let minute =
            |i: i64, c: f64| Bar { ts: i * 60_000, open: c - 1.0, high: c + 1.0, low: c - 2.0, close: c, volume: 1.0 };
        let mut b = BarBuilder::new(BarSpec::Time(300_000));
        let mut out = Vec::new();
        for i in 0..10 {
            out.extend(b.push_bar(&minute(i, 100.0 + i as f64)));
        }
        assert_eq!(out, vec![Bar { ts: 0, open: 99.0, high: 105.0, low: 98.0, close: 104.0, volume: 5.0 }]);
        // The last minute (9) ends at 600 000, the end of the second 5-minute bar: complete.
        assert!(matches!(b.finish(10 * 60_000), Finished::Complete(Bar { ts: 300_000, .. })));
    }
}
