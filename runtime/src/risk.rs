//! Pre-trade risk: the limits every order passes before it reaches a broker, and the trading state
//! (ACTIVE / REDUCING / HALTED) an operator can change while a run goes on.
//!
//! Design choice: the engine is pure and reads no clock. Time-based limits (orders per second, the daily loss
//! limit's UTC day) are measured on the run's own timeline — the bar times — so a backtest and a live run over the
//! same bars deny exactly the same orders, and a backtest reports what the limits would have denied.
//!
//! Quantities of orders sized in percent or cash are estimated at the price the order is placed at (the bar's
//! close): the price a venue order is sized at too. The price collar is checked where the price is known — at the
//! fill in the simulator, and as the protective limit price of the order sent to a venue.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::order::Side;
use crate::time::DAY_MS;

/// The limits of a run; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RiskLimits {
    /// Largest quantity of one order, in units of the instrument.
    pub max_order_qty: Option<f64>,
    /// Largest notional of one order (quantity × price), in account currency.
    pub max_order_notional: Option<f64>,
    /// Largest absolute position an order may leave.
    pub max_position: Option<f64>,
    /// Most orders open at once (placed and not yet filled or refused).
    pub max_open_orders: Option<usize>,
    /// Most orders accepted within any one second of the run's timeline.
    pub max_orders_per_sec: Option<u32>,
    /// Farthest a fill may be from the last price, in percent; a venue order carries it as its limit price.
    pub price_collar_pct: Option<f64>,
    /// Loss from the UTC day's starting equity after which only orders that reduce the position are allowed, for
    /// the rest of that day.
    pub daily_loss_limit: Option<f64>,
}

impl RiskLimits {
    /// Checks every limit is a positive finite number; the error names the limit as its flag.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: Option<f64>| match v {
            Some(v) if !(v.is_finite() && v > 0.0) => Err(format!("--{name} must be a positive number, got {v}")),
            _ => Ok(()),
        };
        positive("max-order-qty", self.max_order_qty)?;
        positive("max-order-notional", self.max_order_notional)?;
        positive("max-position", self.max_position)?;
        positive("price-collar-pct", self.price_collar_pct)?;
        positive("daily-loss-limit", self.daily_loss_limit)?;
        if self.max_open_orders == Some(0) {
            return Err("--max-open-orders must be at least 1".into());
        }
        if self.max_orders_per_sec == Some(0) {
            return Err("--max-orders-per-sec must be at least 1".into());
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Whether a run may trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TradingState {
    /// Every order the limits allow.
    #[default]
    Active,
    /// Only orders that shrink the position.
    Reducing,
    /// No new orders (cancels are still allowed).
    Halted,
}

impl TradingState {
    pub fn name(self) -> &'static str {
        match self {
            TradingState::Active => "ACTIVE",
            TradingState::Reducing => "REDUCING",
            TradingState::Halted => "HALTED",
        }
    }
}

impl fmt::Display for TradingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TradingState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(TradingState::Active),
            "reducing" => Ok(TradingState::Reducing),
            "halted" => Ok(TradingState::Halted),
            other => Err(format!("unknown trading state '{other}' (expected active, reducing or halted)")),
        }
    }
}

/// The rule that denied an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskRule {
    Halted,
    Reducing,
    DailyLossLimit,
    MaxOpenOrders,
    MaxOrdersPerSec,
    MaxOrderQty,
    MaxOrderNotional,
    MaxPosition,
    PriceCollar,
}

const RULES: usize = 9;

impl RiskRule {
    pub fn name(self) -> &'static str {
        match self {
            RiskRule::Halted => "halted",
            RiskRule::Reducing => "reducing",
            RiskRule::DailyLossLimit => "daily_loss_limit",
            RiskRule::MaxOpenOrders => "max_open_orders",
            RiskRule::MaxOrdersPerSec => "max_orders_per_sec",
            RiskRule::MaxOrderQty => "max_order_qty",
            RiskRule::MaxOrderNotional => "max_order_notional",
            RiskRule::MaxPosition => "max_position",
            RiskRule::PriceCollar => "price_collar",
        }
    }
}

/// An order the risk engine refused: a typed event for the journal, the log and the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Denial {
    /// The bar time it was refused at.
    pub ts: i64,
    pub order_seq: u64,
    pub rule: RiskRule,
    pub detail: String,
}

/// An order as the risk engine sees it before it is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proposed {
    pub seq: u64,
    /// The bar time it is placed at.
    pub ts: i64,
    pub side: Side,
    /// Its quantity, or `None` when it cannot be sized (the broker will say why).
    pub qty: Option<f64>,
    /// The price it is sized at (the last price).
    pub price: f64,
    /// The position before it (after the orders accepted before it on the same bar).
    pub position: f64,
}

