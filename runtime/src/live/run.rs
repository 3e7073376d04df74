//! A live run: the feed's bars stepped through the session and recorder a backtest uses, with a journal and the
//! decision latency kept on the side.
//!
//! Design choice: [`LiveRun`] is only a [`BarSink`] around [`backtest::step`] — the function a backtest calls for
//! each bar — so the paper broker *is* the backtest's simulated broker and the outputs are the backtest's files.
//! What only a live run has (the journal of every bar and order event, the latency from a bar's message to the
//! orders it caused, heartbeats, the venue's orders with `--broker binance`) is recorded beside the step, never inside
//! it; with a venue the session is [`Session::external`] and the venue's fills are delivered to it between bars. The
//! journal is enough to resume a killed run ([`LiveRun::resume`]).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tracing::{info, warn};

use tokio::sync::mpsc::error::TrySendError;

use super::feed::{BarSink, FeedStatus, Flow};
use super::signals::Signal;
use crate::backtest::{self, RunError};
use crate::bar::Bar;
use crate::metrics::RunFacts;
use crate::order::{Fill, OrderIntent, Rejection};
use crate::output::{OutputError, Recorder};
use crate::risk::{Denial, TradingState};
use crate::session::{BarOutcome, Report, Session};
use crate::venue::broker::{Holdings, VenueBroker, VenueEvent};

