//! A venue as a live run's broker: each bar's accepted orders sized at the close and placed on the venue, their fills
//! — at once, or later for a partial fill — handed back to the session.
//!
//! Design choice: the venue is called synchronously from the bar sink, through a thread with its own runtime, so a
//! bar's orders are placed (or known refused) and the fills of earlier orders collected before the next bar is
//! stepped. The session therefore sees fills in the same order, on the same bars, as a backtest would, and the feed's
//! connection is left alone while orders are in flight.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::binance::client_order_id;
use super::client::{BinanceClient, ClientError, OrderReport, OrderSize, SymbolInfo};
use super::orders::{Applied, TrackedOrder, VenueTrade};
use crate::broker::FillModel;
use crate::order::{Action, Fill, OrderIntent, Quantity, Rejection, Side};

type Job = Box<dyn FnOnce(&tokio::runtime::Runtime, &BinanceClient) + Send>;

/// What the venue did with one order or trade, for the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "venue_event", rename_all = "snake_case")]
pub enum VenueEvent {
    /// An order placed: the venue's id and status.
    Placed { seq: u64, client_id: String, venue_id: u64, status: String, side: Side, qty: f64 },
    /// An order the venue refused (or that could not be sized): nothing is open.
    Refused { seq: u64, client_id: String, reason: String },
    /// A trade of one of the run's orders, applied once.
    Trade { seq: u64, client_id: String, trade: VenueTrade },
    /// A trade that would overfill its order: refused, not applied.
    Overfill { seq: u64, client_id: String, trade: VenueTrade },
    /// An order's status changed (a partial fill went on, it was cancelled or expired).
    Status { seq: u64, client_id: String, status: String, executed: f64 },
}

/// Why the venue broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{0}")]
    Account(String),
    #[error("the venue broker's thread could not start: {0}")]
    Thread(String),
}

/// The venue, its symbol's rules, and the run's orders there.
pub struct VenueBroker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    symbol: SymbolInfo,
    run_id: String,
    model: FillModel,
    collar_pct: Option<f64>,
    orders: Vec<TrackedOrder>,
    events: Vec<VenueEvent>,
}

impl std::fmt::Debug for VenueBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VenueBroker").field("symbol", &self.symbol.symbol).field("run_id", &self.run_id).finish()
    }
}

/// The venue's balances of a symbol's two assets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Holdings {
    pub base: f64,
    pub quote: f64,
}

