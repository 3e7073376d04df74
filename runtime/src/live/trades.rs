//! Bars built live from a trade stream: the venue's aggregate trades in, closed time bars out.
//!
//! Design choice: the bars come from [`BarBuilder`] — the state machine `strata data import --bars` and
//! `strata data resample` use — so a bar built here from the stream equals, bit for bit, the bar imported from the
//! same trades. This module only decides which trades reach it: each aggregate trade once, in id order (the venue
//! numbers them without gaps, so a jump in the ids is a hole to backfill, and an id already seen is a duplicate),
//! and only trades of whole periods — a period the feed joined in the middle of, or one the warm-up history already
//! holds, is never built. A bar is complete when the first trade of a later period arrives.

use super::bars::FeedCounts;
use super::binance::{AggTrade, Stream};
use crate::bar::Bar;
use crate::data::aggregate::{BarBuilder, BarSpec};
use crate::time::period_start;

/// What the builder made of a trade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TradeVerdict {
    /// The trade completed this bar (the previous period's); the trade itself opened the next.
    Bar(Bar),
    /// Taken (or, before the first whole period, passed over); no bar completed.
    Nothing,
    /// Already seen, or older than a trade already taken.
    Duplicate,
    /// Trades `from_id..` this one's id were missed: fetch them first, then offer this trade again.
    Hole { from_id: i64 },
}

/// The bar sequence built from one symbol's aggregate trades.
#[derive(Debug)]
pub struct TradeBars {
    stream: Stream,
    period: i64,
    builder: BarBuilder,
    last_id: Option<i64>,
    last_time: i64,
    /// The first period to build: the one after the warm-up's last bar, or after the period the feed joined in.
    from: Option<i64>,
    counts: FeedCounts,
}

impl TradeBars {
    /// Bars of `stream`'s interval; with `after` (the open time of the warm-up's last bar), the first bar built is
    /// the one after it. A stream whose interval is a calendar month cannot be built from trades.
    pub fn new(stream: Stream, after: Option<i64>) -> Result<Self, String> {
        let period = stream
            .interval
            .millis()
            .ok_or_else(|| format!("{stream}: bars of a calendar month cannot be built from trades"))?;
        Ok(Self {
            builder: BarBuilder::new(BarSpec::Time(period)),
            stream,
            period,
            last_id: None,
            last_time: i64::MIN,
            from: after.map(|t| period_start(t, period) + period),
            counts: FeedCounts::default(),
        })
    }

    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// The id of the last trade taken: a reconnected feed catches up from the one after it.
    pub fn last_id(&self) -> Option<i64> {
        self.last_id
    }

    /// Where a feed that has taken no trade yet catches up from: the open of the first bar it must build.
    pub fn start_time(&self) -> Option<i64> {
        if self.last_id.is_some() { None } else { self.from }
    }

    pub fn counts(&self) -> FeedCounts {
        self.counts
    }

    /// A trade from the stream.
    pub fn offer(&mut self, t: &AggTrade) -> TradeVerdict {
        if let Some(last) = self.last_id
            && t.id > last + 1
        {
            return TradeVerdict::Hole { from_id: last + 1 };
        }
        self.take(t)
    }

    /// A trade from a backfill (its pages are consecutive).
    pub fn offer_backfill(&mut self, t: &AggTrade) -> TradeVerdict {
        let v = self.take(t);
        if v != TradeVerdict::Duplicate {
            self.counts.backfilled += 1;
        }
        v
    }

    /// A trade after a hole the venue could not fill: taken, and the hole counted as a gap.
    pub fn accept_gap(&mut self, t: &AggTrade) -> TradeVerdict {
        self.counts.gaps += 1;
        self.take(t)
    }

    fn take(&mut self, t: &AggTrade) -> TradeVerdict {
        if self.last_id.is_some_and(|last| t.id <= last) || t.time < self.last_time {
            self.counts.duplicates += 1;
            return TradeVerdict::Duplicate;
        }
        self.last_id = Some(t.id);
        self.last_time = t.time;
        let start = period_start(t.time, self.period);
        // Joined mid-stream: the period of this first trade began before the feed saw it.
        let from = *self.from.get_or_insert(start + self.period);
        if start < from {
            return TradeVerdict::Nothing;
        }
        match self.builder.push_trade(t.time, t.price, t.qty) {
            Some(bar) => {
                self.counts.bars += 1;
                TradeVerdict::Bar(bar)
            }
            None => TradeVerdict::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(id: i64, time: i64, price: f64) -> AggTrade {
        AggTrade { id, price, qty: 1.0, time }
    }

    fn stream() -> Stream {
        Stream { trades: true, ..Stream::parse("BTCUSDT@1m").unwrap() }
    }

    #[test]
    fn bars_start_at_the_first_whole_period_and_complete_with_the_next_periods_first_trade() {
        let mut b = TradeBars::new(stream(), None).unwrap();
        // Joined at 00:30 of minute 0: minute 0 is not built.
        assert_eq!(b.offer(&trade(10, 30_000, 5.0)), TradeVerdict::Nothing);
        assert_eq!(b.offer(&trade(11, 61_000, 6.0)), TradeVerdict::Nothing);
        assert_eq!(b.offer(&trade(12, 70_000, 4.0)), TradeVerdict::Nothing);
        let TradeVerdict::Bar(bar) = b.offer(&trade(13, 120_000, 7.0)) else { panic!("minute 1 completes") };
        assert_eq!(bar, Bar { ts: 60_000, open: 6.0, high: 6.0, low: 4.0, close: 4.0, volume: 2.0 });
    }

    #[test]
    fn holes_duplicates_and_the_warm_up_are_handled() {
        // The warm-up's last bar opened at minute 1: building starts with minute 2.
        let mut b = TradeBars::new(stream(), Some(60_000)).unwrap();
        assert_eq!(b.start_time(), Some(120_000));
        assert_eq!(b.offer(&trade(1, 100_000, 5.0)), TradeVerdict::Nothing);
        assert_eq!(b.offer(&trade(2, 125_000, 5.0)), TradeVerdict::Nothing);
        assert_eq!(b.start_time(), None);
        assert_eq!(b.offer(&trade(2, 125_000, 5.0)), TradeVerdict::Duplicate);
        assert_eq!(b.offer(&trade(5, 130_000, 5.0)), TradeVerdict::Hole { from_id: 3 });
        assert_eq!(b.offer_backfill(&trade(3, 126_000, 9.0)), TradeVerdict::Nothing);
        assert_eq!(b.offer_backfill(&trade(4, 127_000, 1.0)), TradeVerdict::Nothing);
        assert_eq!(b.offer(&trade(5, 130_000, 5.0)), TradeVerdict::Nothing);
        assert_eq!(b.offer(&trade(9, 190_000, 2.0)), TradeVerdict::Hole { from_id: 6 });
        let TradeVerdict::Bar(bar) = b.accept_gap(&trade(9, 190_000, 2.0)) else { panic!("minute 2 completes") };
        assert_eq!((bar.ts, bar.high, bar.low, bar.volume), (120_000, 9.0, 1.0, 4.0));
        let c = b.counts();
        assert_eq!((c.bars, c.duplicates, c.backfilled, c.gaps), (1, 1, 2, 1));
        assert!(TradeBars::new(Stream { trades: true, ..Stream::parse("X@1M").unwrap() }, None).is_err());
    }
}