/// One line of the journal.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry<'a> {
    /// A run began.
    Start {
        strategy: &'a str,
        feed: &'a str,
        params: &'a serde_json::Map<String, serde_json::Value>,
        /// With a venue: the run's id (in its client order ids) and the account when it began.
        #[serde(skip_serializing_if = "Option::is_none")]
        run_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        venue_start: Option<HoldingsRecord>,
        /// A universe run: its symbols, in order (the other lines then name theirs).
        #[serde(skip_serializing_if = "Option::is_none")]
        universe: Option<&'a [String]>,
    },
    /// The run was started again after it was killed: the journal's bars were replayed, and the venue reconciled.
    Resume { bars: usize, recovered_orders: usize, caught_up_fills: usize },
    /// A bar of warm-up history, stepped without trading.
    WarmupBar {
        #[serde(skip_serializing_if = "Option::is_none")]
        symbol: Option<&'a str>,
        bar: &'a Bar,
    },
    /// A closed bar from the feed, stepped.
    Bar {
        #[serde(skip_serializing_if = "Option::is_none")]
        symbol: Option<&'a str>,
        bar: &'a Bar,
    },
    /// An order placed at that bar's close, to fill at the next bar's open.
    Order {
        #[serde(skip_serializing_if = "Option::is_none")]
        symbol: Option<&'a str>,
        order: &'a OrderIntent,
    },
    /// A fill at that bar's open.
    Fill {
        #[serde(skip_serializing_if = "Option::is_none")]
        symbol: Option<&'a str>,
        fill: &'a Fill,
    },
    /// An order refused on that bar.
    Rejected { rejection: &'a Rejection },
    /// An order the risk limits denied on that bar.
    Denied { denial: &'a Denial },
    /// What the venue did with an order (`--broker binance`).
    Venue { venue: &'a VenueEvent },
    /// The trading state changed (an operator's signal or command file), from the next order on.
    State { state: TradingState, from: TradingState },
    /// The run ended.
    Stop { reason: &'a str, bars: usize, final_equity: f64 },
}

/// An append-only JSON-lines file of everything a live run received and did, flushed after each bar so that a
/// crash loses at most the bar in hand. Opened for appending: an earlier run's lines are never rewritten.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Journal {
    pub fn open(path: &Path) -> Result<Self, OutputError> {
        let io = |source| OutputError::Io { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        drop_torn_tail(path).map_err(io)?;
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        Ok(Self { path: path.to_path_buf(), out: BufWriter::new(file) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, entry: &Entry<'_>) -> Result<(), OutputError> {
        let io = |source| OutputError::Io { path: self.path.clone(), source };
        serde_json::to_writer(&mut self.out, entry).map_err(|e| io(e.into()))?;
        self.out.write_all(b"\n").map_err(io)
    }

    /// Writes `entries` and hands them to the operating system in one piece (after what was written before them):
    /// a universe's timestamp, whose lines a resumed run must find all or none of. A process killed during the one
    /// write leaves at most a torn last line, which [`Journal::open`] cuts.
    pub fn write_all(&mut self, entries: &[Entry<'_>]) -> Result<(), OutputError> {
        let io = |source| OutputError::Io { path: self.path.clone(), source };
        let mut buf = Vec::with_capacity(256 * entries.len());
        for entry in entries {
            serde_json::to_writer(&mut buf, entry).map_err(|e| io(e.into()))?;
            buf.push(b'\n');
        }
        self.out.flush().map_err(io)?;
        self.out.get_mut().write_all(&buf).map_err(io)
    }

    /// Hands what was written to the operating system.
    pub fn flush(&mut self) -> Result<(), OutputError> {
        self.out.flush().map_err(|source| OutputError::Io { path: self.path.clone(), source })
    }

    /// Writes what was written through to the disk: after this, a crash of the process or the machine keeps it.
    pub fn sync(&mut self) -> Result<(), OutputError> {
        self.flush()?;
        self.out.get_ref().sync_data().map_err(|source| OutputError::Io { path: self.path.clone(), source })
    }
}

/// Cuts a last line that a killed process left unfinished (no newline): it never happened, and appending after it
/// would glue the next line onto it.
fn drop_torn_tail(path: &Path) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = OpenOptions::new().read(true).write(true).open(path) else { return Ok(()) };
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    // Find the last newline, reading backwards in blocks.
    let mut end = len;
    let mut block = vec![0u8; 4096];
    loop {
        let start = end.saturating_sub(block.len() as u64);
        let n = (end - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut block[..n])?;
        if let Some(i) = block[..n].iter().rposition(|&b| b == b'\n') {
            let keep = start + i as u64 + 1;
            if keep < len {
                f.set_len(keep)?;
                f.sync_data()?;
            }
            return Ok(());
        }
        if start == 0 {
            // No complete line at all.
            f.set_len(0)?;
            return f.sync_data();
        }
        end = start;
    }
}

/// Latencies in buckets: 100 ns wide up to 100 µs, 10 µs wide up to 10 ms, then one bucket for the rest.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    n: u64,
    max: Duration,
}

const FINE: usize = 1000;
const COARSE: usize = 1000;

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self { counts: vec![0; FINE + COARSE + 1], n: 0, max: Duration::ZERO }
    }
}

impl LatencyHistogram {
    pub fn record(&mut self, d: Duration) {
        // Buckets are closed above: (a, b].
        let ns = d.as_nanos().saturating_sub(1);
        let i = if ns < 100_000 {
            (ns / 100) as usize
        } else if ns < 10_000_000 {
            FINE + (ns / 10_000) as usize - 10
        } else {
            FINE + COARSE
        };
        self.counts[i.min(FINE + COARSE)] += 1;
        self.n += 1;
        self.max = self.max.max(d);
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// The `q`-quantile (0..=1), as the upper edge of its bucket (the maximum for the last bucket).
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.n == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let upper = if i < FINE {
                    Duration::from_nanos((i as u64 + 1) * 100)
                } else if i < FINE + COARSE {
                    Duration::from_nanos((i - FINE + 11) as u64 * 10_000)
                } else {
                    self.max
                };
                return Some(upper.min(self.max));
            }
        }
        Some(self.max)
    }

    pub fn max(&self) -> Duration {
        self.max
    }
}

/// Decision latency of a run, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub bars: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

