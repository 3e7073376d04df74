//! A universe run: one strategy over many symbols, with one portfolio and one pool of cash.
//!
//! Design choice: each symbol has its own engine (its own series and rules), its own simulated broker (its orders
//! fill on its own next bar, by the one fill model) and its own book — a [`Portfolio`] for its position, cost basis
//! and round trips — while the cash is one. A book holds the shared cash only while that symbol's orders fill, and
//! gives it back after, so an order sized at an open sees what the symbols before it (in symbol order) spent at the
//! same timestamp. Timestamps come from [`Groups`]: each is processed whole — every member's fills at the open,
//! then every member's series, then the cross-sections, then every member's rules — so the run is deterministic
//! (ties by symbol) and a rule sees the same account whichever symbol it runs for. No I/O, no clock.

use std::sync::Arc;

use crate::backtest::RunError;
use crate::bar::{AccountView, Bar};
use crate::broker::{FinerPath, OpenOutcome, SimulatedBroker};
use crate::data::universe::{Groups, Universe};
use crate::engine::{CrossSlot, Engine};
use crate::metrics::{EquityStats, RunFacts, summarize};
use crate::order::{Fill, OrderIntent, Rejection};
use crate::portfolio::{Portfolio, Trade};
use crate::risk::{Denial, RiskEngine};
use crate::session::{Report, SessionConfig, screen};
use crate::ta::CrossBuffers;

/// The bars of one timestamp, by symbol: a universe's [`Groups`] cursor in a backtest, the live barrier
/// ([`crate::live::universe::Barrier`]) in a live run.
pub trait GroupBars {
    /// Symbol `s`'s bar at the timestamp just handed out (`s` must be one of its members).
    fn bar(&self, s: usize) -> &Bar;
}

impl GroupBars for Groups<'_> {
    #[inline]
    fn bar(&self, s: usize) -> &Bar {
        Groups::bar(self, s)
    }
}

/// One symbol's part of a universe run.
#[derive(Debug)]
struct Book {
    engine: Engine,
    broker: SimulatedBroker,
    portfolio: Portfolio,
    last_close: f64,
    /// Bars of this symbol stepped so far (warm-up bars included).
    bars: usize,
    /// Warm-up bars of this symbol ([`Basket::warm`]).
    warm: usize,
}

impl AsMut<Engine> for Book {
    fn as_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }
}

/// A fill of one symbol.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolFill {
    pub symbol: usize,
    pub fill: Fill,
}

/// A symbol's results in a universe run.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolResult {
    pub symbol: String,
    pub bars: usize,
    pub fills: usize,
    /// Round trips closed, and their net PnL.
    pub closed_trades: usize,
    pub pnl: f64,
    /// The position at the end, and its value at the last close.
    pub position: f64,
    pub value: f64,
}

/// What a universe run produced.
#[derive(Debug, Clone)]
pub struct UniverseReport {
    /// The whole portfolio: equity is the shared cash plus every position at its last close.
    pub report: Report,
    pub symbols: Vec<SymbolResult>,
    /// Every fill, in the order they happened.
    pub fills: Vec<SymbolFill>,
    /// The portfolio's equity after each timestamp.
    pub equity: Vec<(i64, f64)>,
}

/// The state of a universe run.
#[derive(Debug)]
pub struct Basket {
    books: Vec<Book>,
    cash: f64,
    stats: EquityStats,
    risk: RiskEngine,
    cross: CrossBuffers,
    /// The plan's cross-sectional functions.
    functions: Vec<CrossSlot>,
    fills: Vec<SymbolFill>,
    equity: Vec<(i64, f64)>,
    orders: Vec<OrderIntent>,
    rejected: Vec<Rejection>,
    denied: Vec<Denial>,
    opened: Vec<Fill>,
    n_rejected: usize,
    rejections: Vec<Rejection>,
    /// Orders the risk limits refused (the first [`KEEP_REJECTIONS`]; the risk engine counts them all).
    denials: Vec<Denial>,
    views: Vec<AccountView>,
    /// The symbols holding a position (in symbol order): the equity is the cash plus these.
    held: Vec<usize>,
    /// The orders the last timestamp placed, with their symbols (what a live run journals), when recorded.
    placed: Vec<(usize, OrderIntent)>,
    record_placed: bool,
}

/// Rejections kept in full for the report (the count is always exact).
const KEEP_REJECTIONS: usize = 1000;

