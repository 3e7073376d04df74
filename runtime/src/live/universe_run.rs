//! A live universe run: many symbols' bars merged into timestamps and stepped through the basket a universe
//! backtest uses, with a journal and the decision latency kept on the side.
//!
//! Design choice: as [`super::run::LiveRun`] is a [`BarSink`] around the backtest's per-bar step, [`LiveBasket`] is
//! one around the universe backtest's per-timestamp step, [`Basket::on_group`], fed by the [`Barrier`] — which lets
//! out the backtest's own groups over the same bars. So the paper fills, the equity curve and the summary are the
//! universe backtest's, and what only a live run has (the journal, latency, heartbeats, an operator's trading state)
//! is recorded beside the step. The journal (each bar and fill with its symbol) is enough to resume a killed run:
//! its timestamps are stepped again through the same basket ([`LiveBasket::resume`]). The one decision taken on the
//! wall clock is when to stop waiting for a stream that has stopped ([`LiveBasket::stall_after`]); it is logged and
//! recorded in `live.json`, and a run whose streams all keep sending never takes it.

use std::time::{Duration, Instant};

use tracing::{info, warn};

use super::feed::{BarSink, FeedStatus, Flow};
use super::resume::JournalRun;
use super::run::{
    Entry, Journal, LatencyHistogram, LatencySummary, LiveRecord, RunEnd, Stall, StateControl, UniverseRecord,
    state_change,
};
use super::universe::Barrier;
use crate::backtest::RunError;
use crate::bar::Bar;
use crate::basket::{Basket, UniverseReport};
use crate::data::universe::Universe;
use crate::metrics::RunFacts;
use crate::output::OutputError;

/// A universe's live run, fed by a [`super::feed::Feed`] over all its symbols' streams.
pub struct LiveBasket {
    basket: Basket,
    barrier: Barrier,
    symbols: Vec<String>,
    journal: Option<Journal>,
    /// Stop after this many timestamps traded.
    max_timestamps: Option<u64>,
    latency: LatencyHistogram,
    error: Option<RunError>,
    control: Option<StateControl>,
    /// How many of the basket's fills the journal already has.
    journalled: usize,
    /// The members of the group being stepped (copied out of the barrier, which the basket then reads).
    members: Vec<usize>,
    warm_timestamps: usize,
    /// The open time of the last timestamp stepped (warm-up included).
    last: Option<i64>,
    /// How long a timestamp may wait for some streams before the run goes on without them.
    stall_after: Option<Duration>,
    /// The earliest timestamp waiting, and since when.
    waiting: Option<(i64, Instant)>,
    stalls: Vec<Stall>,
}

impl LiveBasket {
    /// A run of `basket` over `symbols` (its books' symbols, in order), journalled in `journal`, stopping after
    /// `max_timestamps` traded timestamps.
    pub fn new(
        mut basket: Basket,
        symbols: Vec<String>,
        journal: Option<Journal>,
        max_timestamps: Option<u64>,
    ) -> Self {
        basket.record_placed();
        let barrier = Barrier::new(symbols.len());
        Self {
            basket,
            barrier,
            symbols,
            journal,
            max_timestamps,
            latency: LatencyHistogram::default(),
            error: None,
            control: None,
            journalled: 0,
            members: Vec::new(),
            warm_timestamps: 0,
            last: None,
            stall_after: None,
            waiting: None,
            stalls: Vec::new(),
        }
    }

    /// Stops waiting for streams that hold a timestamp back longer than `limit` (checked at each heartbeat): the
    /// timestamp goes out without them, and they are waited for again once they send a bar. `None`: wait forever.
    pub fn stall_after(&mut self, limit: Option<Duration>) {
        self.stall_after = limit;
    }

    /// Notes when the earliest timestamp waiting began to wait.
    fn note_waiting(&mut self) {
        self.waiting = match (self.barrier.earliest_pending(), self.waiting) {
            (Some(ts), Some((w, since))) if w == ts => Some((w, since)),
            (Some(ts), _) => Some((ts, Instant::now())),
            (None, _) => None,
        };
    }

    /// Gives up on the streams a timestamp has waited for longer than the limit, and steps what that lets out.
    fn check_stalls(&mut self) -> Result<Flow, RunError> {
        let (Some(limit), Some((ts, since))) = (self.stall_after, self.waiting) else { return Ok(Flow::Continue) };
        if since.elapsed() < limit {
            return Ok(Flow::Continue);
        }
        let stalled = self.barrier.waiting_for();
        let symbols: Vec<String> = stalled.iter().map(|&s| self.symbols[s].clone()).collect();
        warn!(
            at = ts,
            symbols = %symbols.join(","),
            waited_s = since.elapsed().as_secs_f64(),
            "streams stopped: going on without them until they send again"
        );
        self.stalls.push(Stall { at: ts, symbols });
        self.barrier.give_up(&stalled);
        let flow = self.step_complete(Instant::now())?;
        self.note_waiting();
        Ok(flow)
    }