/// What a live run adds to a backtest's report.
#[derive(Debug, Clone, Serialize)]
pub struct LiveRecord {
    pub feed: FeedStatus,
    pub warmup_bars: usize,
    /// From reading the message that closed a bar to the session having placed that bar's orders.
    pub latency: LatencySummary,
    /// Why the run ended: `max-bars`, `signal`, `strategy error`, `output error`, `feed error`.
    pub stopped: String,
    /// With `--broker binance`: the venue account at the end, and whether it explains the run's position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<VenueRecord>,
    /// A universe run's streams given up on, and bars that came too late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub universe: Option<UniverseRecord>,
}

/// What a universe's live run did about streams that stopped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UniverseRecord {
    /// Each time the run stopped waiting for some symbols' streams: the timestamp it was waiting to let out, and who.
    pub stalls: Vec<Stall>,
    /// Bars dropped because their timestamp had gone out without them.
    pub late_bars: u64,
}

/// Symbols given up on while a timestamp waited for them longer than `--stall-after`.
#[derive(Debug, Clone, Serialize)]
pub struct Stall {
    pub at: i64,
    pub symbols: Vec<String>,
}

/// The venue account at the end of a run, against the run's own books.
#[derive(Debug, Clone, Serialize)]
pub struct VenueRecord {
    pub symbol: String,
    /// The account's base and quote balances when the run began and ended.
    pub start: HoldingsRecord,
    pub end: Option<HoldingsRecord>,
    /// Orders still open at the venue.
    pub open_orders: usize,
    /// The run's position.
    pub position: f64,
    /// Whether the base balance changed by exactly the run's position (to the venue's 8 decimals).
    pub reconciled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct HoldingsRecord {
    pub base: f64,
    pub quote: f64,
}

impl From<Holdings> for HoldingsRecord {
    fn from(h: Holdings) -> Self {
        Self { base: h.base, quote: h.quote }
    }
}

/// The end of a run, not yet written: [`RunEnd::close`] writes the journal's `stop` line.
#[derive(Debug)]
pub struct RunEnd {
    journal: Option<Journal>,
    reason: String,
}

impl RunEnd {
    /// The end of a run journalled in `journal`, which ended for `reason`.
    pub(crate) fn new(journal: Option<Journal>, reason: &str) -> Self {
        Self { journal, reason: reason.to_string() }
    }

    /// Writes the `stop` line (synced): from now on the journal's run is over, and a restart starts a new one.
    pub fn close(mut self, report: &Report) -> Result<(), OutputError> {
        if let Some(j) = self.journal.as_mut() {
            let (bars, final_equity) = (report.summary.bars, report.summary.final_equity);
            j.write(&Entry::Stop { reason: &self.reason, bars, final_equity })?;
            j.sync()?;
        }
        Ok(())
    }
}

/// The trading state `control` asks for, if it differs from the run's state `from`: the change is logged and
/// journalled, and the caller applies it.
pub(crate) fn state_change(
    control: Option<&StateControl>,
    from: TradingState,
    journal: Option<&mut Journal>,
) -> Result<Option<TradingState>, OutputError> {
    let Some(state) = control.map(StateControl::requested).filter(|&s| s != from) else { return Ok(None) };
    warn!(%state, %from, "trading state changed");
    if let Some(j) = journal {
        j.write(&Entry::State { state, from })?;
    }
    Ok(Some(state))
}

/// The trading state an operator asked for (by a signal or a command file), shared with the run, which applies it
/// before its next bar.
#[derive(Debug, Clone, Default)]
pub struct StateControl(Arc<AtomicU8>);

impl StateControl {
    pub fn request(&self, state: TradingState) {
        self.0.store(state as u8, Ordering::Relaxed);
    }