impl Basket {
    /// A run of `engines` (one per symbol, in the universe's symbol order) with `config`'s cash, fill model and
    /// risk limits: `--max-position` holds per symbol, the daily loss on the portfolio's equity, and open orders
    /// and order rates count every symbol's.
    pub fn new(engines: Vec<Engine>, config: SessionConfig) -> Result<Self, RunError> {
        let mut engines = engines;
        if let Some((first, rest)) = engines.split_first_mut() {
            for e in rest {
                e.share_code(first);
            }
        }
        let functions = engines.first().map(|e| e.cross_functions().to_vec()).unwrap_or_default();
        let books = engines
            .into_iter()
            .map(|engine| Book {
                broker: SimulatedBroker::new(config.fill)
                    .with_path(config.intrabar)
                    .with_pyramiding(engine.pyramiding()),
                engine,
                portfolio: Portfolio::new(config.cash),
                last_close: f64::NAN,
                bars: 0,
                warm: 0,
            })
            .collect();
        Ok(Self {
            books,
            cash: config.cash,
            stats: EquityStats::new(config.cash),
            risk: RiskEngine::new(config.risk, config.cash),
            cross: CrossBuffers::default(),
            functions,
            fills: Vec::new(),
            equity: Vec::new(),
            orders: Vec::new(),
            rejected: Vec::new(),
            denied: Vec::new(),
            opened: Vec::new(),
            n_rejected: 0,
            rejections: Vec::new(),
            denials: Vec::new(),
            views: Vec::new(),
            held: Vec::new(),
            placed: Vec::new(),
            record_placed: false,
        })
    }

    /// The shared cash plus every position at its symbol's last close.
    fn equity(&self) -> f64 {
        self.cash
            + self
                .held
                .iter()
                .map(|&s| {
                    let b = &self.books[s];
                    b.portfolio.position() * b.last_close
                })
                .sum::<f64>()
    }

    /// Notes whether symbol `s` holds a position now.
    fn note_position(&mut self, s: usize) {
        let holds = self.books[s].portfolio.position() != 0.0;
        match (self.held.binary_search(&s), holds) {
            (Err(at), true) => self.held.insert(at, s),
            (Ok(at), false) => {
                self.held.remove(at);
            }
            _ => {}
        }
    }

    /// Processes one timestamp: `members` (symbol indices, in order) have a bar in `groups`' current group.
    pub fn on_group(&mut self, ts: i64, members: &[usize], groups: &impl GroupBars) -> Result<(), RunError> {
        self.placed.clear();
        // The open: first every member's market orders that close or reduce a position, then the rest, each
        // against the shared cash — so a rotation's sells pay for its buys at the same open.
        for exits in [true, false] {
            for &s in members {
                let bar = groups.bar(s);
                let book = &mut self.books[s];
                if book.broker.pending() == 0 {
                    if !exits {
                        book.portfolio.mark(bar.close);
                        book.last_close = bar.close;
                    }
                    continue;
                }
                book.portfolio.set_cash(self.cash);
                self.opened.clear();
                let mut open = OpenOutcome {
                    fills: &mut self.opened,
                    rejected: &mut self.rejected,
                    denied: &mut self.denied,
                    risk: &mut self.risk,
                };
                if exits {
                    book.broker.open_exits(bar, book.bars, &mut book.portfolio, &mut open);
                } else {
                    book.broker.on_open(bar, book.bars, &mut book.portfolio, &mut open);
                    book.portfolio.mark(bar.close);
                    book.last_close = bar.close;
                }
                self.cash = book.portfolio.cash();
                if !self.opened.is_empty() {
                    self.fills.extend(self.opened.iter().map(|&fill| SymbolFill { symbol: s, fill }));
                    self.note_position(s);
                }
            }
        }
        let equity = self.equity();
        self.close(members, groups, equity, Some(ts))?;
        if !self.rejected.is_empty() {
            self.n_rejected += self.rejected.len();
            let room = KEEP_REJECTIONS.saturating_sub(self.rejections.len());
            self.rejections.extend(self.rejected.drain(..).take(room));
        }
        if !self.denied.is_empty() {
            let room = KEEP_REJECTIONS.saturating_sub(self.denials.len());
            self.denials.extend(self.denied.drain(..).take(room));
        }
        self.stats.on_bar(ts, equity, !self.held.is_empty());
        self.equity.push((ts, equity));
        Ok(())
    }

    /// Steps one timestamp of warm-up history before the first traded one ([`Basket::on_group`]): every member's
    /// series, the cross-sections and the rules see it with the account flat and untouched, and whatever orders
    /// the rules place are dropped — as [`crate::session::Session::warm`] does for one symbol.
    pub fn warm(&mut self, members: &[usize], groups: &impl GroupBars) -> Result<(), RunError> {
        debug_assert!(self.equity.is_empty(), "warm-up after trading began");
        for &s in members {
            self.books[s].last_close = groups.bar(s).close;
        }
        self.close(members, groups, self.cash, None)?;
        self.orders.clear();
        self.rejected.clear();
        Ok(())
    }

