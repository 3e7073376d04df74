//! The simulated broker: how orders become fills on a bar — market orders at the open, limit and stop orders where
//! the bar trades through them, an entry's attached exits from the moment it fills.
//!
//! Design choice: there is exactly one fill model ([`FillModel`]) and one simulated broker; the backtest uses it
//! directly and live paper trading uses the same object fed by live bars — so parity between the modes is a
//! property of the code, not of two implementations kept in step.
//!
//! Rules (stated in docs/orders.md): nothing fills on the bar an order was placed on. On a later bar, in the order
//! they were placed: market orders fill at the open; a resting order the open has already passed (a gap) fills at
//! the open; then the price walks the bar's [`IntrabarPath`] and each order fills where the walk reaches its price —
//! a limit at its price, a stop at its price (moved by the slippage), a stop-limit turns into a limit there. An
//! entry's exits (stop-loss, take-profit, trailing stop) become orders for its filled quantity at the fill, one
//! cancelling the others, reduce-only; a trailing stop moves once per bar, at the close, to trail the best price
//! since the entry. Sizes resolve at the fill price ([`FillModel::size`]).

mod fill_model;
mod finer;
mod path;

pub use fill_model::{FillModel, Sized, stop_price, target_price, trail_price};
pub use finer::FinerPath;
pub use path::{IntrabarPath, Trigger};

use crate::bar::Bar;
use crate::order::{
    Action, Exits, Fill, FillKind, Level, OrderIntent, OrderType, Quantity, Rejection, Side, TimeInForce,
};
use crate::portfolio::Portfolio;
use crate::risk::{Denial, RiskEngine};

/// What the broker counts besides fills and rejections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderCounts {
    /// Working orders cancelled by `cancel NAME` or replaced by a new order under the same name.
    pub cancelled: usize,
    /// Limit and stop orders whose time in force ran out unfilled.
    pub expired: usize,
    /// Bars whose fills would have differed had the price reached the other extreme first (of the bar, or with
    /// finer data, of a finer bar inside it).
    pub ambiguous: usize,
    /// Bars that were ambiguous by their own four points but that finer data decided.
    pub resolved: usize,
}

/// An account fills are applied to: the portfolio, or a stand-in that only keeps cash and position (for trying
/// the other intrabar path).
pub trait Book {
    fn cash(&self) -> f64;
    fn position(&self) -> f64;
    fn apply(&mut self, fill: &Fill, bar: usize);
}

impl Book for Portfolio {
    fn cash(&self) -> f64 {
        Portfolio::cash(self)
    }
    fn position(&self) -> f64 {
        Portfolio::position(self)
    }
    fn apply(&mut self, fill: &Fill, bar: usize) {
        Portfolio::apply(self, fill, bar)
    }
}

/// Cash and position alone.
#[derive(Debug, Clone, Copy)]
struct Shadow {
    cash: f64,
    position: f64,
}

impl Book for Shadow {
    fn cash(&self) -> f64 {
        self.cash
    }
    fn position(&self) -> f64 {
        self.position
    }
    fn apply(&mut self, fill: &Fill, _: usize) {
        self.cash += fill.cash_delta();
        let before = self.position;
        let after = before + fill.position_delta();
        // The portfolio's own rounding of a closed position to zero, so both books size later fills alike.
        self.position = if after.abs() <= f64::EPSILON * fill.qty.max(before.abs()) { 0.0 } else { after };
    }
}

/// An order at the broker.
#[derive(Debug, Clone)]
struct Working {
    /// Arrival number at the broker: the order orders are handled in.
    id: u64,
    intent: OrderIntent,
    /// The market price when it was placed (the risk engine's collar is around it).
    last: f64,
    /// The first bar it may fill on.
    from_bar: usize,
    /// A stop-limit whose stop has been reached: it works as a limit now.
    triggered: bool,
    /// The UTC day (days since the epoch) a DAY order works through, set on the first bar it may fill on.
    day: Option<i64>,
    /// Set when it is an entry's attached exit.
    exit: Option<ExitLeg>,
}

