//! Live universes: many symbols' streams merged into timestamps, exactly as a backtest's [`Groups`] hands them out.
//!
//! Design choice: a timestamp is let out only when it is complete — when every symbol's stream has shown a bar at or
//! after it — and then with every symbol that has a bar at it, in symbol order. Each symbol's bars already arrive
//! once, in order, holes backfilled ([`super::bars::BarStream`]), so whatever the interleaving of the streams (a
//! quiet symbol, a reconnect's catch-up of one symbol after another), the groups are the backtest's groups over the
//! same bars: a symbol missing at a timestamp is simply not a member of it, in both modes. The price is latency —
//! a timestamp waits for the slowest stream. A stream that stops altogether (a halted or delisted symbol) would hold
//! the run, so the run may give up on it ([`Barrier::give_up`]): its timestamps go on without it until it sends a
//! bar again, and a bar of a timestamp already let out is dropped and counted ([`Barrier::late`]). Pure: no I/O, no
//! clock — when to give up is the caller's decision.
//!
//! [`Groups`]: crate::data::universe::Groups

use std::collections::VecDeque;

use crate::bar::Bar;
use crate::basket::GroupBars;

/// The bars of each symbol not yet let out, and how far each stream has come.
#[derive(Debug, Clone)]
pub struct Barrier {
    queues: Vec<VecDeque<Bar>>,
    /// The open time of the last bar each symbol's stream delivered (`None`: nothing yet).
    seen: Vec<Option<i64>>,
    /// The group let out last: its members, and each member's bar (by symbol).
    members: Vec<usize>,
    current: Vec<Bar>,
    /// Streams given up on: not waited for until they send a bar again.
    stalled: Vec<bool>,
    /// The last timestamp let out.
    released: Option<i64>,
    /// Bars dropped for arriving after their timestamp was let out.
    late: u64,
}

impl Barrier {
    /// A barrier over `symbols` streams, numbered as the universe's symbols.
    pub fn new(symbols: usize) -> Self {
        Self {
            queues: vec![VecDeque::new(); symbols],
            seen: vec![None; symbols],
            members: Vec::new(),
            current: vec![
                Bar { ts: 0, open: f64::NAN, high: f64::NAN, low: f64::NAN, close: f64::NAN, volume: 0.0 };
                symbols
            ],
            stalled: vec![false; symbols],
            released: None,
            late: 0,
        }
    }

    /// Symbol `s`'s next bar from its stream (later than its last one: a [`super::bars::BarStream`] guarantees it).
    /// A bar no later than the symbol's last is ignored; one of a timestamp already let out (a stream given up on,
    /// come back) is dropped and counted as late. A bar ends the symbol's stall.
    pub fn push(&mut self, s: usize, bar: Bar) {
        let (Some(queue), Some(seen)) = (self.queues.get_mut(s), self.seen.get_mut(s)) else { return };
        if seen.is_some_and(|t| bar.ts <= t) {
            return;
        }
        *seen = Some(bar.ts);
        self.stalled[s] = false;
        if self.released.is_some_and(|r| bar.ts <= r) {
            self.late += 1;
            return;
        }
        queue.push_back(bar);
    }

    /// Stops waiting for the streams `symbols` until each sends a bar again: the timestamps waiting go out without
    /// them (as a backtest of the bars the run received would let them out).
    pub fn give_up(&mut self, symbols: &[usize]) {
        for &s in symbols {
            if let Some(x) = self.stalled.get_mut(s) {
                *x = true;
            }
        }
    }

    /// Bars dropped for arriving after their timestamp was let out.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// The earliest timestamp waiting to be let out.
    pub fn earliest_pending(&self) -> Option<i64> {
        self.queues.iter().filter_map(|q| q.front().map(|b| b.ts)).min()
    }

    /// The earliest timestamp not yet let out, if every stream has come at least that far; then its members (symbol
    /// indices, in order), whose bars [`GroupBars::bar`] gives until the next call.
    pub fn next_group(&mut self) -> Option<(i64, &[usize])> {
        let ts = self.earliest_pending()?;
        if self.behind(ts).next().is_some() {
            return None;
        }
        self.released = Some(ts);
        self.members.clear();
        for (s, queue) in self.queues.iter_mut().enumerate() {
            if queue.front().is_some_and(|b| b.ts == ts)
                && let Some(bar) = queue.pop_front()
            {
                self.current[s] = bar;
                self.members.push(s);
            }
        }
        Some((ts, &self.members))
    }

    /// The symbols whose streams have not yet reached the earliest timestamp waiting to be let out (empty when
    /// nothing waits).
    pub fn waiting_for(&self) -> Vec<usize> {
        self.earliest_pending().map_or_else(Vec::new, |ts| self.behind(ts).collect())
    }

    /// The streams (not given up on) that have not reached `ts`.
    fn behind(&self, ts: i64) -> impl Iterator<Item = usize> + '_ {
        (0..self.seen.len()).filter(move |&s| !self.stalled[s] && self.seen[s].is_none_or(|t| t < ts))
    }

    /// Bars received and not yet let out.
    pub fn pending(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }
}