    /// A timestamp's close: every member's series, the cross-sections, then every member's rules, all against the
    /// same account (`equity`). Trading (`trading_at` the timestamp), each member's orders pass the risk limits and
    /// go to its broker; warming up (`None`), they are dropped.
    fn close(
        &mut self,
        members: &[usize],
        groups: &impl GroupBars,
        equity: f64,
        trading_at: Option<i64>,
    ) -> Result<(), RunError> {
        self.views.clear();
        for &s in members {
            let book = &mut self.books[s];
            let mut view = book.portfolio.view(book.last_close, book.bars);
            (view.cash, view.equity) = (self.cash, equity);
            self.views.push(view);
            book.engine.begin_bar(groups.bar(s), &view)?;
        }
        if !self.functions.is_empty() {
            self.cross.apply_on(&self.functions, &mut self.books, members);
        }
        // The risk limits: the daily loss on the portfolio's equity; open orders and order rates across every
        // symbol; position limits per symbol. Each order is sized against the cash the orders before it leave.
        if let Some(ts) = trading_at {
            self.risk.on_close(ts, equity);
        }
        let screening = trading_at.is_some() && !self.risk.is_idle();
        let (mut cash, mut open) = (self.cash, 0);
        if screening {
            open = self.books.iter().map(|b| b.broker.pending()).sum();
        }
        for (k, &s) in members.iter().enumerate() {
            let bar = groups.bar(s);
            let book = &mut self.books[s];
            self.orders.clear();
            book.engine.end_bar(bar, &self.views[k], &mut self.orders, &mut self.rejected)?;
            if trading_at.is_none() {
                book.warm += 1;
            } else {
                if screening && !self.orders.is_empty() {
                    let model = *book.broker.model();
                    let account = (cash, book.portfolio.position(), open);
                    (cash, open) = screen(&mut self.orders, bar, &model, account, &mut self.risk, &mut self.denied);
                }
                if !self.orders.is_empty() {
                    book.broker.submit(&self.orders, bar.close, book.bars, bar.ts, &mut self.rejected);
                    if self.record_placed {
                        self.placed.extend(self.orders.iter().map(|&o| (s, o)));
                    }
                }
            }
            book.bars += 1;
        }
        Ok(())
    }

    /// Changes whether the run may trade (an operator's command), from the next order on — for every symbol.
    pub fn set_trading_state(&mut self, state: crate::risk::TradingState) {
        self.risk.set_state(state);
    }

    pub fn trading_state(&self) -> crate::risk::TradingState {
        self.risk.state()
    }

    /// Keeps the orders each timestamp places, for [`Basket::placed`].
    pub fn record_placed(&mut self) {
        self.record_placed = true;
    }

    /// The orders the last timestamp placed, with their symbols (with [`Basket::record_placed`]).
    pub fn placed(&self) -> &[(usize, OrderIntent)] {
        &self.placed
    }

    /// Every fill so far, in the order they happened (a live run journals those after the last it saw).
    pub fn fills(&self) -> &[SymbolFill] {
        &self.fills
    }

    /// The shared cash now.
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Timestamps traded so far.
    pub fn timestamps(&self) -> usize {
        self.equity.len()
    }

    /// The equity after the last traded timestamp, and whether any symbol held a position then.
    pub fn last(&self) -> Option<(i64, f64, bool)> {
        self.equity.last().map(|&(ts, equity)| (ts, equity, !self.held.is_empty()))
    }

