//! From kline updates, however the connection delivered them, to the bar sequence a session steps on.
//!
//! Design choice: the whole of "no bar lost, none repeated" is one pure state machine with no I/O and no clock, fed
//! one kline at a time. It acts only on closed klines of its own stream, passes every bar through the same
//! bad-row policy as a file ([`Cleaner`]: duplicates, time going backwards, bad prices), and when a closed bar
//! opens later than the next one expected it does not take it but asks for the missing ones first
//! ([`Verdict::Backfill`]); the caller fetches them (REST) and offers them, then offers the held bar again. So the
//! bars that come out are the bars a backtest of the same history would read, in the same order — the property the
//! parity tests rest on — and the connection code only has to move messages.

use serde::Serialize;

use super::binance::{Interval, Kline, Stream};
use crate::bar::Bar;
use crate::data::{Cleaner, Reason};

/// What became of one kline offered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// A new closed bar, next in sequence: step the session on it.
    Bar(Bar),
    /// Closed bars are missing before this one: fetch those opening in `from..before` (REST), offer them, then
    /// offer this kline again (or [`BarStream::accept_gap`] it if the venue has none).
    Backfill { from: i64, before: i64 },
    /// Not a new bar; counted.
    Skip(Skip),
}

/// Why a kline did not become a bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// An update of a bar still in progress (`x: false`).
    InProgress,
    /// Another symbol's or interval's kline.
    OtherStream,
    /// Rejected by the bad-row policy: a duplicate, time going backwards, a bad price or volume.
    Rejected(Reason),
}

/// What the stream has seen, for the heartbeat log and the run's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FeedCounts {
    pub bars: u64,
    pub in_progress: u64,
    pub other_stream: u64,
    pub duplicates: u64,
    pub out_of_order: u64,
    pub bad_bars: u64,
    /// Bars that arrived through a backfill rather than the stream.
    pub backfilled: u64,
    /// Holes the venue had no bars for, accepted as gaps.
    pub gaps: u64,
}

impl FeedCounts {
    /// Both streams' counts, added up (a universe's feed reports the sum of its streams').
    pub fn plus(self, o: FeedCounts) -> FeedCounts {
        FeedCounts {
            bars: self.bars + o.bars,
            in_progress: self.in_progress + o.in_progress,
            other_stream: self.other_stream + o.other_stream,
            duplicates: self.duplicates + o.duplicates,
            out_of_order: self.out_of_order + o.out_of_order,
            bad_bars: self.bad_bars + o.bad_bars,
            backfilled: self.backfilled + o.backfilled,
            gaps: self.gaps + o.gaps,
        }
    }
}

/// The bar sequence of one kline stream.
#[derive(Debug)]
pub struct BarStream {
    stream: Stream,
    cleaner: Cleaner,
    last_open: Option<i64>,
    /// Before any bar: the open time of the first bar the feed showed (in progress or closed) — where the run
    /// starts, so that bars closed while a first connection was being replaced are backfilled too.
    first_open: Option<i64>,
    /// The last bar taken from a backfill: stream klines up to it are ones the backfill already delivered (the
    /// overlap after a reconnect), counted as duplicates rather than as time going backwards.
    backfilled_through: Option<i64>,
    counts: FeedCounts,
}

impl BarStream {
    /// A stream whose last bar already seen (from warm-up history) opened at `after`, if any.
    pub fn new(stream: Stream, after: Option<i64>) -> Self {
        let mut cleaner = Cleaner::new(false, None, None, true);
        if let Some(t) = after {
            cleaner.resume_after(t);
        }
        Self {
            stream,
            cleaner,
            last_open: after,
            first_open: None,
            backfilled_through: None,
            counts: FeedCounts::default(),
        }
    }

    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    pub fn counts(&self) -> FeedCounts {
        self.counts
    }

    /// When the next bar is expected to open: after the last bar, or — before any — the first bar the feed showed
    /// (none before the feed has shown one).
    pub fn next_open(&self) -> Option<i64> {
        self.last_open.map(|t| self.stream.interval.next_open(t)).or(self.first_open)
    }

    /// Offers a kline from the stream.
    pub fn offer(&mut self, symbol: &str, interval: Interval, k: &Kline) -> Verdict {
        if symbol != self.stream.symbol || interval != self.stream.interval {
            self.counts.other_stream += 1;
            return Verdict::Skip(Skip::OtherStream);
        }
        if self.last_open.is_none() && self.first_open.is_none() {
            self.first_open = Some(k.open_time);
        }
        if !k.closed {
            self.counts.in_progress += 1;
            return Verdict::Skip(Skip::InProgress);
        }
        if let Some(next) = self.next_open()
            && k.open_time > next
        {
            return Verdict::Backfill { from: next, before: k.open_time };
        }
        if self.backfilled_through.is_some_and(|t| k.open_time <= t) {
            self.counts.duplicates += 1;
            return Verdict::Skip(Skip::Rejected(Reason::Duplicate));
        }
        self.admit(k)
    }