    pub fn requested(&self) -> TradingState {
        match self.0.load(Ordering::Relaxed) {
            1 => TradingState::Reducing,
            2 => TradingState::Halted,
            _ => TradingState::Active,
        }
    }
}

/// The session of a live run, fed by a [`super::feed::Feed`].
pub struct LiveRun<'r> {
    session: Session,
    recorder: &'r mut dyn Recorder,
    journal: Option<Journal>,
    max_bars: Option<u64>,
    latency: LatencyHistogram,
    error: Option<RunError>,
    signals: Option<SignalQueue>,
    sink_error: Option<String>,
    control: Option<StateControl>,
    venue: Option<(VenueBroker, Holdings)>,
    /// Acknowledge each finished bar to a lockstep rehearsal venue.
    lockstep: bool,
}

/// Where a run's intents are queued for a signal sink, and how they are labelled.
struct SignalQueue {
    tx: tokio::sync::mpsc::Sender<Signal>,
    strategy: String,
    feed: String,
}

impl<'r> LiveRun<'r> {
    pub fn new(
        session: Session,
        recorder: &'r mut dyn Recorder,
        journal: Option<Journal>,
        max_bars: Option<u64>,
    ) -> Self {
        Self {
            session,
            recorder,
            journal,
            max_bars,
            latency: LatencyHistogram::default(),
            error: None,
            signals: None,
            sink_error: None,
            control: None,
            venue: None,
            lockstep: false,
        }
    }

    /// Executes orders on a venue instead of the simulated broker (the session must be [`Session::external`]);
    /// `start` is the account when the run began. With `lockstep`, each finished bar is acknowledged to a rehearsal
    /// venue (`strata venue serve --lockstep`), which holds the market until then. The journal is synced to disk
    /// before each order is sent and after each answer.
    pub fn use_venue(&mut self, broker: VenueBroker, start: Holdings, lockstep: bool) {
        self.venue = Some((broker, start));
        self.lockstep = lockstep;
    }

    /// Writes the journal through to disk with a venue (an order's fate must survive a crash), hands it to the
    /// operating system otherwise.
    fn commit_journal(&mut self) -> Result<(), OutputError> {
        match (self.journal.as_mut(), self.venue.is_some()) {
            (Some(j), true) => j.sync(),
            (Some(j), false) => j.flush(),
            (None, _) => Ok(()),
        }
    }