/// An attached exit: what it is, and for a trailing stop its distance and the best price seen.
#[derive(Debug, Clone, Copy)]
struct ExitLeg {
    role: FillKind,
    /// The entry's sequence number: the legs of one entry cancel each other.
    group: u64,
    trail: Option<(Level, f64)>,
}

impl Working {
    fn side(&self, held: f64) -> Option<Side> {
        self.intent.action.side(held)
    }

    /// Where it triggers (`None` for a market order).
    fn trigger(&self, held: f64) -> Option<Trigger> {
        let buy = self.side(held)? == Side::Buy;
        let limit = |l| if buy { Trigger::Down(l) } else { Trigger::Up(l) };
        let stop = |s| if buy { Trigger::Up(s) } else { Trigger::Down(s) };
        match self.intent.kind {
            OrderType::Market => None,
            OrderType::Limit(l) => Some(limit(l)),
            OrderType::Stop(s) => Some(stop(s)),
            OrderType::StopLimit { limit: l, .. } if self.triggered => Some(limit(l)),
            OrderType::StopLimit { stop: s, .. } => Some(stop(s)),
        }
    }

    /// Protects a long position (a sell leg) or a short one (a buy leg).
    fn protects_long(&self) -> bool {
        matches!(self.intent.action, Action::Sell(_))
    }
}

/// Holds orders until a bar fills them with the [`FillModel`], within the risk engine's price collar.
#[derive(Debug, Clone, Default)]
pub struct SimulatedBroker {
    model: FillModel,
    path: IntrabarPath,
    /// Most entries in one direction while a position is open (`pyramiding N`); `None`: no limit.
    pyramiding: Option<u32>,
    /// Working orders, in the order they reached the broker.
    working: Vec<Working>,
    /// Entries into the open position so far.
    entries: u32,
    next_id: u64,
    counts: OrderCounts,
    /// The path inside each bar from finer data, where there is some.
    finer: Option<std::sync::Arc<FinerPath>>,
}

impl SimulatedBroker {
    pub fn new(model: FillModel) -> Self {
        Self { model, ..Self::default() }
    }

    /// Assumes `path` for the price inside a bar.
    pub fn with_path(mut self, path: IntrabarPath) -> Self {
        self.path = path;
        self
    }

    /// Walks each bar along finer data where it has some (`--intrabar`).
    pub fn with_finer(mut self, finer: std::sync::Arc<FinerPath>) -> Self {
        self.set_finer(finer);
        self
    }

    /// [`SimulatedBroker::with_finer`] on a broker already built (a universe's, one per symbol).
    pub fn set_finer(&mut self, finer: std::sync::Arc<FinerPath>) {
        self.finer = Some(finer);
    }

    /// Allows at most `n` entries in one direction while a position is open.
    pub fn with_pyramiding(mut self, n: Option<u32>) -> Self {
        self.pyramiding = n;
        self
    }

    pub fn model(&self) -> &FillModel {
        &self.model
    }

    pub fn counts(&self) -> OrderCounts {
        self.counts
    }

    /// Takes the orders placed on bar `bar_index`'s close, when the market traded at `last`: they may fill from the
    /// next bar on. Cancels and replacements apply at once; a stop already on the wrong side of the market, or an
    /// exit level on the wrong side of the entry, is rejected here with its reason.
    pub fn submit(
        &mut self,
        intents: &[OrderIntent],
        last: f64,
        bar_index: usize,
        ts: i64,
        rejected: &mut Vec<Rejection>,
    ) {
        for intent in intents {
            if let Action::Cancel(tag) = intent.action {
                // Orders still working under the name; a filled entry's exits protect its position and stay.
                let before = self.working.len();
                self.working.retain(|w| w.exit.is_some() || w.intent.tag != Some(tag));
                self.counts.cancelled += before - self.working.len();
                continue;
            }
            if let Some(reason) = misplaced(intent, last) {
                rejected.push(Rejection { ts, order_seq: intent.seq, reason });
                continue;
            }
            if let Some(tag) = intent.tag {
                let before = self.working.len();
                self.working.retain(|w| w.exit.is_some() || w.intent.tag != Some(tag));
                self.counts.cancelled += before - self.working.len();
            }
            self.next_id += 1;
            self.working.push(Working {
                id: self.next_id,
                intent: *intent,
                last,
                from_bar: bar_index + 1,
                triggered: false,
                day: None,
                exit: None,
            });
        }
    }