    /// Offers a bar fetched to fill a hole (REST). Bars outside the hole or not closed are skipped.
    pub fn offer_backfill(&mut self, k: &Kline) -> Verdict {
        if !k.closed {
            self.counts.in_progress += 1;
            return Verdict::Skip(Skip::InProgress);
        }
        let v = self.admit(k);
        if matches!(v, Verdict::Bar(_)) {
            self.counts.backfilled += 1;
            self.backfilled_through = Some(k.open_time);
        }
        v
    }

    /// Takes a kline after a backfill that left a hole before it (the venue has no bars there): the gap is counted
    /// and the bar goes out.
    pub fn accept_gap(&mut self, k: &Kline) -> Verdict {
        if self.next_open().is_some_and(|next| k.open_time > next) {
            self.counts.gaps += 1;
        }
        self.admit(k)
    }

    fn admit(&mut self, k: &Kline) -> Verdict {
        let bar = k.bar();
        match self.cleaner.admit(k.open_time, &bar) {
            Ok(()) => {
                self.last_open = Some(k.open_time);
                self.counts.bars += 1;
                Verdict::Bar(bar)
            }
            Err(reason) => {
                match reason {
                    Reason::Duplicate => self.counts.duplicates += 1,
                    Reason::OutOfOrder => self.counts.out_of_order += 1,
                    _ => self.counts.bad_bars += 1,
                }
                Verdict::Skip(Skip::Rejected(reason))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn stream() -> Stream {
        Stream::parse("BTCUSDT@1m").unwrap()
    }

    fn kline(t: i64, close: f64, closed: bool) -> Kline {
        let bar = Bar { ts: t, open: close, high: close + 1.0, low: close - 1.0, close, volume: 2.0 };
        Kline { closed, ..Kline::closed(&bar, Interval::Fixed(M), t + M) }
    }

    fn offer(s: &mut BarStream, k: Kline) -> Verdict {
        s.offer("BTCUSDT", Interval::Fixed(M), &k)
    }

    #[test]
    fn only_closed_klines_of_the_stream_become_bars_once() {
        let mut s = BarStream::new(stream(), None);
        assert_eq!(offer(&mut s, kline(0, 10.0, false)), Verdict::Skip(Skip::InProgress));
        assert!(matches!(offer(&mut s, kline(0, 10.0, true)), Verdict::Bar(b) if b.ts == 0 && b.close == 10.0));
        // Sent twice (a duplicate, or a resend after a reconnect): once.
        assert_eq!(offer(&mut s, kline(0, 10.0, true)), Verdict::Skip(Skip::Rejected(Reason::Duplicate)));
        assert_eq!(s.offer("ETHUSDT", Interval::Fixed(M), &kline(M, 1.0, true)), Verdict::Skip(Skip::OtherStream));
        assert_eq!(s.offer("BTCUSDT", Interval::Fixed(5 * M), &kline(M, 1.0, true)), Verdict::Skip(Skip::OtherStream));
        assert!(matches!(offer(&mut s, kline(M, 11.0, true)), Verdict::Bar(b) if b.ts == M));
        let c = s.counts();
        assert_eq!((c.bars, c.in_progress, c.duplicates, c.other_stream), (2, 1, 1, 2));
    }

    #[test]
    fn a_hole_asks_for_a_backfill_before_the_bar_after_it() {
        let mut s = BarStream::new(stream(), None);
        assert!(matches!(offer(&mut s, kline(0, 10.0, true)), Verdict::Bar(_)));
        // Bars 1 and 2 were missed while disconnected.
        let late = kline(3 * M, 13.0, true);
        assert_eq!(offer(&mut s, late), Verdict::Backfill { from: M, before: 3 * M });
        for t in [M, 2 * M] {
            assert!(matches!(s.offer_backfill(&kline(t, 11.0, true)), Verdict::Bar(b) if b.ts == t));
        }
        assert!(matches!(offer(&mut s, late), Verdict::Bar(b) if b.ts == 3 * M));
        assert_eq!(s.counts().backfilled, 2);
        // The stream's own copies of backfilled bars, arriving late (the overlap after a reconnect): duplicates.
        assert_eq!(offer(&mut s, kline(2 * M, 11.0, true)), Verdict::Skip(Skip::Rejected(Reason::Duplicate)));
        assert_eq!(s.counts().out_of_order, 0);
        assert_eq!(s.counts().gaps, 0);
    }

    #[test]
    fn the_run_starts_at_the_first_bar_the_feed_shows() {
        let mut s = BarStream::new(stream(), None);
        assert_eq!(s.next_open(), None);
        // The first connection sees bar 2 in progress, then drops; the next sees bar 4 close.
        assert_eq!(offer(&mut s, kline(2 * M, 10.0, false)), Verdict::Skip(Skip::InProgress));
        assert_eq!(s.next_open(), Some(2 * M));
        assert_eq!(offer(&mut s, kline(4 * M, 10.0, true)), Verdict::Backfill { from: 2 * M, before: 4 * M });
        // With warm-up history, the run starts after it, whatever the feed shows first.
        let mut s = BarStream::new(stream(), Some(0));
        assert_eq!(offer(&mut s, kline(3 * M, 10.0, false)), Verdict::Skip(Skip::InProgress));
        assert_eq!(s.next_open(), Some(M));
    }

    #[test]
    fn a_hole_the_venue_cannot_fill_is_accepted_as_a_gap() {
        let mut s = BarStream::new(stream(), Some(0));
        let late = kline(5 * M, 13.0, true);
        assert_eq!(offer(&mut s, late), Verdict::Backfill { from: M, before: 5 * M });
        assert!(matches!(s.accept_gap(&late), Verdict::Bar(b) if b.ts == 5 * M));
        assert_eq!(s.counts().gaps, 1);
        assert_eq!(s.next_open(), Some(6 * M));
    }

    /// A client's loop around the stream: offer each message; on a backfill request, fetch the hole from the
    /// venue's history, offer it, and offer the held kline again (accepting it as a gap if the hole stays).
    fn deliver(history: &[Bar], messages: &[Kline]) -> Vec<Bar> {
        let mut s = BarStream::new(stream(), None);
        let mut out = Vec::new();
        for k in messages {
            match offer(&mut s, *k) {
                Verdict::Bar(b) => out.push(b),
                Verdict::Skip(_) => {}
                Verdict::Backfill { from, before } => {
                    for h in history.iter().filter(|b| b.ts >= from && b.ts < before) {
                        if let Verdict::Bar(b) = s.offer_backfill(&Kline::closed(h, Interval::Fixed(M), 0)) {
                            out.push(b);
                        }
                    }
                    let again = match offer(&mut s, *k) {
                        Verdict::Backfill { .. } => s.accept_gap(k),
                        v => v,
                    };
                    if let Verdict::Bar(b) = again {
                        out.push(b);
                    }
                }
            }
        }
        out
    }

    proptest::proptest! {

        // The same cases every run.

        #![proptest_config(proptest::test_runner::Config {

            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5747_a7a5),

            ..proptest::test_runner::Config::default()

        })]