impl GroupBars for Barrier {
    #[inline]
    fn bar(&self, s: usize) -> &Bar {
        &self.current[s]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::universe::Universe;
    use proptest::prelude::*;

    fn bar(ts: i64, close: f64) -> Bar {
        Bar { ts, open: close, high: close, low: close, close, volume: 1.0 }
    }

    fn universe(bars: Vec<Vec<Bar>>) -> Universe {
        let symbols = (0..bars.len()).map(|s| format!("S{s}")).collect();
        Universe::from_bars(symbols, bars)
    }

    /// The groups a backtest steps through: (timestamp, members, each member's close).
    fn backtest_groups(u: &Universe) -> Vec<(i64, Vec<(usize, f64)>)> {
        let mut g = u.groups();
        let mut out = Vec::new();
        while let Some((ts, members)) = g.next_group() {
            let members = members.to_vec();
            out.push((ts, members.iter().map(|&s| (s, g.bar(s).close)).collect()));
        }
        out
    }

    fn drain(b: &mut Barrier, out: &mut Vec<(i64, Vec<(usize, f64)>)>) {
        while let Some((ts, members)) = b.next_group() {
            let members = members.to_vec();
            out.push((ts, members.iter().map(|&s| (s, b.bar(s).close)).collect()));
        }
    }

    #[test]
    fn a_timestamp_waits_for_every_stream_and_a_missing_bar_is_not_a_member() {
        let mut b = Barrier::new(3);
        let mut out = Vec::new();
        b.push(0, bar(60, 1.0));
        b.push(1, bar(60, 2.0));
        drain(&mut b, &mut out);
        assert!(out.is_empty(), "symbol 2 has not reached 60");
        assert_eq!(b.waiting_for(), vec![2]);
        // Symbol 2 has no bar at 60: its next bar, at 120, shows it has passed it.
        b.push(2, bar(120, 3.0));
        drain(&mut b, &mut out);
        assert_eq!(out, vec![(60, vec![(0, 1.0), (1, 2.0)])]);
        assert_eq!(b.waiting_for(), vec![0, 1]);
        b.push(0, bar(120, 1.5));
        b.push(1, bar(180, 2.5));
        drain(&mut b, &mut out);
        assert_eq!(out[1], (120, vec![(0, 1.5), (2, 3.0)]));
        assert_eq!(out.len(), 2, "180 waits for symbols 0 and 2");
        assert_eq!(b.pending(), 1);
        // A repeated or older bar changes nothing.
        b.push(0, bar(120, 9.0));
        assert_eq!(b.pending(), 1);
    }

    #[test]
    fn a_stream_given_up_on_is_not_waited_for_until_it_sends_again() {
        let mut b = Barrier::new(2);
        let mut out = Vec::new();
        b.push(0, bar(60, 1.0));
        b.push(0, bar(120, 1.1));
        drain(&mut b, &mut out);
        assert!(out.is_empty());
        b.give_up(&[1]);
        drain(&mut b, &mut out);
        assert_eq!(out, vec![(60, vec![(0, 1.0)]), (120, vec![(0, 1.1)])]);
        // Its bar for a timestamp already let out is late: dropped and counted. Its next one ends the stall.
        b.push(1, bar(120, 2.0));
        assert_eq!((b.late(), b.pending()), (1, 0));
        b.push(0, bar(180, 1.2));
        drain(&mut b, &mut out);
        assert_eq!(out.len(), 2, "waiting for symbol 1 again");
        assert_eq!(b.waiting_for(), vec![1]);
        b.push(1, bar(180, 2.1));
        drain(&mut b, &mut out);
        assert_eq!(out[2], (180, vec![(0, 1.2), (1, 2.1)]));
    }

    /// Bars of a few symbols on a minute grid, with holes (a symbol missing at some minutes); every symbol has the
    /// last minute, so every timestamp ends complete.
    fn histories() -> impl Strategy<Value = Vec<Vec<Bar>>> {
        (1usize..5, 1usize..60).prop_flat_map(|(symbols, minutes)| {
            prop::collection::vec(prop::collection::vec(any::<bool>(), minutes), symbols).prop_map(move |present| {
                present
                    .iter()
                    .enumerate()
                    .map(|(s, p)| {
                        (0..minutes)
                            .filter(|&m| p[m] || m + 1 == minutes)
                            .map(|m| bar(60_000 * m as i64, (s * 1000 + m) as f64))
                            .collect()
                    })
                    .collect()
            })
        })
    }

    proptest! {
        // The same cases every run.
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5747_a7a5),
            ..ProptestConfig::default()
        })]

        /// Whatever order the streams' bars arrive in (each stream's own order kept), the barrier lets out the
        /// backtest's groups, each as soon as it is complete.
        #[test]
        fn any_interleaving_gives_the_backtests_groups(bars in histories(), order in prop::collection::vec(0usize..5, 0..400)) {
            let want = backtest_groups(&universe(bars.clone()));
            let mut b = Barrier::new(bars.len());
            let mut next = vec![0usize; bars.len()];
            let mut got = Vec::new();
            // Streams picked by `order` (then round robin), one bar at a time.
            let mut picks = order.into_iter().chain((0..).map(|i| i % 5));
            while next.iter().zip(&bars).any(|(&n, b)| n < b.len()) {
                let Some(s) = picks.next().map(|p| p % bars.len()) else { break };
                if next[s] == bars[s].len() {
                    continue;
                }
                b.push(s, bars[s][next[s]]);
                next[s] += 1;
                drain(&mut b, &mut got);
                // Complete timestamps never wait: the earliest one pending has a stream behind it.
                prop_assert!(b.pending() == 0 || !b.waiting_for().is_empty());
            }
            prop_assert_eq!(got, want);
            prop_assert_eq!(b.pending(), 0);
        }
    }
}
