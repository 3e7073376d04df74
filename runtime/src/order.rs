//! Orders as the engine emits them, fills as a broker reports them, and the events in between.
//!
//! Design choice: an intent carries its size *as the strategy said it* (units, percent of equity, cash, or "the
//! whole position"), not a quantity: the quantity depends on the fill price, which only the broker knows when it
//! fills at the next bar's open. So sizing lives in one place — the fill model — for backtest and live alike.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }

    /// +1 for a buy, −1 for a sell.
    pub fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }
}

/// How much to trade, resolved to a quantity at fill time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Quantity {
    Units(f64),
    /// Percent: a buy spends this share of the cash (fee included), a sell sells this share of the position.
    Percent(f64),
    /// An amount of cash, fee included.
    Cash(f64),
}

/// What an order does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Action {
    Buy(Quantity),
    Sell(Quantity),
    /// Close whatever position is open when it fills (`exit`).
    Close,
}

/// A market order the strategy wants placed; it fills at the next bar's open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrderIntent {
    /// Sequence number within the run, from 1: deterministic, so it can name the order at a venue.
    pub seq: u64,
    /// Timestamp of the bar whose close produced it.
    pub signal_ts: i64,
    pub action: Action,
}

/// An executed trade.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Timestamp of the bar it filled on.
    pub ts: i64,
    pub side: Side,
    pub qty: f64,
    /// Execution price, slippage included.
    pub price: f64,
    /// Fee paid in cash.
    pub fee: f64,
    /// The intent it fills.
    pub order_seq: u64,
}

impl Fill {
    /// The change it makes to the position (bought: +qty, sold: −qty).
    #[inline]
    pub fn position_delta(&self) -> f64 {
        self.side.sign() * self.qty
    }

    /// The change it makes to the cash, fee included.
    #[inline]
    pub fn cash_delta(&self) -> f64 {
        -(self.side.sign() * self.qty * self.price + self.fee)
    }
}

/// Why an order did not (fully) happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub ts: i64,
    pub order_seq: u64,
    pub reason: String,
}
