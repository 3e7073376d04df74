//! A trading session: the one per-bar loop that backtests and live runs share.
//!
//! Design choice: everything that happens on a bar — fill the orders placed at the previous close at this bar's
//! open, mark to this bar's close, step the engine, queue its new orders — is in [`Session::on_bar`], and the modes
//! differ only in where bars come from and where outputs go. The session does no I/O and reads no clock.

use crate::bar::Bar;
use crate::broker::{FillModel, IntrabarPath, OpenOutcome, SimulatedBroker};
use crate::decide::DecideError;
use crate::engine::Engine;
use crate::metrics::{EquityStats, RunFacts, Summary, summarize};
use crate::order::{Fill, OrderIntent, OrderType, Rejection};
use crate::portfolio::{Portfolio, Trade};
use crate::risk::{Denial, Proposed, RiskEngine, RiskLimits, TradingState};

/// Account and execution settings of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionConfig {
    pub cash: f64,
    pub fill: FillModel,
    /// Pre-trade limits every order passes.
    pub risk: RiskLimits,
    /// Which extreme of a bar the simulated broker assumes the price reached first.
    pub intrabar: IntrabarPath,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            cash: 100_000.0,
            fill: FillModel::default(),
            risk: RiskLimits::default(),
            intrabar: IntrabarPath::default(),
        }
    }
}

/// What one bar produced.
#[derive(Debug)]
pub struct BarOutcome<'a> {
    /// Fills at this bar's open.
    pub fills: &'a [Fill],
    /// Orders placed at this bar's close.
    pub orders: &'a [OrderIntent],
    /// Orders refused on this bar (at the open, or at the close for an invalid size).
    pub rejected: &'a [Rejection],
    /// Orders the risk engine denied on this bar (at the close, or at the open for the price collar).
    pub denied: &'a [Denial],
    /// Equity at this bar's close.
    pub equity: f64,
}

/// The state of a run.
#[derive(Debug)]
pub struct Session {
    engine: Engine,
    broker: SimulatedBroker,
    risk: RiskEngine,
    portfolio: Portfolio,
    stats: EquityStats,
    bar_index: usize,
    warm_bars: usize,
    last_close: f64,
    fills: Vec<Fill>,
    orders: Vec<OrderIntent>,
    rejected: Vec<Rejection>,
    denied: Vec<Denial>,
    n_fills: usize,
    n_rejected: usize,
    rejections: Vec<Rejection>,
    denials: Vec<Denial>,
    /// Orders are executed outside (a venue): fills and refusals arrive through [`Session::deliver_fill`].
    external: Option<External>,
}

/// What an outside broker has reported since the last bar, and how many of its orders are open.
#[derive(Debug, Default)]
struct External {
    fills: Vec<Fill>,
    rejected: Vec<Rejection>,
    open_orders: usize,
}

/// Rejections and denials kept in full for the report (the counts are always exact).
const KEEP_REJECTIONS: usize = 1000;

impl Session {
    pub fn new(engine: Engine, config: SessionConfig) -> Self {
        let broker = SimulatedBroker::new(config.fill).with_path(config.intrabar).with_pyramiding(engine.pyramiding());
        Self {
            engine,
            broker,
            risk: RiskEngine::new(config.risk, config.cash),
            portfolio: Portfolio::new(config.cash),
            stats: EquityStats::new(config.cash),
            bar_index: 0,
            warm_bars: 0,
            last_close: f64::NAN,
            fills: Vec::new(),
            orders: Vec::new(),
            rejected: Vec::new(),
            denied: Vec::new(),
            n_fills: 0,
            n_rejected: 0,
            rejections: Vec::new(),
            denials: Vec::new(),
            external: None,
        }
    }

    /// A session whose orders are executed outside — by a venue — instead of by the simulated broker: each bar's
    /// accepted orders are only handed out (`BarOutcome::orders`), and what the venue did with them comes back
    /// through [`Session::deliver_fill`] and [`Session::deliver_rejection`], applied at the start of the next bar
    /// (the bar they filled on, as in a backtest). The risk engine, the portfolio and the reports are the same.
    pub fn external(engine: Engine, config: SessionConfig) -> Self {
        Self { external: Some(External::default()), ..Self::new(engine, config) }
    }

    /// Walks each bar along `finer` data where it has some, instead of assuming the path from the bar alone.
    pub fn with_intrabar(mut self, finer: std::sync::Arc<crate::broker::FinerPath>) -> Self {
        self.broker = std::mem::take(&mut self.broker).with_finer(finer);
        self
    }

