//! The bad-row policy: which bars are rejected, counted, and (with `--strict`) fatal.
//!
//! Design choice: one stateful filter that every bar source passes its rows through, so files, live feeds and
//! tests all reject the same rows for the same reasons. A row is rejected when:
//! - any of open/high/low/close is missing, NaN or infinite, or not positive;
//! - volume is NaN, infinite or negative (when the data has volume);
//! - high < low, or open/close lies outside [low, high];
//! - its timestamp is missing, equal to the previous accepted bar's (duplicate), or earlier (out of order).
//!
//! The first accepted bar of a duplicate pair wins. `--from`/`--to` filtering is not rejection: rows outside the
//! range are skipped silently.

use std::fmt;

use serde::Serialize;

use crate::bar::Bar;

/// Why a row was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    MissingTimestamp,
    BadPrice,
    BadVolume,
    HighBelowLow,
    OutsideRange,
    Duplicate,
    OutOfOrder,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::MissingTimestamp => "missing timestamp",
            Reason::BadPrice => "price missing, not finite, or not positive",
            Reason::BadVolume => "volume missing, not finite, or negative",
            Reason::HighBelowLow => "high below low",
            Reason::OutsideRange => "open or close outside [low, high]",
            Reason::Duplicate => "duplicate timestamp",
            Reason::OutOfOrder => "timestamp earlier than the previous bar's",
        }
    }

    /// The column at fault, for messages.
    pub fn column(self) -> &'static str {
        match self {
            Reason::MissingTimestamp | Reason::Duplicate | Reason::OutOfOrder => "ts",
            Reason::BadPrice | Reason::OutsideRange => "open/high/low/close",
            Reason::BadVolume => "volume",
            Reason::HighBelowLow => "high/low",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Rejected rows by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RejectCounts {
    pub missing_timestamp: u64,
    pub bad_price: u64,
    pub bad_volume: u64,
    pub high_below_low: u64,
    pub outside_range: u64,
    pub duplicate: u64,
    pub out_of_order: u64,
}

impl RejectCounts {
    pub fn total(&self) -> u64 {
        self.missing_timestamp
            + self.bad_price
            + self.bad_volume
            + self.high_below_low
            + self.outside_range
            + self.duplicate
            + self.out_of_order
    }

    /// The non-zero counts with what they count, in a fixed order.
    pub fn by_reason(&self) -> Vec<(&'static str, u64)> {
        [
            ("missing timestamp", self.missing_timestamp),
            ("price missing, not finite, or not positive", self.bad_price),
            ("volume missing, not finite, or negative", self.bad_volume),
            ("high below low", self.high_below_low),
            ("open or close outside [low, high]", self.outside_range),
            ("duplicate timestamp", self.duplicate),
            ("timestamp earlier than the previous bar's", self.out_of_order),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    fn count(&mut self, r: Reason) {
        *match r {
            Reason::MissingTimestamp => &mut self.missing_timestamp,
            Reason::BadPrice => &mut self.bad_price,
            Reason::BadVolume => &mut self.bad_volume,
            Reason::HighBelowLow => &mut self.high_below_low,
            Reason::OutsideRange => &mut self.outside_range,
            Reason::Duplicate => &mut self.duplicate,
            Reason::OutOfOrder => &mut self.out_of_order,
        } += 1;
    }

    /// Non-zero counts as `(reason, count)`, in a fixed order.
    pub fn nonzero(&self) -> Vec<(Reason, u64)> {
        [
            (Reason::MissingTimestamp, self.missing_timestamp),
            (Reason::BadPrice, self.bad_price),
            (Reason::BadVolume, self.bad_volume),
            (Reason::HighBelowLow, self.high_below_low),
            (Reason::OutsideRange, self.outside_range),
            (Reason::Duplicate, self.duplicate),
            (Reason::OutOfOrder, self.out_of_order),
        ]
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .collect()
    }
}

/// A rejected row under `--strict`.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    /// 1-based row number in the source.
    pub row: u64,
    pub reason: Reason,
}

/// Filters rows by the policy above and an optional inclusive time range.
#[derive(Debug, Clone)]
pub struct Cleaner {
    strict: bool,
    from: Option<i64>,
    /// Inclusive upper bound.
    to: Option<i64>,
    has_volume: bool,
    last_ts: Option<i64>,
    counts: RejectCounts,
    first_bad: Option<BadRow>,
}

impl Cleaner {
    pub fn new(strict: bool, from: Option<i64>, to: Option<i64>, has_volume: bool) -> Self {
        Self { strict, from, to, has_volume, last_ts: None, counts: RejectCounts::default(), first_bad: None }
    }

    pub fn counts(&self) -> &RejectCounts {
        &self.counts
    }

    /// Upper time bound, to stop reading early.
    pub fn to(&self) -> Option<i64> {
        self.to
    }

    /// Checks one row (`ts` None when missing). Returns Ok(true) to keep it, Ok(false) to skip it, and under
    /// `--strict` an error for the first bad row.
    #[inline]
    pub fn check(&mut self, row: u64, ts: Option<i64>, bar: &Bar) -> Result<bool, BadRow> {
        let reason = self.classify(ts, bar);
        match reason {
            None => {
                let ts = ts.unwrap_or_default();
                if self.from.is_some_and(|f| ts < f) || self.to.is_some_and(|t| ts > t) {
                    // Still advances the order check: an out-of-range row is a real row.
                    self.last_ts = Some(ts);
                    return Ok(false);
                }
                self.last_ts = Some(ts);
                Ok(true)
            }
            Some(r) => {
                self.counts.count(r);
                let bad = BadRow { row, reason: r };
                if self.strict {
                    return Err(bad);
                }
                self.first_bad.get_or_insert(bad);
                Ok(false)
            }
        }
    }

    /// Continues after a bar at `ts` already taken elsewhere (a live stream after its warm-up history): the order
    /// and duplicate checks start from it.
    pub fn resume_after(&mut self, ts: i64) {
        self.last_ts = Some(ts);
    }

    /// Admits one bar of a live stream (no row numbers, no time range, never strict): `Err` with the reason when
    /// the bar is rejected, counted as a file's row would be.
    pub fn admit(&mut self, ts: i64, bar: &Bar) -> Result<(), Reason> {
        match self.classify(Some(ts), bar) {
            None => {
                self.last_ts = Some(ts);
                Ok(())
            }
            Some(r) => {
                self.counts.count(r);
                Err(r)
            }
        }
    }

    /// The first rejected row, if any (for messages when rows were dropped).
    pub fn first_bad(&self) -> Option<&BadRow> {
        self.first_bad.as_ref()
    }

    #[inline]
    fn classify(&self, ts: Option<i64>, b: &Bar) -> Option<Reason> {
        let Some(ts) = ts else {
            return Some(Reason::MissingTimestamp);
        };
        let price_ok = |p: f64| p.is_finite() && p > 0.0;
        if !(price_ok(b.open) && price_ok(b.high) && price_ok(b.low) && price_ok(b.close)) {
            return Some(Reason::BadPrice);
        }
        if self.has_volume && !(b.volume.is_finite() && b.volume >= 0.0) {
            return Some(Reason::BadVolume);
        }
        if b.high < b.low {
            return Some(Reason::HighBelowLow);
        }
        if b.open < b.low || b.open > b.high || b.close < b.low || b.close > b.high {
            return Some(Reason::OutsideRange);
        }
        match self.last_ts {
            Some(last) if ts == last => Some(Reason::Duplicate),
            Some(last) if ts < last => Some(Reason::OutOfOrder),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(o: f64, h: f64, l: f64, c: f64, v: f64) -> Bar {
        Bar { ts: 0, open: o, high: h, low: l, close: c, volume: v }
    }

    #[test]
    fn each_reason_is_counted() {
        let mut c = Cleaner::new(false, None, None, true);
        let good = bar(10.0, 11.0, 9.0, 10.5, 100.0);
        let rows = [
            (Some(1), good, true),
            (Some(2), bar(f64::NAN, 11.0, 9.0, 10.0, 1.0), false),
            (Some(3), bar(10.0, 11.0, 9.0, 0.0, 1.0), false),
            (Some(4), bar(10.0, 11.0, 9.0, 10.0, -1.0), false),
            (Some(5), bar(10.0, 9.0, 11.0, 10.0, 1.0), false),
            (Some(6), bar(12.0, 11.0, 9.0, 10.0, 1.0), false),
            (Some(1), good, false),
            (Some(0), good, false),
            (None, good, false),
            (Some(7), good, true),
        ];
        for (i, (ts, b, keep)) in rows.iter().enumerate() {
            assert_eq!(c.check(i as u64 + 1, *ts, b), Ok(*keep), "row {i}");
        }
        let n = c.counts();
        assert_eq!(n.total(), 8);
        assert_eq!((n.bad_price, n.bad_volume, n.high_below_low, n.outside_range), (2, 1, 1, 1));
        assert_eq!((n.duplicate, n.out_of_order, n.missing_timestamp), (1, 1, 1));
        assert_eq!(c.first_bad(), Some(&BadRow { row: 2, reason: Reason::BadPrice }));
    }

    #[test]
    fn strict_fails_on_the_first_bad_row() {
        let mut c = Cleaner::new(true, None, None, false);
        let good = bar(10.0, 11.0, 9.0, 10.5, f64::NAN);
        assert_eq!(c.check(1, Some(5), &good), Ok(true));
        assert_eq!(c.check(2, Some(5), &good), Err(BadRow { row: 2, reason: Reason::Duplicate }));
    }

    #[test]
    fn time_range_is_inclusive_and_not_a_rejection() {
        let mut c = Cleaner::new(false, Some(2), Some(3), false);
        let good = bar(10.0, 11.0, 9.0, 10.5, f64::NAN);
        let kept: Vec<bool> = (1..=4).map(|t| c.check(t as u64, Some(t), &good).unwrap()).collect();
        assert_eq!(kept, vec![false, true, true, false]);
        assert_eq!(c.counts().total(), 0);
    }
}