impl Proposed {
    /// Whether it only shrinks the position, never past zero.
    pub fn reduces(&self) -> bool {
        let Some(q) = self.qty else { return false };
        match self.side {
            Side::Sell => self.position > 0.0 && q <= self.position,
            Side::Buy => self.position < 0.0 && q <= -self.position,
        }
    }
}

/// The limits and state of a run, and what they denied.
#[derive(Debug, Clone)]
pub struct RiskEngine {
    limits: RiskLimits,
    state: TradingState,
    /// Times of the orders accepted within the last second.
    recent: VecDeque<i64>,
    day: Option<i64>,
    day_start_equity: f64,
    last_equity: f64,
    loss_locked: bool,
    denied: [usize; RULES],
}

impl RiskEngine {
    pub fn new(limits: RiskLimits, initial_equity: f64) -> Self {
        Self {
            limits,
            state: TradingState::Active,
            recent: VecDeque::new(),
            day: None,
            day_start_equity: initial_equity,
            last_equity: initial_equity,
            loss_locked: false,
            denied: [0; RULES],
        }
    }

    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    pub fn state(&self) -> TradingState {
        self.state
    }

    pub fn set_state(&mut self, state: TradingState) {
        self.state = state;
    }

    /// Whether nothing can be denied (no limits, ACTIVE): the session skips sizing orders for it.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.state == TradingState::Active && self.limits.is_empty()
    }

    /// Whether the daily loss limit has stopped new risk for the rest of the current UTC day.
    pub fn loss_locked(&self) -> bool {
        self.loss_locked
    }

    /// A bar closed with `equity`: starts a new UTC day's loss budget when the day changed, and locks new risk for
    /// the rest of the day once the loss reaches the limit.
    pub fn on_close(&mut self, ts: i64, equity: f64) {
        let day = ts.div_euclid(DAY_MS);
        if self.day != Some(day) {
            self.day = Some(day);
            self.day_start_equity = self.last_equity;
            self.loss_locked = false;
        }
        self.last_equity = equity;
        if let Some(limit) = self.limits.daily_loss_limit
            && self.day_start_equity - equity >= limit
        {
            self.loss_locked = true;
        }
    }

    /// Checks one order with `open_orders` already open; an accepted order counts towards the rate limit.
    pub fn check(&mut self, order: &Proposed, open_orders: usize) -> Result<(), Denial> {
        let deny = |rule: RiskRule, detail: String| Denial { ts: order.ts, order_seq: order.seq, rule, detail };
        let reduces = order.reduces();
        let verdict = (|| {
            match self.state {
                TradingState::Halted => return Err(deny(RiskRule::Halted, "trading is HALTED".into())),
                TradingState::Reducing if !reduces => {
                    return Err(deny(
                        RiskRule::Reducing,
                        "trading is REDUCING: only orders that shrink the position".into(),
                    ));
                }
                _ => {}
            }
            if self.loss_locked && !reduces {
                let loss = self.day_start_equity - self.last_equity;
                let limit = self.limits.daily_loss_limit.unwrap_or(0.0);
                return Err(deny(
                    RiskRule::DailyLossLimit,
                    format!("today's loss {} reached the daily loss limit {}", num(loss), num(limit)),
                ));
            }
            if let Some(max) = self.limits.max_open_orders
                && open_orders >= max
            {
                return Err(deny(RiskRule::MaxOpenOrders, format!("{open_orders} orders open, the limit is {max}")));
            }
            if let Some(max) = self.limits.max_orders_per_sec {
                while self.recent.front().is_some_and(|&t| t <= order.ts - 1000) {
                    self.recent.pop_front();
                }
                if self.recent.len() >= max as usize {
                    return Err(deny(
                        RiskRule::MaxOrdersPerSec,
                        format!("{} orders in the last second, the limit is {max}", self.recent.len()),
                    ));
                }
            }
            let Some(qty) = order.qty else { return Ok(()) };
            if let Some(max) = self.limits.max_order_qty
                && qty > max
            {
                return Err(deny(
                    RiskRule::MaxOrderQty,
                    format!("quantity {} is over the limit {}", num(qty), num(max)),
                ));
            }
            let notional = qty * order.price;
            if let Some(max) = self.limits.max_order_notional
                && notional > max
            {
                return Err(deny(
                    RiskRule::MaxOrderNotional,
                    format!("notional {} is over the limit {}", num(notional), num(max)),
                ));
            }
            let after = order.position + order.side.sign() * qty;
            if let Some(max) = self.limits.max_position
                && !reduces
                && after.abs() > max
            {
                return Err(deny(
                    RiskRule::MaxPosition,
                    format!("the position would be {}, the limit is {}", num(after), num(max)),
                ));
            }
            Ok(())
        })();
        match &verdict {
            Ok(()) => {
                if self.limits.max_orders_per_sec.is_some() {
                    self.recent.push_back(order.ts);
                }
            }
            Err(d) => self.denied[d.rule as usize] += 1,
        }
        verdict
    }

    /// The protective limit price of an order placed at `last` price: the farthest the collar lets it fill.
    pub fn collar_price(&self, side: Side, last: f64) -> Option<f64> {
        self.limits.price_collar_pct.map(|pct| last * (1.0 + side.sign() * pct / 100.0))
    }

    /// Checks a fill at `price` of an order placed at `last` price against the collar.
    pub fn check_fill_price(&mut self, seq: u64, ts: i64, side: Side, price: f64, last: f64) -> Result<(), Denial> {
        let Some(limit) = self.collar_price(side, last) else { return Ok(()) };
        let outside = match side {
            Side::Buy => price > limit,
            Side::Sell => price < limit,
        };
        if !outside {
            return Ok(());
        }
        self.denied[RiskRule::PriceCollar as usize] += 1;
        Err(Denial {
            ts,
            order_seq: seq,
            rule: RiskRule::PriceCollar,
            detail: format!(
                "{} at {} is outside the {}% collar around the last price {} (limit {})",
                side.name(),
                num(price),
                num(self.limits.price_collar_pct.unwrap_or(0.0)),
                num(last),
                num(limit)
            ),
        })
    }

    /// How many orders each rule denied (rules that denied none left out), by rule name.
    pub fn denied(&self) -> BTreeMap<String, usize> {
        ALL_RULES
            .iter()
            .filter(|r| self.denied[**r as usize] > 0)
            .map(|r| (r.name().to_string(), self.denied[*r as usize]))
            .collect()
    }
}