    /// Orders working at the broker (attached exits included).
    pub fn pending(&self) -> usize {
        self.working.len()
    }

    /// Fills what `bar` (number `bar_index` in the run) fills, applying each fill to the portfolio before sizing the
    /// next. A market order whose open is outside the risk engine's price collar around its last price stays
    /// unfilled, as a venue's protective limit would leave it.
    #[inline]
    pub fn on_open(&mut self, bar: &Bar, bar_index: usize, portfolio: &mut Portfolio, out: &mut OpenOutcome<'_>) {
        if !self.working.is_empty() {
            self.on_bar(bar, bar_index, portfolio, out);
        }
    }

    /// A universe's first pass at an open ([`crate::basket`]): the market orders that close or reduce the position
    /// (`sell`, `cover`, `exit`) fill first, so the cash they free is there for every symbol's entries at the same
    /// open. [`SimulatedBroker::on_open`] then does the rest as usual.
    pub fn open_exits(&mut self, bar: &Bar, i: usize, portfolio: &mut Portfolio, out: &mut OpenOutcome<'_>) {
        if self.working.is_empty() {
            return;
        }
        self.expire(bar, i);
        self.at_open(bar, i, portfolio, out, |w, held| {
            w.intent.kind == OrderType::Market
                && w.exit.is_none()
                && match w.intent.action {
                    Action::Sell(_) => held > 0.0,
                    Action::Cover(_) => held < 0.0,
                    Action::Close => held != 0.0,
                    _ => false,
                }
        });
    }

    fn on_bar(&mut self, bar: &Bar, i: usize, portfolio: &mut Portfolio, out: &mut OpenOutcome<'_>) {
        self.expire(bar, i);
        self.at_open(bar, i, portfolio, out, |_, _| true);
        let held = portfolio.position();
        let reachable =
            self.working.iter().any(|w| w.from_bar <= i && w.trigger(held).is_some_and(|t| t.in_range(bar)));
        if reachable {
            let (coarse, coarse_other) = (self.path.points(bar), self.path.other_points(bar));
            let finer = self.finer.as_ref().and_then(|f| f.paths(bar, self.path));
            let (points, other) = match &finer {
                Some((main, other)) => (main.as_slice(), other.as_slice()),
                None => (&coarse[..], &coarse_other[..]),
            };
            // The other ordering tried on a copy first, from the same state, to compare with the real walk's fills.
            let shadow = Shadow { cash: portfolio.cash(), position: held };
            let alt = (points != other).then(|| self.try_walk(other, bar, i, shadow));
            let coarse_differs = finer.is_some()
                && coarse != coarse_other
                && !same_fills(&self.try_walk(&coarse, bar, i, shadow), &self.try_walk(&coarse_other, bar, i, shadow));
            let start = out.fills.len();
            self.walk(points, bar, i, portfolio, out.fills, out.rejected);
            if alt.is_some_and(|alt| !same_fills(&out.fills[start..], &alt)) {
                self.counts.ambiguous += 1;
            } else if coarse_differs {
                self.counts.resolved += 1;
            }
        }
        self.trail(bar, i);
    }

    /// Drops the orders whose time in force has run out before `bar`.
    fn expire(&mut self, bar: &Bar, i: usize) {
        let day = bar.ts.div_euclid(crate::time::DAY_MS);
        let before = self.working.len();
        self.working.retain_mut(|w| {
            if w.from_bar > i {
                return true;
            }
            match w.intent.tif {
                TimeInForce::Gtc => true,
                TimeInForce::Bars(n) => i < w.from_bar + n as usize,
                TimeInForce::Day => *w.day.get_or_insert(day) >= day,
            }
        });
        self.counts.expired += before - self.working.len();
    }