    /// Applies the trading state an operator asks for (a signal or a command file) before each timestamp.
    pub fn control(&mut self, control: StateControl) {
        self.control = Some(control);
    }

    /// Writes the journal's first line, which names the universe.
    pub fn start(&mut self, facts: &RunFacts) -> Result<(), OutputError> {
        if let Some(j) = self.journal.as_mut() {
            j.write(&Entry::Start {
                strategy: &facts.strategy,
                feed: &facts.data,
                params: &facts.params,
                run_id: None,
                venue_start: None,
                universe: Some(&self.symbols),
            })?;
            j.sync()?;
        }
        Ok(())
    }

    /// Steps warm-up history — a universe of the run's symbols, in the same order — one timestamp at a time without
    /// trading ([`Basket::warm`]).
    pub fn warm(&mut self, history: &Universe) -> Result<(), RunError> {
        let mut groups = history.groups();
        while let Some((ts, members)) = groups.next_group() {
            self.members.clear();
            self.members.extend_from_slice(members);
            self.basket.warm(&self.members, &groups)?;
            if let Some(j) = self.journal.as_mut() {
                for &s in &self.members {
                    j.write(&Entry::WarmupBar {
                        symbol: Some(&self.symbols[s]),
                        bar: crate::basket::GroupBars::bar(&groups, s),
                    })?;
                }
            }
            self.warm_timestamps += 1;
            self.last = Some(ts);
        }
        if let Some(j) = self.journal.as_mut() {
            j.flush()?;
        }
        Ok(())
    }

    /// Replays the last run of a journal — a universe run that was killed — through the same basket: its warm-up
    /// and its timestamps are stepped again (series, `var`s, orders and the portfolio come back exactly), each
    /// timestamp's fills checked against the journal's. Nothing replayed is written again; a `resume` line says what
    /// was recovered. Returns the open time of the last timestamp stepped, where the streams go on from.
    pub fn resume(&mut self, run: &JournalRun) -> Result<Option<i64>, RunError> {
        let symbols = self.symbols.clone();
        let index = |symbol: &Option<String>, line: &str| -> Result<usize, RunError> {
            symbol.as_deref().and_then(|s| symbols.iter().position(|x| x == s)).ok_or_else(|| {
                RunError::Resume(format!(
                    "the journal's {line} names {} — not a symbol of this run ({})",
                    symbol.as_deref().unwrap_or("no symbol"),
                    symbols.join(", ")
                ))
            })
        };
        let mut warm: Vec<Vec<Bar>> = vec![Vec::new(); self.symbols.len()];
        for (bar, symbol) in run.warmup.iter().zip(&run.warmup_symbols) {
            warm[index(symbol, "warm-up bar")?].push(*bar);
        }
        let journal = self.journal.take();
        let warmup = Universe::from_bars(self.symbols.clone(), warm);
        self.warm(&warmup)?;
        // The journal's timestamps, in order: consecutive bar lines with the same open time.
        let mut at = 0;
        while at < run.bars.len() {
            let ts = run.bars[at].bar.ts;
            let end = run.bars[at..].iter().position(|b| b.bar.ts != ts).map_or(run.bars.len(), |k| at + k);
            let mut barrier = Barrier::new(self.symbols.len());
            let mut want = Vec::new();
            for b in &run.bars[at..end] {
                let s = index(&b.symbol, "bar")?;
                barrier.push(s, b.bar);
                want.extend(b.fills.iter().copied());
            }
            // Every symbol has reached this timestamp: the group is the journal's members.
            for s in 0..self.symbols.len() {
                barrier.push(s, Bar { ts: i64::MAX, ..run.bars[at].bar });
            }
            let before = self.basket.fills().len();
            if let Some((ts, members)) = barrier.next_group() {
                self.members.clear();
                self.members.extend_from_slice(members);
                self.basket.on_group(ts, &self.members, &barrier)?;
                self.last = Some(ts);
            }
            let got: Vec<_> = self.basket.fills()[before..].iter().map(|f| f.fill).collect();
            if got != want {
                return Err(RunError::Resume(format!(
                    "replaying the journal, the timestamp at {ts} filled {got:?}, where the journal says {want:?}: the \
                     strategy, its params or the run's options are not the ones that wrote it"
                )));
            }
            at = end;
        }
        self.journalled = self.basket.fills().len();
        self.journal = journal;
        if let Some(j) = self.journal.as_mut() {
            j.write(&Entry::Resume { bars: run.bars.len(), recovered_orders: 0, caught_up_fills: 0 })?;
            j.sync()?;
        }
        info!(timestamps = self.basket.timestamps(), "journal replayed");
        Ok(self.last)
    }

    /// Timestamps traded so far.
    pub fn timestamps(&self) -> usize {
        self.basket.timestamps()
    }