    /// Replays the last run of a journal — a run that was killed — and reconciles it with the venue, so that it goes
    /// on as if it had never stopped: the journal's warm-up and bars are stepped again through the same session
    /// (indicators, `var`s, portfolio and orders come back exactly; with a venue, the journal's fills are delivered as
    /// they were), every order is checked to come out the same, the last bar's orders the venue never answered are
    /// looked up by client order id (adopted if placed, placed if not), trades the journal missed are fetched, and
    /// the venue's position must equal the journal's. Nothing replayed is written to the journal again; a `resume`
    /// line says what was recovered. Returns the time of the last bar stepped.
    pub fn resume(&mut self, run: &super::resume::JournalRun) -> Result<Option<i64>, RunError> {
        let fail = |why: String| RunError::Resume(why);
        for bar in &run.warmup {
            self.session.warm(bar)?;
        }
        if let Some(state) = run.state {
            self.session.set_trading_state(state);
            if let Some(c) = &self.control {
                c.request(state);
            }
        }
        let (answered, pending) = match self.venue.as_mut() {
            Some((v, _)) => v.restore(&run.venue, run.pending_from),
            None => Default::default(),
        };
        let external = self.venue.is_some();
        for jb in &run.bars {
            if external {
                for f in &jb.fills {
                    self.session.deliver_fill(*f);
                }
                for r in &jb.rejected {
                    self.session.deliver_rejection(r.clone());
                }
            }
            let out = backtest::step(&mut self.session, &jb.bar, self.recorder)?;
            let placed: Vec<u64> = out.orders.iter().map(|o| o.seq).collect();
            let journalled: Vec<u64> = jb.orders.iter().map(|o| o.seq).collect();
            if placed != journalled {
                return Err(fail(format!(
                    "bar {}: the strategy places orders {placed:?} where the journal says {journalled:?}; it does not \
                     replay as it ran (was the strategy, a param or a limit changed?)",
                    crate::time::format_ts(jb.bar.ts)
                )));
            }
            if !external && out.fills != jb.fills.as_slice() {
                return Err(fail(format!(
                    "bar {}: the fills differ from the journal's (were --cash, --fees-bps or --slippage-bps changed?)",
                    crate::time::format_ts(jb.bar.ts)
                )));
            }
        }
        // Trades the venue reported after the last bar: their fills are the next bar's (and the account that the
        // last bar's unanswered orders are sized against already includes them, as it did when they were placed).
        let pending_cash: f64 = pending.iter().map(Fill::cash_delta).sum();
        for f in pending {
            self.session.deliver_fill(f);
        }
        let (mut recovered, mut caught_up) = (0, 0);
        if let (Some((v, start)), Some(last)) = (self.venue.as_mut(), run.bars.last()) {
            // Only the last bar's orders can be unanswered: a bar is stepped only after the previous bar's orders.
            let unanswered: Vec<OrderIntent> =
                last.orders.iter().filter(|o| !answered.contains(&o.seq)).copied().collect();
            let p = self.session.portfolio();
            let (cash, held) = (p.cash() + pending_cash, p.position() + self.session.undelivered_qty());
            let (fills, refused) = v.recover(&unanswered, last.bar.close, cash, held);
            recovered = unanswered.len();
            let caught = v.catch_up();
            caught_up = caught.len();
            for f in fills.into_iter().chain(caught) {
                self.session.deliver_fill(f);
            }
            for r in refused {
                self.session.deliver_rejection(r);
            }
            let events = v.take_events();
            if let Some(j) = self.journal.as_mut() {
                for venue in &events {
                    j.write(&Entry::Venue { venue })?;
                }
            }
            let now = v.holdings().map_err(|e| fail(format!("reading the venue account: {e}")))?;
            let explained = self.session.portfolio().position() + self.session.undelivered_qty();
            if ((now.base - start.base) - explained).abs() > 1e-8 {
                return Err(fail(format!(
                    "the venue's {} balance moved by {} since the run began, the journal explains {}: refusing to \
                     trade until they agree",
                    v.symbol().base,
                    crate::fmt_num(now.base - start.base),
                    crate::fmt_num(explained)
                )));
            }
            self.session.set_open_orders(v.open_orders());
        }
        if let Some(j) = self.journal.as_mut() {
            j.write(&Entry::Resume { bars: run.bars.len(), recovered_orders: recovered, caught_up_fills: caught_up })?;
        }
        self.commit_journal()?;
        let last = run.bars.last().map(|b| b.bar.ts).or(run.warmup.last().map(|b| b.ts));
        if self.lockstep
            && let (Some((v, _)), Some(ts)) = (self.venue.as_ref(), run.bars.last().map(|b| b.bar.ts))
        {
            v.ack(ts).map_err(|e| fail(format!("lockstep: {e}")))?;
        }
        Ok(last)
    }

    /// Applies the trading state `control` holds before each bar.
    pub fn control(&mut self, control: StateControl) {
        self.control = Some(control);
    }

    /// Collects what the venue did with open orders since the last bar (journalled before the bar is stepped), for
    /// the session to apply on this bar.
    fn poll_venue(&mut self) -> Result<(), OutputError> {
        let Some((v, _)) = self.venue.as_mut() else { return Ok(()) };
        if v.open_orders() == 0 {
            self.session.set_open_orders(0);
            return Ok(());
        }
        let fills = v.poll();
        self.session.set_open_orders(v.open_orders());
        let events = v.take_events();
        if let Some(j) = self.journal.as_mut() {
            for venue in &events {
                j.write(&Entry::Venue { venue })?;
            }
        }
        self.commit_journal()?;
        for f in fills {
            self.session.deliver_fill(f);
        }
        Ok(())
    }