    /// The open: market orders, and resting orders the open has already passed, in the order they were placed.
    /// Those of them `pick` chooses (given the position held then): a universe's first pass takes only the orders that
    /// reduce a position ([`SimulatedBroker::open_exits`]).
    fn at_open(
        &mut self,
        bar: &Bar,
        i: usize,
        portfolio: &mut Portfolio,
        out: &mut OpenOutcome<'_>,
        pick: impl Fn(&Working, f64) -> bool,
    ) {
        let mut k = 0;
        while let Some(w) = self.working.get(k) {
            let held = portfolio.position();
            let fires = w.from_bar <= i
                && pick(w, held)
                && match w.trigger(held) {
                    Some(t) => t.at_open(bar.open),
                    None => true,
                };
            if !fires {
                k += 1;
                continue;
            }
            if w.intent.kind == OrderType::Market
                && let Some(side) = w.side(held)
                && let Err(denial) = out.risk.check_fill_price(w.intent.seq, bar.ts, side, bar.open, w.last)
            {
                out.denied.push(denial);
                self.working.remove(k);
                continue;
            }
            let id = w.id;
            self.fire(k, bar.open, bar, i, (bar.high, bar.low), portfolio, out.fills, out.rejected);
            k = self.working.iter().position(|o| o.id > id).unwrap_or(self.working.len());
        }
    }

    /// The fills a walk along `points` would make, tried on a copy of the orders and of the account.
    fn try_walk(&self, points: &[f64], bar: &Bar, i: usize, mut shadow: Shadow) -> Vec<Fill> {
        let mut copy = self.clone();
        let (mut fills, mut rejected) = (Vec::new(), Vec::new());
        copy.walk(points, bar, i, &mut shadow, &mut fills, &mut rejected);
        fills
    }

    /// The walk along the bar's path: each resting order fills where the price reaches it.
    fn walk<B: Book>(
        &mut self,
        points: &[f64],
        bar: &Bar,
        i: usize,
        book: &mut B,
        fills: &mut Vec<Fill>,
        rejected: &mut Vec<Rejection>,
    ) {
        for (leg, pair) in points.windows(2).enumerate() {
            let (mut at, to) = (pair[0], pair[1]);
            let later = &points[leg + 1..];
            loop {
                let held = book.position();
                let up = to > at;
                let mut next: Option<(usize, f64)> = None;
                for (j, w) in self.working.iter().enumerate() {
                    if w.from_bar > i {
                        continue;
                    }
                    let Some(p) = w.trigger(held).and_then(|t| t.on_move(at, to)) else { continue };
                    if next.is_none_or(|(_, q)| if up { p < q } else { p > q }) {
                        next = Some((j, p));
                    }
                }
                let Some((j, p)) = next else { break };
                let rest = later.iter().fold((p, p), |(hi, lo), &x| (hi.max(x), lo.min(x)));
                self.fire(j, p, bar, i, rest, book, fills, rejected);
                at = p;
            }
        }
    }