impl VenueBroker {
    /// Starts the venue thread, reads the symbol's rules and the account. `model` sizes orders (its fee is the
    /// estimate a buy by percent keeps aside), `collar_pct` makes every order an immediate-or-cancel limit order at
    /// the collar price.
    pub fn start(
        client: BinanceClient,
        symbol: &str,
        run_id: &str,
        model: FillModel,
        collar_pct: Option<f64>,
    ) -> Result<(Self, Holdings), StartError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let client = Arc::new(client);
        let thread = std::thread::Builder::new()
            .name("venue".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                while let Ok(job) = rx.recv() {
                    job(&rt, &client);
                }
            })
            .map_err(|e| StartError::Thread(e.to_string()))?;
        let mut broker = Self {
            jobs: Some(tx),
            thread: Some(thread),
            symbol: SymbolInfo {
                symbol: symbol.to_ascii_uppercase(),
                base: String::new(),
                quote: String::new(),
                min_qty: 0.0,
                step_size: 1e-8,
                min_notional: 0.0,
                tick_size: 1e-8,
            },
            run_id: run_id.to_string(),
            model,
            collar_pct,
            orders: Vec::new(),
            events: Vec::new(),
        };
        let name = symbol.to_string();
        broker.symbol = broker.call(move |rt, c| rt.block_on(c.symbol_info(&name)))??;
        let holdings = broker.holdings()?;
        Ok((broker, holdings))
    }

    /// Runs `f` on the venue thread and waits for its result.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&tokio::runtime::Runtime, &BinanceClient) -> T + Send + 'static,
    ) -> Result<T, StartError> {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |rt, c| {
            let _ = tx.send(f(rt, c));
        });
        let gone = || StartError::Thread("the venue thread has stopped".into());
        self.jobs.as_ref().ok_or_else(gone)?.send(job).map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())
    }

    pub fn symbol(&self) -> &SymbolInfo {
        &self.symbol
    }

    /// The run's id in its client order ids.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The account's balances of the symbol's base and quote assets.
    pub fn holdings(&self) -> Result<Holdings, StartError> {
        let balances = self.call(|rt, c| rt.block_on(c.balances()))??;
        let get = |a: &str| balances.get(a).copied().unwrap_or(0.0);
        Ok(Holdings { base: get(&self.symbol.base), quote: get(&self.symbol.quote) })
    }

    /// Orders the venue may still fill.
    pub fn open_orders(&self) -> usize {
        self.orders.iter().filter(|o| o.is_open()).count()
    }

    /// What happened since the last call, for the journal.
    pub fn take_events(&mut self) -> Vec<VenueEvent> {
        std::mem::take(&mut self.events)
    }

    /// Collects the trades of orders still open (partial fills going on) and their status: new fills are returned.
    pub fn poll(&mut self) -> Vec<Fill> {
        let mut fills = Vec::new();
        for i in 0..self.orders.len() {
            let (open, venue_id, client_id) = {
                let o = &self.orders[i];
                (o.is_open(), o.venue_id, o.client_id.clone())
            };
            let (true, Some(venue_id)) = (open, venue_id) else { continue };
            let symbol = self.symbol.symbol.clone();
            let cid = client_id.clone();
            let answer = self.call(move |rt, c| {
                rt.block_on(async {
                    let trades = c.trades(&symbol, venue_id).await?;
                    let status = c.query_order(&symbol, &cid).await?;
                    Ok::<_, ClientError>((trades, status))
                })
            });
            match answer {
                Ok(Ok((trades, status))) => {
                    self.apply_trades(i, &trades, &mut fills);
                    if let Some(report) = status {
                        let o = &mut self.orders[i];
                        if o.status.as_deref() != Some(report.status.as_str()) {
                            o.status = Some(report.status.clone());
                            self.events.push(VenueEvent::Status {
                                seq: o.seq,
                                client_id: o.client_id.clone(),
                                status: report.status,
                                executed: o.executed,
                            });
                        }
                    }
                }
                Ok(Err(e)) => warn!(client_id, error = %e, "could not poll an open order; trying again next bar"),
                Err(e) => warn!(client_id, error = %e, "could not poll an open order"),
            }
        }
        fills
    }

    /// Places a bar's accepted `orders`, sized at `close` against an account of `cash` and `held`: the fills the
    /// venue reported at once, and the orders it refused (or that could not be sized), with their reasons.
    pub fn place(&mut self, orders: &[OrderIntent], close: f64, cash: f64, held: f64) -> (Vec<Fill>, Vec<Rejection>) {
        self.place_inner(orders, close, cash, held, false)
    }

    /// [`VenueBroker::place`] for orders a killed run may or may not have placed: each is first looked up by its
    /// client order id, and adopted (with its trades) if the venue has it; only the others are placed.
    pub fn recover(&mut self, orders: &[OrderIntent], close: f64, cash: f64, held: f64) -> (Vec<Fill>, Vec<Rejection>) {
        self.place_inner(orders, close, cash, held, true)
    }

    fn place_inner(
        &mut self,
        orders: &[OrderIntent],
        close: f64,
        cash: f64,
        held: f64,
        query_first: bool,
    ) -> (Vec<Fill>, Vec<Rejection>) {
        let (mut fills, mut refused) = (Vec::new(), Vec::new());
        let (mut cash, mut held) = (cash, held);
        for intent in orders {
            let client_id = client_order_id(&self.run_id, intent.seq);
            if query_first {
                let (symbol, cid) = (self.symbol.symbol.clone(), client_id.clone());
                let found = self.call(move |rt, c| {
                    rt.block_on(async {
                        let Some(mut report) = c.query_order(&symbol, &cid).await? else { return Ok(None) };
                        report.trades = c.trades(&symbol, report.venue_id).await?;
                        Ok::<_, ClientError>(Some(report))
                    })
                });
                match found {
                    Ok(Ok(Some(report))) => {
                        info!(order = intent.seq, client_id, "found at the venue: adopted, not placed again");
                        let side = report.side;
                        let before = fills.len();
                        self.track(intent.seq, client_id, side, report, &mut fills);
                        for f in &fills[before..] {
                            (held, cash) = (held + f.position_delta(), cash + f.cash_delta());
                        }
                        continue;
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        // Unknown whether it exists: never place it blindly.
                        warn!(order = intent.seq, client_id, error = %e, "could not look the order up; not placed");
                        let reason = format!("not placed: whether an earlier attempt placed it is unknown ({e})");
                        self.events.push(VenueEvent::Refused { seq: intent.seq, client_id, reason: reason.clone() });
                        refused.push(Rejection { ts: intent.signal_ts, order_seq: intent.seq, reason });
                        continue;
                    }
                    Err(e) => {
                        refused.push(Rejection { ts: intent.signal_ts, order_seq: intent.seq, reason: e.to_string() });
                        continue;
                    }
                }
            }
            let mut refuse = |reason: String, events: &mut Vec<VenueEvent>| {
                warn!(order = intent.seq, client_id, reason, "order refused");
                events.push(VenueEvent::Refused {
                    seq: intent.seq,
                    client_id: client_id.clone(),
                    reason: reason.clone(),
                });
                refused.push(Rejection { ts: intent.signal_ts, order_seq: intent.seq, reason });
            };
            if let Some(what) = venue_unsupported(intent) {
                refuse(
                    format!("{what} orders are not placed at the venue yet; they run in paper mode"),
                    &mut self.events,
                );
                continue;
            }
            let (side, qty, _) = match self.model.resolve_for(intent.action, close, cash, held) {
                Ok(Some(sized)) => sized,
                Ok(None) => continue,
                Err(reason) => {
                    refuse(reason, &mut self.events);
                    continue;
                }
            };
            let limit =
                self.collar_pct.map(|pct| self.symbol.limit_price(side, close * (1.0 + side.sign() * pct / 100.0)));
            // A buy of a share of the cash spends that much quote at the market; anything else is a quantity.
            let by_quote = side == Side::Buy
                && limit.is_none()
                && matches!(intent.action, Action::Buy(Quantity::Percent(_) | Quantity::Cash(_)));
            let size = if by_quote {
                let quote = (qty * close * 1e8).floor() / 1e8;
                if quote < self.symbol.min_notional {
                    refuse(
                        format!(
                            "notional {} is below {}'s minimum {} (NOTIONAL)",
                            crate::fmt_num(quote),
                            self.symbol.symbol,
                            crate::fmt_num(self.symbol.min_notional)
                        ),
                        &mut self.events,
                    );
                    continue;
                }
                OrderSize::Quote(quote)
            } else {
                match self.symbol.order_qty(qty, close) {
                    Ok(q) => OrderSize::Qty(q),
                    Err(reason) => {
                        refuse(reason, &mut self.events);
                        continue;
                    }
                }
            };
            let (symbol, cid) = (self.symbol.symbol.clone(), client_id.clone());
            let placed = self.call(move |rt, c| rt.block_on(c.place(&symbol, side, size, limit, &cid)));
            let report: OrderReport = match placed {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    refuse(e.to_string(), &mut self.events);
                    continue;
                }
                Err(e) => {
                    refuse(e.to_string(), &mut self.events);
                    continue;
                }
            };
            info!(order = intent.seq, client_id, venue_id = report.venue_id, status = report.status, "order placed");
            let before = fills.len();
            self.track(intent.seq, client_id, side, report, &mut fills);
            for f in &fills[before..] {
                (held, cash) = (held + f.position_delta(), cash + f.cash_delta());
            }
        }
        (fills, refused)
    }

    /// Starts tracking a placed order and applies the trades its report carries.
    fn track(&mut self, seq: u64, client_id: String, side: Side, report: OrderReport, fills: &mut Vec<Fill>) {
        let mut tracked = TrackedOrder::new(seq, client_id.clone(), side, report.orig_qty);
        tracked.venue_id = Some(report.venue_id);
        tracked.status = Some(report.status.clone());
        self.events.push(VenueEvent::Placed {
            seq,
            client_id,
            venue_id: report.venue_id,
            status: report.status.clone(),
            side,
            qty: report.orig_qty,
        });
        self.orders.push(tracked);
        let i = self.orders.len() - 1;
        self.apply_trades(i, &report.trades, fills);
    }

    /// Rebuilds the run's orders from the venue events of its journal (a resumed run): placed orders with their
    /// status, and the trades already seen (so they are never applied again). Returns the sequence numbers the
    /// venue answered (placed or refused), and the fills of the trades from `events[pending_from..]` — seen after
    /// the last bar was stepped, so not yet applied by the session.
    pub fn restore(
        &mut self,
        events: &[VenueEvent],
        pending_from: usize,
    ) -> (std::collections::BTreeSet<u64>, Vec<Fill>) {
        let mut answered = std::collections::BTreeSet::new();
        let mut pending = Vec::new();
        let base = self.symbol.base.clone();
        for (i, e) in events.iter().enumerate() {
            match e {
                VenueEvent::Placed { seq, client_id, venue_id, status, side, qty } => {
                    answered.insert(*seq);
                    let mut o = TrackedOrder::new(*seq, client_id.clone(), *side, *qty);
                    o.venue_id = Some(*venue_id);
                    o.status = Some(status.clone());
                    self.orders.push(o);
                }
                VenueEvent::Refused { seq, .. } => {
                    answered.insert(*seq);
                }
                VenueEvent::Trade { client_id, trade, .. } => {
                    if let Some(o) = self.orders.iter_mut().rev().find(|o| &o.client_id == client_id)
                        && let Applied::New(fill) = o.apply(trade, &base, 0)
                        && i >= pending_from
                    {
                        pending.push(fill);
                    }
                }
                VenueEvent::Status { client_id, status, .. } => {
                    if let Some(o) = self.orders.iter_mut().rev().find(|o| &o.client_id == client_id) {
                        o.status = Some(status.clone());
                    }
                }
                VenueEvent::Overfill { .. } => {}
            }
        }
        (answered, pending)
    }

    /// Trades of the run's orders that the journal does not have (the run was killed between the venue filling an
    /// order and the journal recording it): fetched, applied once, returned as fills.
    pub fn catch_up(&mut self) -> Vec<Fill> {
        let mut fills = Vec::new();
        for i in 0..self.orders.len() {
            let o = &self.orders[i];
            let (Some(venue_id), complete) = (o.venue_id, o.executed >= o.orig_qty * (1.0 - 1e-9)) else { continue };
            if complete && !o.is_open() {
                continue;
            }
            let symbol = self.symbol.symbol.clone();
            match self.call(move |rt, c| rt.block_on(c.trades(&symbol, venue_id))) {
                Ok(Ok(trades)) => self.apply_trades(i, &trades, &mut fills),
                Ok(Err(e)) => warn!(error = %e, "could not read an order's trades"),
                Err(e) => warn!(error = %e, "could not read an order's trades"),
            }
        }
        fills
    }

    /// Tells a lockstep rehearsal venue (`strata venue serve --lockstep`) that the bar opened at `ts` is done.
    pub fn ack(&self, ts: i64) -> Result<(), String> {
        let answer = self.call(move |rt, c| {
            let ep = c.config().rest.with_path(&format!("/fake/ack?ts={ts}"));
            rt.block_on(crate::live::net::send(&ep, "POST", &[], std::time::Duration::from_secs(10), 1024))
        });
        match answer {
            Ok(Ok(r)) if r.status == 200 => Ok(()),
            Ok(Ok(r)) => Err(format!("the venue answered the lockstep ack with HTTP {}", r.status)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn apply_trades(&mut self, i: usize, trades: &[VenueTrade], fills: &mut Vec<Fill>) {
        let base = self.symbol.base.clone();
        for t in trades {
            let o = &mut self.orders[i];
            match o.apply(t, &base, 0) {
                Applied::New(fill) => {
                    self.events.push(VenueEvent::Trade {
                        seq: o.seq,
                        client_id: o.client_id.clone(),
                        trade: t.clone(),
                    });
                    fills.push(fill);
                }
                Applied::Duplicate => {}
                Applied::Overfill { executed, trade_qty, orig_qty } => {
                    warn!(
                        client_id = o.client_id,
                        executed,
                        trade_qty,
                        orig_qty,
                        trade = t.trade_id,
                        "overfill refused"
                    );
                    self.events.push(VenueEvent::Overfill {
                        seq: o.seq,
                        client_id: o.client_id.clone(),
                        trade: t.clone(),
                    });
                }
            }
        }
    }
}

impl Drop for VenueBroker {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a venue order cannot be yet: the venue broker places market buys, sells and exits.
fn venue_unsupported(intent: &OrderIntent) -> Option<&'static str> {
    if intent.kind != crate::order::OrderType::Market {
        return Some(intent.kind.name());
    }
    if !intent.exits.is_empty() {
        return Some("bracket (stop-loss, take-profit, trailing)");
    }
    match intent.action {
        Action::Short(_) => Some("short"),
        Action::Cover(_) => Some("cover"),
        Action::Cancel(_) => Some("cancel"),
        Action::Buy(Quantity::Risk(_)) => Some("risk-sized"),
        _ => None,
    }
}
