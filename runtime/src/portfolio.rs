//! The portfolio: cash, position, cost basis, realized and unrealized PnL, and the round-trip trades.
//!
//! Design choice: the portfolio only *applies* fills — it never decides prices or sizes — so backtest and live share
//! it unchanged, and its arithmetic (cash −= qty × price + fee) is the one the reference backtests use, which is what
//! lets us reproduce their final equity to the last cent.

use serde::Serialize;

use crate::bar::AccountView;
use crate::order::{Fill, Side};

/// A round trip: from flat to flat (the last one may still be open at the end of a run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trade {
    pub entry_ts: i64,
    pub exit_ts: Option<i64>,
    /// +1 long, −1 short.
    pub direction: f64,
    /// Largest absolute position held.
    pub max_qty: f64,
    /// Quantity-weighted average entry price.
    pub entry_price: f64,
    /// Quantity-weighted average exit price (NaN while open).
    pub exit_price: f64,
    /// Net PnL: realized PnL minus every fee of the trade (open trades: marked at the last close).
    pub pnl: f64,
    /// `pnl` over the cash the entries cost (fees included).
    pub return_pct: f64,
    pub bars_held: usize,
}

#[derive(Debug, Clone, Default)]
struct OpenTrade {
    entry_ts: i64,
    entry_bar: usize,
    direction: f64,
    max_qty: f64,
    bought_qty: f64,
    bought_value: f64,
    sold_qty: f64,
    sold_value: f64,
    fees: f64,
}

/// Cash, position and the trades they came from.
#[derive(Debug, Clone)]
pub struct Portfolio {
    initial_cash: f64,
    cash: f64,
    qty: f64,
    /// Average price of the open position (fees excluded).
    avg_price: f64,
    realized: f64,
    fees: f64,
    last_price: f64,
    open: Option<OpenTrade>,
    closed: Vec<Trade>,
    entries: usize,
    /// A position this small or smaller counts as flat for the strategy and for round trips (a venue's dust: less
    /// than it lets one trade); it stays in the books. 0 in backtests.
    dust: f64,
}

impl Portfolio {
    pub fn new(cash: f64) -> Self {
        Self {
            initial_cash: cash,
            cash,
            qty: 0.0,
            avg_price: f64::NAN,
            realized: 0.0,
            fees: 0.0,
            last_price: f64::NAN,
            open: None,
            closed: Vec::new(),
            entries: 0,
            dust: 0.0,
        }
    }

    /// Counts positions of at most `dust` units as flat (for the strategy and round trips); see the field.
    pub fn set_dust(&mut self, dust: f64) {
        self.dust = dust.max(0.0);
    }

    pub fn initial_cash(&self) -> f64 {
        self.initial_cash
    }

    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Hands the portfolio the cash it trades with: a universe run's books share one pool ([`crate::basket`]).
    pub fn set_cash(&mut self, cash: f64) {
        self.cash = cash;
    }

    /// Signed quantity held.
    pub fn position(&self) -> f64 {
        self.qty
    }

    /// Total fees paid.
    pub fn fees(&self) -> f64 {
        self.fees
    }

    /// Realized PnL before fees.
    pub fn realized(&self) -> f64 {
        self.realized
    }

    /// Unrealized PnL of the open position at the last mark.
    pub fn unrealized(&self) -> f64 {
        if self.qty == 0.0 { 0.0 } else { (self.last_price - self.avg_price) * self.qty }
    }

    /// Cash plus the position marked at `price`.
    #[inline]
    pub fn equity_at(&self, price: f64) -> f64 {
        if self.qty == 0.0 { self.cash } else { self.cash + self.qty * price }
    }

    /// Marks the position at `price` (a bar's close) and returns equity.
    #[inline]
    pub fn mark(&mut self, price: f64) -> f64 {
        self.last_price = price;
        self.equity_at(price)
    }

    /// Number of entries (flat → position).
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Closed round trips.
    pub fn closed_trades(&self) -> &[Trade] {
        &self.closed
    }

    /// The round trip still open, marked at the last price.
    pub fn open_trade(&self, now_bar: usize) -> Option<Trade> {
        let t = self.open.as_ref()?;
        let marked_value = self.qty.abs() * self.last_price;
        Some(self.trade_record(t, None, now_bar, marked_value))
    }

    /// The account as the strategy sees it, marked at `price`, at bar number `bar`.
    #[inline]
    pub fn view(&self, price: f64, bar: usize) -> AccountView {
        let flat = self.qty.abs() <= self.dust;
        AccountView {
            position: if flat { 0.0 } else { self.qty },
            equity: self.equity_at(price),
            cash: self.cash,
            entry_price: if flat { f64::NAN } else { self.avg_price },
            bars_in_trade: self.open.as_ref().map_or(0.0, |t| (bar - t.entry_bar) as f64),
        }
    }