    /// Order `k` has been reached at `price`: a stop-limit turns into a limit (and fills if the price allows it);
    /// anything else fills there or is rejected. `rest` is the highest and lowest price of the bar from here on (for a
    /// trailing stop attached now).
    #[allow(clippy::too_many_arguments)]
    fn fire<B: Book>(
        &mut self,
        k: usize,
        price: f64,
        bar: &Bar,
        i: usize,
        rest: (f64, f64),
        book: &mut B,
        fills: &mut Vec<Fill>,
        rejected: &mut Vec<Rejection>,
    ) {
        let held = book.position();
        let Some(w) = self.working.get_mut(k) else { return };
        let mut kind = match (w.exit, w.intent.kind) {
            (Some(leg), _) => leg.role,
            (None, OrderType::Market) => FillKind::Market,
            (None, OrderType::Limit(_)) => FillKind::Limit,
            (None, OrderType::Stop(_)) => FillKind::Stop,
            (None, OrderType::StopLimit { .. }) => FillKind::StopLimit,
        };
        if let OrderType::StopLimit { limit, .. } = w.intent.kind
            && !w.triggered
        {
            w.triggered = true;
            let fillable = match w.side(held) {
                Some(Side::Buy) => price <= limit,
                Some(Side::Sell) => price >= limit,
                None => false,
            };
            if !fillable {
                return;
            }
            kind = FillKind::StopLimit;
        }
        let w = self.working.remove(k);
        // Limit fills are at their price or better; market and stop fills pay the slippage.
        let slip = !matches!(kind, FillKind::Limit | FillKind::StopLimit | FillKind::TakeProfit);
        let sized = self.model.size(w.intent.action, &w.intent.exits, price, slip, book.cash(), held);
        let (side, qty, fill_price) = match sized {
            Ok(Some(s)) => s,
            Ok(None) => return,
            Err(reason) => {
                rejected.push(Rejection { ts: bar.ts, order_seq: w.intent.seq, reason });
                return;
            }
        };
        let adds = held != 0.0 && held.signum() == side.sign() && w.exit.is_none();
        if adds && let Some(n) = self.pyramiding.filter(|&n| self.entries >= n) {
            rejected.push(Rejection {
                ts: bar.ts,
                order_seq: w.intent.seq,
                reason: format!("pyramiding limit reached: {n} entries into the open position"),
            });
            return;
        }
        let fill = Fill {
            ts: bar.ts,
            side,
            qty,
            price: fill_price,
            fee: self.model.fee(qty, fill_price),
            order_seq: w.intent.seq,
            kind,
        };
        book.apply(&fill, i);
        fills.push(fill);
        let after = book.position();
        if after == 0.0 {
            self.entries = 0;
        } else if held == 0.0 || held.signum() != after.signum() {
            self.entries = 1;
        } else if adds {
            self.entries += 1;
        }
        if let Some(leg) = w.exit {
            self.working.retain(|o| o.exit.is_none_or(|l| l.group != leg.group));
        }
        // Exits protecting a position that is gone (or reversed) go with it.
        self.working.retain(|o| o.exit.is_none() || if o.protects_long() { after > 0.0 } else { after < 0.0 });
        if w.exit.is_none() && w.intent.action.is_entry() && !w.intent.exits.is_empty() {
            self.attach(&w.intent, side, qty, fill_price, i, rest, bar.ts, rejected);
        }
    }

    /// Turns a filled entry's exits into working orders for `qty` (filled at `price` on bar `i`).
    #[allow(clippy::too_many_arguments)]
    fn attach(
        &mut self,
        entry: &OrderIntent,
        side: Side,
        qty: f64,
        price: f64,
        i: usize,
        rest: (f64, f64),
        ts: i64,
        rejected: &mut Vec<Rejection>,
    ) {
        let long = side == Side::Buy;
        let action = if long { Action::Sell(Quantity::Units(qty)) } else { Action::Cover(Quantity::Units(qty)) };
        let best = if long { rest.0 } else { rest.1 };
        let exits = entry.exits;
        let legs = [
            (FillKind::StopLoss, exits.stop_loss.map(|l| OrderType::Stop(stop_price(l, price, long))), None),
            (FillKind::TakeProfit, exits.take_profit.map(|l| OrderType::Limit(target_price(l, price, long))), None),
            (
                FillKind::Trail,
                exits.trail.map(|d| OrderType::Stop(trail_price(d, price, long))),
                exits.trail.map(|d| (d, best)),
            ),
        ];
        for (role, kind, trail) in legs {
            let Some(kind) = kind else { continue };
            let level = match kind {
                OrderType::Stop(p) | OrderType::Limit(p) => p,
                _ => continue,
            };
            // A stop below a long's fill (above a short's), a target above it (below).
            let below = role != FillKind::TakeProfit;
            let right_side = if long == below { level < price } else { level > price };
            if !(level.is_finite() && level > 0.0 && right_side) {
                let rel = if long == below { "below" } else { "above" };
                rejected.push(Rejection {
                    ts,
                    order_seq: entry.seq,
                    reason: format!(
                        "{} at {} is not {rel} the entry's fill at {}: not placed",
                        role.name().replace('_', "-"),
                        crate::fmt_num(level),
                        crate::fmt_num(price)
                    ),
                });
                continue;
            }
            self.next_id += 1;
            self.working.push(Working {
                id: self.next_id,
                intent: OrderIntent { action, kind, tif: TimeInForce::Gtc, exits: Exits::default(), ..*entry },
                last: price,
                from_bar: i,
                triggered: false,
                day: None,
                exit: Some(ExitLeg { role, group: entry.seq, trail }),
            });
        }
    }