    /// Counts a position of at most `dust` units — less than the venue lets one trade — as flat for the strategy and
    /// its round trips (it stays in the books, and in the equity).
    pub fn set_dust(&mut self, dust: f64) {
        self.portfolio.set_dust(dust);
    }

    /// A fill reported by the outside broker; applied, and recorded, with the next bar.
    pub fn deliver_fill(&mut self, fill: Fill) {
        if let Some(x) = self.external.as_mut() {
            x.fills.push(fill);
        }
    }

    /// The signed quantity of the outside broker's fills not yet applied (they are, with the next bar).
    pub fn undelivered_qty(&self) -> f64 {
        self.external.as_ref().map_or(0.0, |x| x.fills.iter().map(Fill::position_delta).sum())
    }

    /// An order the outside broker refused; reported with the next bar.
    pub fn deliver_rejection(&mut self, rejection: Rejection) {
        if let Some(x) = self.external.as_mut() {
            x.rejected.push(rejection);
        }
    }

    /// How many of the outside broker's orders are open (for the risk engine's `max_open_orders`).
    pub fn set_open_orders(&mut self, n: usize) {
        if let Some(x) = self.external.as_mut() {
            x.open_orders = n;
        }
    }

    /// Processes one closed bar. An error means the strategy's script failed: the run cannot go on.
    #[inline]
    pub fn on_bar(&mut self, bar: &Bar) -> Result<BarOutcome<'_>, DecideError> {
        self.fills.clear();
        self.orders.clear();
        self.rejected.clear();
        self.denied.clear();
        let i = self.bar_index;
        if let Some(x) = self.external.as_mut() {
            for mut fill in x.fills.drain(..) {
                fill.ts = bar.ts;
                self.portfolio.apply(&fill, i);
                self.fills.push(fill);
            }
            for mut r in x.rejected.drain(..) {
                r.ts = bar.ts;
                self.rejected.push(r);
            }
        } else {
            let mut open = OpenOutcome {
                fills: &mut self.fills,
                rejected: &mut self.rejected,
                denied: &mut self.denied,
                risk: &mut self.risk,
            };
            self.broker.on_open(bar, i, &mut self.portfolio, &mut open);
        }
        let equity = self.portfolio.mark(bar.close);
        let view = self.portfolio.view(bar.close, i);
        self.engine.on_bar(bar, &view, &mut self.orders, &mut self.rejected)?;
        self.risk.on_close(bar.ts, equity);
        if !self.orders.is_empty() {
            if !self.risk.is_idle() {
                self.screen(bar);
            }
            if self.external.is_none() {
                self.broker.submit(&self.orders, bar.close, i, bar.ts, &mut self.rejected);
            }
        }
        self.stats.on_bar(bar.ts, equity, self.portfolio.position() != 0.0);
        self.n_fills += self.fills.len();
        if !self.rejected.is_empty() {
            self.n_rejected += self.rejected.len();
            let room = KEEP_REJECTIONS.saturating_sub(self.rejections.len());
            self.rejections.extend(self.rejected.iter().take(room).cloned());
        }
        if !self.denied.is_empty() {
            let room = KEEP_REJECTIONS.saturating_sub(self.denials.len());
            self.denials.extend(self.denied.iter().take(room).cloned());
        }
        self.last_close = bar.close;
        self.bar_index += 1;
        Ok(BarOutcome {
            fills: &self.fills,
            orders: &self.orders,
            rejected: &self.rejected,
            denied: &self.denied,
            equity,
        })
    }

    /// Passes this bar's new orders through the risk engine ([`screen`]).
    fn screen(&mut self, bar: &Bar) {
        let model = *self.broker.model();
        let open = self.external.as_ref().map_or(self.broker.pending(), |x| x.open_orders);
        let account = (self.portfolio.cash(), self.portfolio.position(), open);
        screen(&mut self.orders, bar, &model, account, &mut self.risk, &mut self.denied);
    }

    /// Changes whether the run may trade (an operator's command): it applies from the next order on.
    pub fn set_trading_state(&mut self, state: TradingState) {
        self.risk.set_state(state);
    }

    pub fn trading_state(&self) -> TradingState {
        self.risk.state()
    }

    /// Steps a warm-up bar: indicators, `var`s and the script see it with the account flat and untouched, and
    /// whatever orders it places are dropped. Only before the first [`Session::on_bar`]: warm-up history that
    /// precedes the traded bars (`--warmup-data`, or a live run's REST history), the same in both modes.
    pub fn warm(&mut self, bar: &Bar) -> Result<(), DecideError> {
        debug_assert_eq!(self.stats.bars(), 0, "warm-up after trading began");
        self.orders.clear();
        self.rejected.clear();
        let view = self.portfolio.view(bar.close, self.bar_index);
        self.engine.on_bar(bar, &view, &mut self.orders, &mut self.rejected)?;
        self.orders.clear();
        self.rejected.clear();
        self.warm_bars += 1;
        self.bar_index += 1;
        Ok(())
    }

    /// Warm-up bars stepped.
    pub fn warm_bars(&self) -> usize {
        self.warm_bars
    }

    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine, to configure before the first bar ([`Engine::set_bar_interval`]).
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Bars traded (warm-up bars not included).
    pub fn bars(&self) -> usize {
        self.bar_index - self.warm_bars
    }

    /// Ends the run: orders still waiting for an open are cancelled (there is no next bar).
    pub fn finish(mut self, facts: RunFacts) -> Report {
        let counts = self.broker.counts();
        let unfilled = self.broker.cancel_all();
        let mut closed = self.portfolio.closed_trades().to_vec();
        let open = self.portfolio.open_trade(self.bar_index.saturating_sub(1));
        let final_equity = if self.bar_index > self.warm_bars {
            self.portfolio.equity_at(self.last_close)
        } else {
            self.portfolio.cash()
        };
        let facts = RunFacts {
            entries: self.portfolio.entries(),
            fees: self.portfolio.fees(),
            realized_pnl: self.portfolio.realized(),
            unrealized_pnl: self.portfolio.unrealized(),
            fills: self.n_fills,
            orders_rejected: self.n_rejected,
            orders_unfilled_at_end: unfilled.len(),
            orders_cancelled: counts.cancelled,
            orders_expired: counts.expired,
            ambiguous_fills: counts.ambiguous,
            ambiguous_resolved: counts.resolved,
            risk_denied: self.risk.denied(),
            final_equity,
            warmup_bars: self.engine.warmed_up(),
            ..facts
        };
        let summary = summarize(&self.stats, &closed, facts);
        if let Some(t) = open {
            closed.push(t);
        }
        Report { summary, trades: closed, rejections: self.rejections, denials: self.denials, unfilled }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Report {
    pub summary: Summary,
    /// Round trips, the still-open one last (marked at the final close).
    pub trades: Vec<Trade>,
    /// The first rejections, with reasons.
    pub rejections: Vec<Rejection>,
    /// The first orders the risk limits denied.
    pub denials: Vec<Denial>,
    /// Orders placed on the last bar, never filled.
    pub unfilled: Vec<OrderIntent>,
}

/// Passes one symbol's new orders of this bar through the risk engine, in the order they were placed, keeping those
/// it accepts (the refused ones go to `denied`). `account` is the cash, the symbol's position and the orders open
/// now; each order is sized at the close against the account as the orders accepted before it would leave it.
/// Returns the cash and the count of open orders after the accepted ones.
pub fn screen(
    orders: &mut Vec<OrderIntent>,
    bar: &Bar,
    model: &FillModel,
    account: (f64, f64, usize),
    risk: &mut RiskEngine,
    denied: &mut Vec<Denial>,
) -> (f64, usize) {
    let (mut cash, mut held, mut open) = account;
    orders.retain(|order| {
        // Sized where it would fill: at its limit or stop, else at the close.
        let at = match order.kind {
            OrderType::Market => bar.close,
            OrderType::Limit(p) | OrderType::Stop(p) | OrderType::StopLimit { stop: p, .. } => p,
        };
        let sized = model.size(order.action, &order.exits, at, true, cash, held);
        let (side, qty, price) = match sized {
            Ok(Some((side, qty, price))) => (side, Some(qty), price),
            // Nothing to do, or nothing possible: the state still applies; the broker says why at the fill.
            _ => match order.action.side(held) {
                Some(side) => (side, None, bar.close),
                None => return true,
            },
        };
        let proposed = Proposed { seq: order.seq, ts: bar.ts, side, qty, price, position: held };
        match risk.check(&proposed, open) {
            Ok(()) => {
                if let Some(q) = qty {
                    held += side.sign() * q;
                    cash -= side.sign() * q * price + model.fee(q, price);
                }
                open += 1;
                true
            }
            Err(d) => {
                denied.push(d);
                false
            }
        }
    });
    (cash, open)
}