    /// Places `orders` (the bar's accepted ones) on the venue, if the run has one, journals what the venue did, and
    /// hands its fills and refusals to the session for the next bar.
    fn place_on_venue(&mut self, orders: &[OrderIntent], bar: &Bar) -> Result<(), OutputError> {
        let Some((v, _)) = self.venue.as_mut() else { return Ok(()) };
        let (fills, refused) = if orders.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let p = self.session.portfolio();
            v.place(orders, bar.close, p.cash(), p.position())
        };
        let events = v.take_events();
        if let Some(j) = self.journal.as_mut()
            && !events.is_empty()
        {
            for venue in &events {
                j.write(&Entry::Venue { venue })?;
            }
            j.sync()?;
        }
        for f in fills {
            self.session.deliver_fill(f);
        }
        for r in refused {
            self.session.deliver_rejection(r);
        }
        if self.lockstep {
            v.ack(bar.ts)
                .map_err(|why| OutputError::Io { path: "lockstep".into(), source: std::io::Error::other(why) })?;
        }
        Ok(())
    }

    /// Applies the requested trading state, if it changed: journalled and logged.
    fn apply_control(&mut self) -> Result<(), OutputError> {
        if let Some(state) = state_change(self.control.as_ref(), self.session.trading_state(), self.journal.as_mut())? {
            self.session.set_trading_state(state);
        }
        Ok(())
    }

    /// Sends every order intent from now on to a signal sink's queue ([`super::signals::start`]).
    pub fn send_signals(&mut self, tx: tokio::sync::mpsc::Sender<Signal>, strategy: &str, feed: &str) {
        self.signals = Some(SignalQueue { tx, strategy: strategy.to_string(), feed: feed.to_string() });
    }

    /// Closes the signal queue, so that the sink's task ends once it has delivered what is queued.
    pub fn close_signals(&mut self) {
        self.signals = None;
    }

    /// Why the signal sink stopped the run, if it did.
    pub fn sink_error(&self) -> Option<&str> {
        self.sink_error.as_deref()
    }

    /// Writes the journal's first line.
    pub fn start(&mut self, facts: &RunFacts) -> Result<(), OutputError> {
        if let Some(j) = self.journal.as_mut() {
            let (run_id, venue_start) = match &self.venue {
                Some((v, start)) => (Some(v.run_id()), Some((*start).into())),
                None => (None, None),
            };
            j.write(&Entry::Start {
                strategy: &facts.strategy,
                feed: &facts.data,
                params: &facts.params,
                run_id,
                venue_start,
                universe: None,
            })?;
            j.sync()?;
        }
        Ok(())
    }

    /// Steps warm-up history (before any live bar).
    pub fn warm(&mut self, bars: &[Bar]) -> Result<(), RunError> {
        for bar in bars {
            self.session.warm(bar).map_err(RunError::Strategy)?;
            if let Some(j) = self.journal.as_mut() {
                j.write(&Entry::WarmupBar { symbol: None, bar })?;
            }
        }
        if let Some(j) = self.journal.as_mut() {
            j.flush()?;
        }
        Ok(())
    }

    /// Bars traded so far.
    pub fn bars(&self) -> usize {
        self.session.bars()
    }

    /// The error that stopped the run, if one did.
    pub fn error(&self) -> Option<&RunError> {
        self.error.as_ref()
    }

    pub fn take_error(&mut self) -> Option<RunError> {
        self.error.take()
    }

    pub fn latency(&self) -> &LatencyHistogram {
        &self.latency
    }

    /// Ends the run (orders still waiting for an open are cancelled, as at the end of a backtest) and returns the
    /// report, the live record with the feed's final `feed` status, and what writes the journal's `stop` line —
    /// once the caller has committed the outputs, so that a `stop` line means the run's files are on disk.
    pub fn finish(
        mut self,
        facts: RunFacts,
        stopped: &str,
        feed: FeedStatus,
    ) -> Result<(Report, LiveRecord, RunEnd), OutputError> {
        let us = |d: Option<Duration>| d.map_or(0.0, |d| d.as_nanos() as f64 / 1000.0);
        let latency = LatencySummary {
            bars: self.latency.count(),
            p50_us: us(self.latency.quantile(0.5)),
            p99_us: us(self.latency.quantile(0.99)),
            max_us: us(Some(self.latency.max())),
        };
        let warmup_bars = self.session.warm_bars();
        let position = self.session.portfolio().position() + self.session.undelivered_qty();
        let venue = self.venue.take().map(|(broker, start)| {
            let end = broker.holdings().ok();
            let reconciled = end.is_some_and(|e| ((e.base - start.base) - position).abs() < 1e-8);
            VenueRecord {
                symbol: broker.symbol().symbol.clone(),
                start: start.into(),
                end: end.map(Into::into),
                open_orders: broker.open_orders(),
                position,
                reconciled,
            }
        });
        let report = self.session.finish(facts);
        let record = LiveRecord { feed, warmup_bars, latency, stopped: stopped.to_string(), venue, universe: None };
        let end = RunEnd { journal: self.journal.take(), reason: stopped.to_string() };
        Ok((report, record, end))
    }
}