    /// The open time of the last timestamp stepped, warm-up included.
    pub fn last(&self) -> Option<i64> {
        self.last
    }

    pub fn take_error(&mut self) -> Option<RunError> {
        self.error.take()
    }

    /// The symbols the next timestamp waits for.
    pub fn waiting_for(&self) -> Vec<&str> {
        self.barrier.waiting_for().into_iter().map(|s| self.symbols[s].as_str()).collect()
    }

    fn apply_control(&mut self) -> Result<(), OutputError> {
        if let Some(state) = state_change(self.control.as_ref(), self.basket.trading_state(), self.journal.as_mut())? {
            self.basket.set_trading_state(state);
        }
        Ok(())
    }

    /// Steps every timestamp the barrier lets out; `received` is when the bar that completed them was read.
    fn step_complete(&mut self, received: Instant) -> Result<Flow, RunError> {
        while let Some((ts, members)) = self.barrier.next_group() {
            self.members.clear();
            self.members.extend_from_slice(members);
            self.apply_control()?;
            self.basket.on_group(ts, &self.members, &self.barrier)?;
            self.last = Some(ts);
            // The timestamp's orders are placed: the decision is made.
            self.latency.record(received.elapsed());
            if let Some(j) = self.journal.as_mut() {
                journal_group(j, &self.symbols, &self.members, &self.barrier, &self.basket, self.journalled)?;
            }
            self.journalled = self.basket.fills().len();
            if self.max_timestamps.is_some_and(|m| self.basket.timestamps() as u64 >= m) {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    /// Ends the run (orders still waiting for an open are cancelled, as at the end of a backtest) and returns the
    /// universe report, the live record with the feed's final `feed` status, and what writes the journal's `stop`
    /// line once the caller has committed the outputs.
    pub fn finish(mut self, facts: RunFacts, stopped: &str, feed: FeedStatus) -> (UniverseReport, LiveRecord, RunEnd) {
        let us = |d: Option<std::time::Duration>| d.map_or(0.0, |d| d.as_nanos() as f64 / 1000.0);
        let latency = LatencySummary {
            bars: self.latency.count(),
            p50_us: us(self.latency.quantile(0.5)),
            p99_us: us(self.latency.quantile(0.99)),
            max_us: us(Some(self.latency.max())),
        };
        let end = RunEnd::new(self.journal.take(), stopped);
        let report = self.basket.finish(&self.symbols, facts);
        let universe = Some(UniverseRecord { stalls: self.stalls, late_bars: self.barrier.late() });
        let record = LiveRecord {
            feed,
            warmup_bars: self.warm_timestamps,
            latency,
            stopped: stopped.to_string(),
            venue: None,
            universe,
        };
        (report, record, end)
    }
}

/// A traded timestamp's lines — each member's bar, the fills at its open, the orders placed at its close — written
/// in one piece, so that a resumed run finds the whole timestamp or none of it.
fn journal_group(
    j: &mut Journal,
    symbols: &[String],
    members: &[usize],
    barrier: &Barrier,
    basket: &Basket,
    journalled: usize,
) -> Result<(), OutputError> {
    use crate::basket::GroupBars;
    let mut lines: Vec<Entry<'_>> =
        members.iter().map(|&s| Entry::Bar { symbol: Some(&symbols[s]), bar: barrier.bar(s) }).collect();
    lines.extend(
        basket.fills()[journalled..].iter().map(|f| Entry::Fill { symbol: Some(&symbols[f.symbol]), fill: &f.fill }),
    );
    lines.extend(basket.placed().iter().map(|(s, order)| Entry::Order { symbol: Some(&symbols[*s]), order }));
    j.write_all(&lines)
}

impl BarSink for LiveBasket {
    fn bar(&mut self, symbol: usize, bar: &Bar, received: Instant, _: &FeedStatus) -> Flow {
        self.barrier.push(symbol, *bar);
        let stepped = self.step_complete(received);
        self.note_waiting();
        match stepped {
            Ok(flow) => flow,
            Err(e) => {
                self.error = Some(e);
                Flow::Stop
            }
        }
    }

    fn heartbeat(&mut self, status: &FeedStatus) -> Flow {
        if let Err(e) = self.apply_control().and_then(|()| self.journal.as_mut().map_or(Ok(()), Journal::flush)) {
            warn!(error = %e, "the journal could not be written");
        }
        info!(
            last_bar = status.last_bar,
            timestamps = self.basket.timestamps(),
            cash = self.basket.cash(),
            state = %self.basket.trading_state(),
            waiting_for = %self.waiting_for().join(","),
            reconnects = status.reconnects,
            bad_messages = status.bad_messages,
            gaps = status.counts.gaps,
            "heartbeat"
        );
        match self.check_stalls() {
            Ok(flow) => flow,
            Err(e) => {
                self.error = Some(e);
                Flow::Stop
            }
        }
    }
}
