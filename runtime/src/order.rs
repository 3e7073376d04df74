//! Orders as the engine emits them, fills as a broker reports them, and the events in between.
//!
//! Design choice: an intent carries its size *as the strategy said it* (units, percent of equity, cash, risk, or
//! "the whole position"), not a quantity: the quantity depends on the fill price, which only the broker knows when
//! it fills. So sizing lives in one place — the fill model — for backtest and live alike. Likewise an entry's
//! stop-loss, take-profit and trailing stop travel with it as [`Exits`] levels, and become orders only when, and
//! for as much as, the entry fills.

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
    /// Percent: a buy spends this share of the cash (fee included), a sell or cover trades this share of the
    /// position, a short sells this share of the equity's worth.
    Percent(f64),
    /// An amount of cash, fee included.
    Cash(f64),
    /// Percent of the equity lost if the entry's stop-loss is hit: qty = equity × N% / |fill price − stop|.
    Risk(f64),
}

/// What an order does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Action {
    Buy(Quantity),
    /// Sells (part of) a long position; never more than is held.
    Sell(Quantity),
    /// Sells to open or add to a short position, within the margin requirement.
    Short(Quantity),
    /// Buys back (part of) a short position; never more than is short.
    Cover(Quantity),
    /// Close whatever position is open when it fills (`exit`).
    Close,
    /// Cancels the orders still working under this name (`cancel NAME`); a filled entry's exits stay.
    Cancel(u32),
}

impl Action {
    /// The side it trades on against a position of `held` (`None`: closing a flat position, or a cancel).
    pub fn side(self, held: f64) -> Option<Side> {
        match self {
            Action::Buy(_) | Action::Cover(_) => Some(Side::Buy),
            Action::Sell(_) | Action::Short(_) => Some(Side::Sell),
            Action::Close if held > 0.0 => Some(Side::Sell),
            Action::Close if held < 0.0 => Some(Side::Buy),
            Action::Close | Action::Cancel(_) => None,
        }
    }

    /// True for the orders that open or add to a position (`buy`, `short`): the ones exits may be attached to.
    pub fn is_entry(self) -> bool {
        matches!(self, Action::Buy(_) | Action::Short(_))
    }
}

/// The price condition of an order.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// Fills at the next bar's open.
    #[default]
    Market,
    /// Fills at this price or better: when a later bar trades through it, at the price (at the open if the bar gaps
    /// through it).
    Limit(f64),
    /// Becomes a market order when a later bar trades through this price: fills at it (at the open on a gap).
    Stop(f64),
    /// Becomes a limit order at `limit` when a later bar trades through `stop`.
    StopLimit { stop: f64, limit: f64 },
}

impl OrderType {
    pub fn name(self) -> &'static str {
        match self {
            OrderType::Market => "market",
            OrderType::Limit(_) => "limit",
            OrderType::Stop(_) => "stop",
            OrderType::StopLimit { .. } => "stop-limit",
        }
    }
}

/// How long a limit or stop order works before it expires unfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Until filled or cancelled.
    #[default]
    Gtc,
    /// Until the end of the UTC day of the first bar it could fill on.
    Day,
    /// For this many bars after the bar it was placed on.
    Bars(u32),
}

/// A level attached to an entry: an absolute price, or a percent of the entry's fill price (for a trailing stop,
/// the distance from the best price since the entry: a price distance, or a percent of that best price).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Price(f64),
    Percent(f64),
}

/// The exits attached to an entry. When the entry fills they become orders for the filled quantity, one cancelling
/// the others (OCO), and reduce-only: they never trade more than the position they protect.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Exits {
    pub stop_loss: Option<Level>,
    pub take_profit: Option<Level>,
    pub trail: Option<Level>,
}

impl Exits {
    pub fn is_empty(&self) -> bool {
        self.stop_loss.is_none() && self.take_profit.is_none() && self.trail.is_none()
    }
}

/// An order the strategy wants placed. Nothing fills on the bar it was placed on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OrderIntent {
    /// Sequence number within the run, from 1: deterministic, so it can name the order at a venue.
    pub seq: u64,
    /// Timestamp of the bar whose close produced it.
    pub signal_ts: i64,
    pub action: Action,
    #[serde(default)]
    pub kind: OrderType,
    #[serde(default)]
    pub tif: TimeInForce,
    #[serde(default)]
    pub exits: Exits,
    /// The name it was placed under (`as NAME`): a later order under the same name replaces it while it works, and
    /// `cancel NAME` cancels it.
    #[serde(default)]
    pub tag: Option<u32>,
}

impl OrderIntent {
    /// A market order with nothing attached.
    pub fn market(seq: u64, signal_ts: i64, action: Action) -> Self {
        Self {
            seq,
            signal_ts,
            action,
            kind: OrderType::Market,
            tif: TimeInForce::Gtc,
            exits: Exits::default(),
            tag: None,
        }
    }
}

/// What produced a fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillKind {
    #[default]
    Market,
    Limit,
    Stop,
    StopLimit,
    /// An entry's attached stop-loss.
    StopLoss,
    /// An entry's attached take-profit.
    TakeProfit,
    /// An entry's attached trailing stop.
    Trail,
}

impl FillKind {
    pub fn name(self) -> &'static str {
        match self {
            FillKind::Market => "market",
            FillKind::Limit => "limit",
            FillKind::Stop => "stop",
            FillKind::StopLimit => "stop_limit",
            FillKind::StopLoss => "stop_loss",
            FillKind::TakeProfit => "take_profit",
            FillKind::Trail => "trail",
        }
    }
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
    /// The intent it fills (for an attached exit, the entry it protects).
    pub order_seq: u64,
    #[serde(default)]
    pub kind: FillKind,
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