    /// Applies a fill that happened on bar number `bar`.
    pub fn apply(&mut self, fill: &Fill, bar: usize) {
        let signed = fill.side.sign() * fill.qty;
        let notional = fill.qty * fill.price;
        match fill.side {
            Side::Buy => self.cash -= notional + fill.fee,
            Side::Sell => self.cash += notional - fill.fee,
        }
        self.fees += fill.fee;
        let before = self.qty;
        let after = before + signed;
        if before == 0.0 || before.signum() == signed.signum() {
            // Opening or adding: the average price moves.
            let held = before.abs();
            self.avg_price = if held == 0.0 {
                fill.price
            } else {
                (self.avg_price * held + fill.price * fill.qty) / (held + fill.qty)
            };
        } else {
            // Reducing (possibly through zero).
            let closed = fill.qty.min(before.abs());
            self.realized += (fill.price - self.avg_price) * closed * before.signum();
            if fill.qty > before.abs() {
                self.avg_price = fill.price;
            }
        }
        self.qty = if after.abs() <= f64::EPSILON * fill.qty.max(before.abs()) { 0.0 } else { after };

        // Round-trip bookkeeping (without dust, `open` is `None` exactly when `before` is 0).
        if self.open.is_none() && self.qty.abs() > self.dust {
            self.start_trade(fill, bar);
        }
        if let Some(t) = self.open.as_mut() {
            match fill.side {
                Side::Buy => {
                    t.bought_qty += fill.qty;
                    t.bought_value += notional;
                }
                Side::Sell => {
                    t.sold_qty += fill.qty;
                    t.sold_value += notional;
                }
            }
            t.fees += fill.fee;
            t.max_qty = t.max_qty.max(self.qty.abs());
        }
        let flipped = before != 0.0 && self.qty != 0.0 && before.signum() != self.qty.signum();
        if self.qty.abs() <= self.dust || flipped {
            if let Some(t) = self.open.take() {
                let record = self.trade_record(&t, Some(fill.ts), bar, 0.0);
                self.closed.push(record);
            }
            if flipped {
                self.start_trade(fill, bar);
            }
        }
        if self.qty == 0.0 {
            self.avg_price = f64::NAN;
        }
    }

    fn start_trade(&mut self, fill: &Fill, bar: usize) {
        self.entries += 1;
        self.open = Some(OpenTrade {
            entry_ts: fill.ts,
            entry_bar: bar,
            direction: if fill.side == Side::Buy { 1.0 } else { -1.0 },
            ..OpenTrade::default()
        });
    }

    fn trade_record(&self, t: &OpenTrade, exit_ts: Option<i64>, now_bar: usize, marked_value: f64) -> Trade {
        let long = t.direction > 0.0;
        let (entry_qty, entry_value, exit_qty, exit_value) = if long {
            (t.bought_qty, t.bought_value, t.sold_qty, t.sold_value)
        } else {
            (t.sold_qty, t.sold_value, t.bought_qty, t.bought_value)
        };
        let gross =
            if long { exit_value + marked_value - entry_value } else { entry_value - exit_value - marked_value };
        let pnl = gross - t.fees;
        let cost = entry_value + t.fees;
        Trade {
            entry_ts: t.entry_ts,
            exit_ts,
            direction: t.direction,
            max_qty: t.max_qty,
            entry_price: if entry_qty > 0.0 { entry_value / entry_qty } else { f64::NAN },
            exit_price: if exit_qty > 0.0 && exit_ts.is_some() { exit_value / exit_qty } else { f64::NAN },
            pnl,
            return_pct: if cost > 0.0 { pnl / cost } else { f64::NAN },
            bars_held: now_bar - t.entry_bar,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(ts: i64, side: Side, qty: f64, price: f64, fee: f64) -> Fill {
        Fill { ts, side, qty, price, fee, order_seq: 0, kind: crate::order::FillKind::Market }
    }

    #[test]
    fn dust_counts_as_flat_for_the_strategy_and_round_trips_but_stays_in_the_books() {
        let mut p = Portfolio::new(1000.0);
        p.set_dust(0.001);
        p.apply(&fill(1, Side::Buy, 1.0, 100.0, 0.0), 1);
        p.apply(&fill(2, Side::Sell, 0.9995, 110.0, 0.0), 2);
        assert_eq!(p.position(), 1.0 - 0.9995, "the dust is held");
        assert_eq!(p.view(110.0, 2).position, 0.0, "the strategy sees flat");
        assert_eq!(p.closed_trades().len(), 1);
        assert_eq!(p.equity_at(110.0), 1000.0 - 100.0 + 0.9995 * 110.0 + (1.0 - 0.9995) * 110.0);
        p.apply(&fill(3, Side::Buy, 1.0, 120.0, 0.0), 3);
        assert_eq!((p.entries(), p.view(120.0, 3).position), (2, 1.0 + (1.0 - 0.9995)));
    }

    #[test]
    fn round_trip_accounts_for_fees() {
        let mut p = Portfolio::new(1000.0);
        p.apply(&fill(1, Side::Buy, 10.0, 50.0, 0.5), 1);
        assert_eq!(p.cash(), 1000.0 - 500.0 - 0.5);
        assert_eq!(p.position(), 10.0);
        assert_eq!(p.mark(55.0), 499.5 + 550.0);
        assert_eq!(p.unrealized(), 50.0);
        p.apply(&fill(5, Side::Sell, 10.0, 60.0, 0.6), 5);
        assert_eq!(p.position(), 0.0);
        assert_eq!(p.cash(), 499.5 + 600.0 - 0.6);
        assert_eq!(p.realized(), 100.0);
        let t = &p.closed_trades()[0];
        assert_eq!(t.pnl, 100.0 - 1.1);
        assert_eq!(t.bars_held, 4);
        assert_eq!((t.entry_price, t.exit_price), (50.0, 60.0));
        assert_eq!(p.entries(), 1);
    }

    #[test]
    fn scaling_in_averages_the_entry() {
        let mut p = Portfolio::new(10_000.0);
        p.apply(&fill(1, Side::Buy, 1.0, 100.0, 0.0), 1);
        p.apply(&fill(2, Side::Buy, 3.0, 200.0, 0.0), 2);
        assert_eq!(p.view(200.0, 2).entry_price, 175.0);
        assert_eq!(p.view(200.0, 4).bars_in_trade, 3.0);
        p.apply(&fill(3, Side::Sell, 2.0, 225.0, 0.0), 3);
        assert_eq!(p.realized(), 100.0);
        assert_eq!(p.position(), 2.0);
        assert!(p.closed_trades().is_empty());
        let open = p.open_trade(3).unwrap();
        assert_eq!(open.exit_ts, None);
    }
}