impl BarSink for LiveRun<'_> {
    fn bar(&mut self, _symbol: usize, bar: &Bar, received: Instant, _: &FeedStatus) -> Flow {
        if let Err(e) = self.apply_control() {
            self.error = Some(e.into());
            return Flow::Stop;
        }
        if let Err(e) = self.poll_venue() {
            self.error = Some(e.into());
            return Flow::Stop;
        }
        let out = match backtest::step(&mut self.session, bar, self.recorder) {
            Ok(out) => out,
            Err(e) => {
                self.error = Some(e);
                return Flow::Stop;
            }
        };
        // The bar's orders are placed: the decision is made.
        self.latency.record(received.elapsed());
        for d in out.denied {
            warn!(order = d.order_seq, rule = d.rule.name(), detail = %d.detail, "order denied by the risk limits");
        }
        // With a venue, the bar's orders are on disk before any is sent.
        let written = match (self.journal.as_mut(), self.venue.is_some()) {
            (Some(j), durable) => journal_bar(j, bar, &out).and_then(|()| if durable { j.sync() } else { j.flush() }),
            (None, _) => Ok(()),
        };
        if let Err(e) = written {
            self.error = Some(e.into());
            return Flow::Stop;
        }
        // A venue gets the bar's orders once the session is done with the bar.
        let venue_orders = if self.venue.is_some() { out.orders.to_vec() } else { Vec::new() };
        if let Some(q) = &self.signals {
            for order in out.orders {
                let signal = Signal::new(&q.strategy, &q.feed, order, bar.close);
                if let Err(e) = q.tx.try_send(signal) {
                    self.sink_error = Some(match e {
                        TrySendError::Full(_) => {
                            format!("the signal sink fell {} intents behind", super::signals::QUEUE)
                        }
                        TrySendError::Closed(_) => "the signal sink stopped (its error is in the log)".to_string(),
                    });
                    return Flow::Stop;
                }
            }
        }
        if let Err(e) = self.place_on_venue(&venue_orders, bar) {
            self.error = Some(e.into());
            return Flow::Stop;
        }
        if self.max_bars.is_some_and(|m| self.session.bars() as u64 >= m) {
            return Flow::Stop;
        }
        Flow::Continue
    }

    fn heartbeat(&mut self, status: &FeedStatus) -> Flow {
        if let Err(e) = self.apply_control().and_then(|()| self.journal.as_mut().map_or(Ok(()), Journal::flush)) {
            warn!(error = %e, "the journal could not be written");
        }
        let p = self.session.portfolio();
        info!(
            last_bar = status.last_bar,
            bars = self.session.bars(),
            position = p.position(),
            cash = p.cash(),
            state = %self.session.trading_state(),
            reconnects = status.reconnects,
            bad_messages = status.bad_messages,
            gaps = status.counts.gaps,
            "heartbeat"
        );
        Flow::Continue
    }
}