const ALL_RULES: [RiskRule; RULES] = [
    RiskRule::Halted,
    RiskRule::Reducing,
    RiskRule::DailyLossLimit,
    RiskRule::MaxOpenOrders,
    RiskRule::MaxOrdersPerSec,
    RiskRule::MaxOrderQty,
    RiskRule::MaxOrderNotional,
    RiskRule::MaxPosition,
    RiskRule::PriceCollar,
];

fn num(v: f64) -> String {
    crate::fmt_num(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(seq: u64, ts: i64, side: Side, qty: f64, price: f64, position: f64) -> Proposed {
        Proposed { seq, ts, side, qty: Some(qty), price, position }
    }

    fn rule(r: Result<(), Denial>) -> Option<RiskRule> {
        r.err().map(|d| d.rule)
    }

    #[test]
    fn each_size_limit_denies_once_breached_and_not_before() {
        let limits = RiskLimits {
            max_order_qty: Some(10.0),
            max_order_notional: Some(1_000.0),
            max_position: Some(15.0),
            ..RiskLimits::default()
        };
        let mut r = RiskEngine::new(limits, 10_000.0);
        assert_eq!(rule(r.check(&order(1, 0, Side::Buy, 10.0, 100.0, 0.0), 0)), None);
        assert_eq!(rule(r.check(&order(2, 0, Side::Buy, 10.5, 10.0, 0.0), 0)), Some(RiskRule::MaxOrderQty));
        assert_eq!(rule(r.check(&order(3, 0, Side::Buy, 10.0, 100.5, 0.0), 0)), Some(RiskRule::MaxOrderNotional));
        assert_eq!(rule(r.check(&order(4, 0, Side::Buy, 6.0, 10.0, 10.0), 0)), Some(RiskRule::MaxPosition));
        // Shrinking a position that is over the limit is allowed.
        assert_eq!(rule(r.check(&order(5, 0, Side::Sell, 2.0, 10.0, 20.0), 0)), None);
        let counts = r.denied();
        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            vec![("max_order_notional".into(), 1), ("max_order_qty".into(), 1), ("max_position".into(), 1)]
        );
    }

    #[test]
    fn open_orders_and_rate_are_counted_on_the_runs_timeline() {
        let limits = RiskLimits { max_open_orders: Some(2), max_orders_per_sec: Some(3), ..RiskLimits::default() };
        let mut r = RiskEngine::new(limits, 1.0);
        assert_eq!(rule(r.check(&order(1, 0, Side::Buy, 1.0, 1.0, 0.0), 2)), Some(RiskRule::MaxOpenOrders));
        for seq in 0..3 {
            assert_eq!(rule(r.check(&order(seq, 500, Side::Buy, 1.0, 1.0, 0.0), 0)), None);
        }
        assert_eq!(rule(r.check(&order(9, 1499, Side::Buy, 1.0, 1.0, 0.0), 0)), Some(RiskRule::MaxOrdersPerSec));
        // A second later the window is empty again.
        assert_eq!(rule(r.check(&order(10, 1500, Side::Buy, 1.0, 1.0, 0.0), 0)), None);
    }

    #[test]
    fn states_halt_everything_or_allow_only_reductions() {
        let mut r = RiskEngine::new(RiskLimits::default(), 1.0);
        assert!(r.is_idle());
        r.set_state(TradingState::Halted);
        assert!(!r.is_idle());
        assert_eq!(rule(r.check(&order(1, 0, Side::Sell, 1.0, 1.0, 5.0), 0)), Some(RiskRule::Halted));
        r.set_state(TradingState::Reducing);
        assert_eq!(rule(r.check(&order(2, 0, Side::Sell, 5.0, 1.0, 5.0), 0)), None);
        assert_eq!(rule(r.check(&order(3, 0, Side::Sell, 6.0, 1.0, 5.0), 0)), Some(RiskRule::Reducing));
        assert_eq!(rule(r.check(&order(4, 0, Side::Buy, 1.0, 1.0, 5.0), 0)), Some(RiskRule::Reducing));
        let unknown_size = Proposed { qty: None, ..order(5, 0, Side::Sell, 0.0, 1.0, 5.0) };
        assert_eq!(rule(r.check(&unknown_size, 0)), Some(RiskRule::Reducing));
        r.set_state(TradingState::Active);
        assert_eq!(rule(r.check(&order(6, 0, Side::Buy, 1.0, 1.0, 5.0), 0)), None);
        assert_eq!("Halted".parse::<TradingState>(), Ok(TradingState::Halted));
        assert!("paused".parse::<TradingState>().unwrap_err().contains("unknown trading state 'paused'"));
    }

    #[test]
    fn the_daily_loss_limit_locks_new_risk_until_the_next_utc_day() {
        let limits = RiskLimits { daily_loss_limit: Some(100.0), ..RiskLimits::default() };
        let mut r = RiskEngine::new(limits, 1_000.0);
        r.on_close(DAY_MS + 1, 950.0);
        assert!(!r.loss_locked());
        r.on_close(DAY_MS + 2, 900.0);
        assert!(r.loss_locked());
        let d = r.check(&order(1, DAY_MS + 2, Side::Buy, 1.0, 1.0, 0.0), 0).unwrap_err();
        assert_eq!(d.rule, RiskRule::DailyLossLimit);
        assert_eq!(d.detail, "today's loss 100 reached the daily loss limit 100");
        assert_eq!(rule(r.check(&order(2, DAY_MS + 2, Side::Sell, 1.0, 1.0, 3.0), 0)), None);
        // Recovering within the day does not unlock; the next day starts from the last equity.
        r.on_close(DAY_MS + 3, 1_000.0);
        assert!(r.loss_locked());
        r.on_close(2 * DAY_MS, 950.0);
        assert!(!r.loss_locked());
        r.on_close(2 * DAY_MS + 1, 900.0);
        assert!(r.loss_locked(), "the day started at 1,000");
    }

    #[test]
    fn the_collar_bounds_the_fill_price_against_the_last_price() {
        let limits = RiskLimits { price_collar_pct: Some(5.0), ..RiskLimits::default() };
        let mut r = RiskEngine::new(limits, 1.0);
        assert_eq!(r.collar_price(Side::Buy, 100.0), Some(105.0));
        assert_eq!(r.collar_price(Side::Sell, 100.0), Some(95.0));
        assert!(r.check_fill_price(1, 0, Side::Buy, 105.0, 100.0).is_ok());
        assert!(r.check_fill_price(1, 0, Side::Sell, 95.0, 100.0).is_ok());
        let d = r.check_fill_price(2, 7, Side::Buy, 105.5, 100.0).unwrap_err();
        assert_eq!((d.rule, d.ts, d.order_seq), (RiskRule::PriceCollar, 7, 2));
        assert_eq!(rule(r.check_fill_price(3, 0, Side::Sell, 94.0, 100.0)), Some(RiskRule::PriceCollar));
        assert_eq!(r.denied().get("price_collar"), Some(&2));
    }

    #[test]
    fn limits_must_be_positive() {
        assert!(RiskLimits::default().validate().is_ok());
        let bad = RiskLimits { max_order_qty: Some(-1.0), ..RiskLimits::default() };
        assert_eq!(bad.validate().unwrap_err(), "--max-order-qty must be a positive number, got -1");
        let nan = RiskLimits { daily_loss_limit: Some(f64::NAN), ..RiskLimits::default() };
        assert!(nan.validate().unwrap_err().starts_with("--daily-loss-limit"));
        assert!(RiskLimits { max_open_orders: Some(0), ..RiskLimits::default() }.validate().is_err());
    }
}