    /// Ends the run: orders still waiting for an open are cancelled (there is no next bar).
    pub fn finish(mut self, symbols: &[String], facts: RunFacts) -> UniverseReport {
        let mut closed: Vec<Trade> = Vec::new();
        let mut open: Vec<Trade> = Vec::new();
        let mut unfilled = Vec::new();
        let (mut cancelled, mut expired, mut ambiguous, mut resolved) = (0, 0, 0, 0);
        let mut results = Vec::with_capacity(self.books.len());
        for (book, symbol) in self.books.iter_mut().zip(symbols) {
            let counts = book.broker.counts();
            (cancelled, expired) = (cancelled + counts.cancelled, expired + counts.expired);
            (ambiguous, resolved) = (ambiguous + counts.ambiguous, resolved + counts.resolved);
            unfilled.extend(book.broker.cancel_all());
            let trades = book.portfolio.closed_trades();
            closed.extend_from_slice(trades);
            open.extend(book.portfolio.open_trade(book.bars.saturating_sub(1)));
            let s = results.len();
            let position = book.portfolio.position();
            results.push(SymbolResult {
                symbol: symbol.clone(),
                bars: book.bars - book.warm,
                fills: self.fills.iter().filter(|f| f.symbol == s).count(),
                closed_trades: trades.len(),
                pnl: trades.iter().map(|t| t.pnl).sum(),
                position,
                value: if position == 0.0 { 0.0 } else { position * book.last_close },
            });
        }
        // Round trips in the order they closed (ties by symbol, as they were collected).
        closed.sort_by_key(|t| t.exit_ts.unwrap_or(i64::MAX));
        let books = &self.books;
        let facts = RunFacts {
            entries: books.iter().map(|b| b.portfolio.entries()).sum(),
            fees: books.iter().map(|b| b.portfolio.fees()).sum(),
            realized_pnl: books.iter().map(|b| b.portfolio.realized()).sum(),
            unrealized_pnl: books.iter().map(|b| b.portfolio.unrealized()).sum(),
            fills: self.fills.len(),
            orders_rejected: self.n_rejected,
            orders_unfilled_at_end: unfilled.len(),
            orders_cancelled: cancelled,
            orders_expired: expired,
            ambiguous_fills: ambiguous,
            ambiguous_resolved: resolved,
            final_equity: if self.equity.is_empty() { self.cash } else { self.equity() },
            warmup_bars: books.iter().map(|b| b.engine.warmed_up()).max().unwrap_or(0),
            risk_denied: self.risk.denied(),
            ..facts
        };
        let summary = summarize(&self.stats, &closed, facts);
        closed.extend(open);
        let report = Report { summary, trades: closed, rejections: self.rejections, denials: self.denials, unfilled };
        UniverseReport { report, symbols: results, fills: self.fills, equity: self.equity }
    }
}

/// Runs a universe: `engines` (one per symbol of `universe`, in order), one timestamp at a time.
pub fn run(
    universe: &Universe,
    engines: Vec<Engine>,
    config: SessionConfig,
    facts: RunFacts,
) -> Result<UniverseReport, RunError> {
    run_warmed(None, &[], universe, engines, config, facts)
}

/// [`run`] after stepping `warmup` — history before the universe's first bar, the same symbols in the same order —
/// with [`Basket::warm`]: series, cross-sections and rules warmed, orders dropped (`--warmup-data`); each symbol's
/// broker walking its bars along `finer[symbol]` where there is some (`--intrabar`).
pub fn run_warmed(
    warmup: Option<&Universe>,
    finer: &[Option<Arc<FinerPath>>],
    universe: &Universe,
    mut engines: Vec<Engine>,
    config: SessionConfig,
    facts: RunFacts,
) -> Result<UniverseReport, RunError> {
    fit_intervals(&mut engines, warmup, universe)?;
    let mut basket = Basket::new(engines, config)?;
    for (book, finer) in basket.books.iter_mut().zip(finer) {
        if let Some(f) = finer {
            book.broker.set_finer(Arc::clone(f));
        }
    }
    let mut members = Vec::new();
    if let Some(w) = warmup {
        let mut groups = w.groups();
        while let Some((_, m)) = groups.next_group() {
            members.clear();
            members.extend_from_slice(m);
            basket.warm(&members, &groups)?;
        }
    }
    let mut groups = universe.groups();
    while let Some((ts, m)) = groups.next_group() {
        members.clear();
        members.extend_from_slice(m);
        basket.on_group(ts, &members, &groups)?;
    }
    Ok(basket.finish(&universe.symbols, facts))
}

/// Tells each symbol's engine the interval of its bars (`warmup`'s, then `universe`'s), for its longer timeframes. A
/// symbol with too few bars to tell — one listed late in the data — takes the universe's: its smallest step.
pub fn fit_intervals(engines: &mut [Engine], warmup: Option<&Universe>, universe: &Universe) -> Result<(), RunError> {
    if !engines.iter().any(Engine::needs_bar_interval) {
        return Ok(());
    }
    let mut all: Option<Vec<i64>> = None;
    for (s, (e, bars)) in engines.iter_mut().zip(&universe.bars).enumerate() {
        let before = warmup.and_then(|w| w.bars.get(s)).map_or(&[][..], Vec::as_slice);
        if before.len() + bars.len() >= 2 {
            e.fit_bar_interval(before.iter().chain(bars).map(|b| b.ts))?;
        } else {
            let all = all.get_or_insert_with(|| {
                let mut ts: Vec<i64> = warmup.map(|w| w.timeline()).unwrap_or_default();
                ts.extend(universe.timeline());
                ts.sort_unstable();
                ts.dedup();
                ts
            });
            e.fit_bar_interval(all.iter().copied())?;
        }
    }
    Ok(())
}