    /// At the bar's close, each trailing stop moves to trail the best price since its entry.
    fn trail(&mut self, bar: &Bar, i: usize) {
        for w in &mut self.working {
            let Some(ExitLeg { trail: Some((distance, best)), .. }) = &mut w.exit else { continue };
            let long = matches!(w.intent.action, Action::Sell(_));
            // A leg attached on this bar already saw the part of it after its entry.
            if w.from_bar < i {
                *best = if long { best.max(bar.high) } else { best.min(bar.low) };
            }
            let level = trail_price(*distance, *best, long);
            if let OrderType::Stop(p) = &mut w.intent.kind {
                *p = if long { p.max(level) } else { p.min(level) };
            }
        }
    }

    /// Cancels every working order (the data ended), returning those the strategy placed (attached exits are not
    /// orders it placed).
    pub fn cancel_all(&mut self) -> Vec<OrderIntent> {
        self.working.drain(..).filter(|w| w.exit.is_none()).map(|w| w.intent).collect()
    }
}

/// Why an order is refused as placed: a stop the market has already passed, an exit on the wrong side of the entry.
fn misplaced(intent: &OrderIntent, last: f64) -> Option<String> {
    let side = intent.action.side(0.0)?;
    let buy = side == Side::Buy;
    let stop = match intent.kind {
        OrderType::Stop(s) | OrderType::StopLimit { stop: s, .. } => Some(s),
        _ => None,
    };
    if let Some(s) = stop {
        let wrong = if buy { s <= last } else { s >= last };
        if wrong {
            let (rel, instead) = if buy { ("at or below", "a limit") } else { ("at or above", "a limit") };
            return Some(format!(
                "a {} stop at {} is {rel} the market ({}): it would fill at once — use a market order or {instead}",
                side.name(),
                crate::fmt_num(s),
                crate::fmt_num(last)
            ));
        }
    }
    if !intent.action.is_entry() {
        return None;
    }
    // The entry price to expect: its limit or stop, else the market.
    let entry = match intent.kind {
        OrderType::Market => last,
        OrderType::Limit(p) | OrderType::Stop(p) => p,
        OrderType::StopLimit { limit, .. } => limit,
    };
    let check = |what: &str, level: Option<Level>, below: bool| -> Option<String> {
        let Some(Level::Price(p)) = level else { return None };
        let under = buy == below;
        let wrong = if under { p >= entry } else { p <= entry };
        wrong.then(|| {
            format!(
                "the {what} at {} is not {} the {} entry's price ({})",
                crate::fmt_num(p),
                if under { "below" } else { "above" },
                if buy { "long" } else { "short" },
                crate::fmt_num(entry)
            )
        })
    };
    check("stop-loss", intent.exits.stop_loss, true).or_else(|| check("take-profit", intent.exits.take_profit, false))
}

/// The same fills, in any order (the other path may reach them in another order but trade the same).
fn same_fills(a: &[Fill], b: &[Fill]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let key = |f: &Fill| (f.order_seq, f.side == Side::Buy, f.qty.to_bits(), f.price.to_bits());
    let mut ka: Vec<_> = a.iter().map(key).collect();
    let mut kb: Vec<_> = b.iter().map(key).collect();
    ka.sort_unstable();
    kb.sort_unstable();
    ka == kb
}

/// Where a bar puts what happened to the working orders.
pub struct OpenOutcome<'a> {
    pub fills: &'a mut Vec<Fill>,
    pub rejected: &'a mut Vec<Rejection>,
    pub denied: &'a mut Vec<Denial>,
    pub risk: &'a mut RiskEngine,
}