/// A traded bar's lines: the bar, its fills, its refusals and denials, its new orders.
fn journal_bar(j: &mut Journal, bar: &Bar, out: &BarOutcome<'_>) -> Result<(), OutputError> {
    j.write(&Entry::Bar { symbol: None, bar })?;
    for fill in out.fills {
        j.write(&Entry::Fill { symbol: None, fill })?;
    }
    for rejection in out.rejected {
        j.write(&Entry::Rejected { rejection })?;
    }
    for denial in out.denied {
        j.write(&Entry::Denied { denial })?;
    }
    for order in out.orders {
        j.write(&Entry::Order { symbol: None, order })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_quantiles_come_from_the_right_buckets() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.quantile(0.5), None);
        for us in 1..=100u64 {
            h.record(Duration::from_micros(us));
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile(0.5), Some(Duration::from_micros(50)));
        assert_eq!(h.quantile(0.99), Some(Duration::from_micros(99)));
        assert_eq!(h.max(), Duration::from_micros(100));
        h.record(Duration::from_millis(3));
        h.record(Duration::from_secs(2));
        assert_eq!(h.quantile(1.0), Some(Duration::from_secs(2)));
        let mut h = LatencyHistogram::default();
        h.record(Duration::from_nanos(250));
        assert_eq!(h.quantile(0.5), Some(Duration::from_nanos(250)));
        let mut h = LatencyHistogram::default();
        h.record(Duration::from_micros(1234));
        assert_eq!(h.quantile(0.5), Some(Duration::from_micros(1234)));
    }

    #[test]
    fn a_torn_last_line_is_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&path, "{\"event\":\"stop\"}\n{\"event\":\"ba").unwrap();
        let mut j = Journal::open(&path).unwrap();
        j.write(&Entry::Stop { reason: "x", bars: 1, final_equity: 2.0 }).unwrap();
        j.sync().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"event\":\"stop\"}\n{\"event\":\"stop\",\"reason\":\"x\",\"bars\":1,\"final_equity\":2.0}\n"
        );
        std::fs::write(&path, "no newline at all").unwrap();
        drop(Journal::open(&path).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }

    #[test]
    fn a_group_of_lines_lands_after_what_was_written_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::open(&path).unwrap();
        j.write(&Entry::Stop { reason: "before", bars: 1, final_equity: 1.0 }).unwrap();
        let group = [
            Entry::Stop { reason: "a", bars: 2, final_equity: 2.0 },
            Entry::Stop { reason: "b", bars: 3, final_equity: 3.0 },
        ];
        j.write_all(&group).unwrap();
        // On disk without a flush: the group went out in one write, after the buffered line before it.
        let text = std::fs::read_to_string(&path).unwrap();
        let reasons: Vec<&str> =
            text.lines().map(|l| l.split("\"reason\":\"").nth(1).unwrap().split('"').next().unwrap()).collect();
        assert_eq!(reasons, ["before", "a", "b"]);
    }

    #[test]
    fn the_journal_appends_and_never_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j/journal.jsonl");
        for reason in ["first", "second"] {
            let mut j = Journal::open(&path).unwrap();
            j.write(&Entry::Stop { reason, bars: 3, final_equity: 1.5 }).unwrap();
            j.flush().unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"event\":\"stop\",\"reason\":\"first\",\"bars\":3,\"final_equity\":1.5}\n\
             {\"event\":\"stop\",\"reason\":\"second\",\"bars\":3,\"final_equity\":1.5}\n"
        );
    }
}