        /// Whatever the connection does — in-progress updates, duplicates, messages lost while disconnected —
        /// the bars that come out are the history's, each once, in order (holes in the history stay holes).
        #[test]
        fn every_bar_comes_out_once_in_order(
            steps in proptest::collection::vec((1i64..4, 1.0f64..100.0), 1..120),
            deliveries in proptest::collection::vec((0u8..3, proptest::bool::ANY, 0u8..10), 120),
        ) {
            let mut t = 0;
            let history: Vec<Bar> = steps
                .iter()
                .map(|&(gap, close)| {
                    t += gap * M;
                    Bar { ts: t, open: close, high: close + 1.0, low: close - 0.5, close, volume: 1.0 }
                })
                .collect();
            let mut messages = Vec::new();
            for (i, (bar, &(updates, duplicate, lost))) in history.iter().zip(&deliveries).enumerate() {
                // A close lost while disconnected — except the first bar's (where the live run starts; earlier
                // bars are warm-up history) and the last one's (seeing a later bar is how a client finds a hole).
                if lost == 0 && i > 0 && bar.ts != t {
                    continue;
                }
                let close = Kline::closed(bar, Interval::Fixed(M), bar.ts + M);
                for _ in 0..updates {
                    messages.push(Kline { closed: false, close: bar.open, ..close });
                }
                messages.push(close);
                if duplicate {
                    messages.push(close);
                }
            }
            proptest::prop_assert_eq!(deliver(&history, &messages), history);
        }
    }

    #[test]
    fn time_going_backwards_and_bad_bars_are_rejected_and_counted() {
        let mut s = BarStream::new(stream(), Some(10 * M));
        assert_eq!(offer(&mut s, kline(4 * M, 5.0, true)), Verdict::Skip(Skip::Rejected(Reason::OutOfOrder)));
        let mut bad = kline(11 * M, 5.0, true);
        bad.high = 3.0;
        assert_eq!(offer(&mut s, bad), Verdict::Skip(Skip::Rejected(Reason::HighBelowLow)));
        // A backfill page reaching back before the hole gives nothing twice.
        assert_eq!(s.offer_backfill(&kline(10 * M, 5.0, true)), Verdict::Skip(Skip::Rejected(Reason::Duplicate)));
        let c = s.counts();
        assert_eq!((c.out_of_order, c.bad_bars, c.duplicates, c.bars), (1, 1, 1, 0));
    }
}