#[cfg(test)]
mod order_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::RiskLimits;

    fn bar(ts: i64, open: f64) -> Bar {
        Bar { ts, open, high: open, low: open, close: open, volume: 0.0 }
    }

    fn intent(seq: u64, action: Action) -> OrderIntent {
        OrderIntent::market(seq, 0, action)
    }

    #[test]
    fn percent_sizing_includes_the_fee_and_spends_all_cash() {
        let model = FillModel { fee_bps: 10.0, slippage_bps: 0.0, ..FillModel::default() };
        let mut b = SimulatedBroker::new(model);
        let mut p = Portfolio::new(100_000.0);
        let (mut fills, mut rej, mut denied) = (vec![], vec![], vec![]);
        let mut risk = RiskEngine::new(RiskLimits::default(), 0.0);
        b.submit(&[intent(1, Action::Buy(Quantity::Percent(100.0)))], 250.0, 0, 0, &mut vec![]);
        let mut out = OpenOutcome { fills: &mut fills, rejected: &mut rej, denied: &mut denied, risk: &mut risk };
        b.on_open(&bar(1, 250.0), 1, &mut p, &mut out);
        let f = fills[0];
        assert_eq!(f.qty, 100_000.0 / (250.0 * 1.001));
        assert!((f.fee - f.qty * 250.0 * 0.001).abs() < 1e-12);
        assert!(p.cash().abs() < 1e-9, "cash left {}", p.cash());
        assert!(rej.is_empty());
    }

    #[test]
    fn slippage_moves_price_against_the_trader() {
        let model = FillModel { fee_bps: 0.0, slippage_bps: 5.0, ..FillModel::default() };
        assert_eq!(model.price(Side::Buy, 100.0), 100.0 * 1.0005);
        assert_eq!(model.price(Side::Sell, 100.0), 100.0 * 0.9995);
    }

    #[test]
    fn impossible_orders_are_reduced_or_rejected() {
        let mut b = SimulatedBroker::new(FillModel::default());
        let mut p = Portfolio::new(1_000.0);
        let (mut fills, mut rej, mut denied) = (vec![], vec![], vec![]);
        let mut risk = RiskEngine::new(RiskLimits::default(), 0.0);
        b.submit(
            &[
                intent(1, Action::Sell(Quantity::Units(1.0))),
                intent(2, Action::Buy(Quantity::Units(50.0))),
                intent(3, Action::Sell(Quantity::Units(80.0))),
                intent(4, Action::Close),
            ],
            100.0,
            0,
            0,
            &mut vec![],
        );
        let mut out = OpenOutcome { fills: &mut fills, rejected: &mut rej, denied: &mut denied, risk: &mut risk };
        b.on_open(&bar(1, 100.0), 1, &mut p, &mut out);
        assert_eq!(rej.len(), 1);
        assert_eq!(rej[0].order_seq, 1);
        assert_eq!(fills.len(), 2);
        assert_eq!(fills[0].qty, 10.0); // only 1,000 of cash
        assert_eq!(fills[1].qty, 10.0); // only 10 held
        assert_eq!(p.position(), 0.0);
        assert_eq!(b.pending(), 0);
        assert!(denied.is_empty());
    }

    #[test]
    fn an_open_outside_the_collar_leaves_the_order_unfilled() {
        let mut b = SimulatedBroker::new(FillModel::default());
        let mut p = Portfolio::new(1_000.0);
        let (mut fills, mut rej, mut denied) = (vec![], vec![], vec![]);
        let mut risk = RiskEngine::new(RiskLimits { price_collar_pct: Some(2.0), ..RiskLimits::default() }, 0.0);
        b.submit(
            &[intent(1, Action::Buy(Quantity::Units(1.0))), intent(2, Action::Buy(Quantity::Units(1.0)))],
            100.0,
            0,
            0,
            &mut vec![],
        );
        let mut out = OpenOutcome { fills: &mut fills, rejected: &mut rej, denied: &mut denied, risk: &mut risk };
        b.on_open(&bar(1, 102.5), 1, &mut p, &mut out);
        assert!(fills.is_empty() && rej.is_empty());
        assert_eq!(denied.iter().map(|d| d.order_seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(p.cash(), 1_000.0);
        b.submit(&[intent(3, Action::Buy(Quantity::Units(1.0)))], 100.0, 0, 0, &mut vec![]);
        let mut out = OpenOutcome { fills: &mut fills, rejected: &mut rej, denied: &mut denied, risk: &mut risk };
        b.on_open(&bar(2, 101.9), 2, &mut p, &mut out);
        assert_eq!(fills.len(), 1);
    }
}
