//! The fill model and the simulated broker: how a market order becomes a fill at the next bar's open.
//!
//! Design choice: there is exactly one fill model ([`FillModel`]) and one simulated broker; the backtest uses it
//! directly and live paper trading uses the same object fed by live bars — so parity between the modes is a
//! property of the code, not of two implementations kept in step.
//!
//! Rules (stated in the README): a market order placed on bar t's close fills at bar t+1's open, moved against the
//! trader by the slippage; the fee is a fraction of the notional, paid in cash. Sizes resolve at the fill price:
//! `buy N%` buys `cash × N% / (price × (1 + fee))`, so the order is always affordable; `sell N%` sells N% of the
//! position. Positions are long only: a buy never spends more cash than there is, a sell never sells more than is
//! held (both are reduced to what is possible), and one that can do nothing is rejected with its reason.

use crate::bar::Bar;
use crate::order::{Action, Fill, OrderIntent, Quantity, Rejection, Side};
use crate::portfolio::Portfolio;
use crate::risk::{Denial, RiskEngine};

/// Fees and slippage, in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FillModel {
    /// Fee as basis points of notional.
    pub fee_bps: f64,
    /// Price moved against the trader, in basis points of the reference price.
    pub slippage_bps: f64,
}

impl FillModel {
    /// The fee rate as a fraction of notional.
    #[inline]
    pub fn fee_rate(&self) -> f64 {
        self.fee_bps / 10_000.0
    }

    /// The execution price for `side` when the market trades at `reference`.
    #[inline]
    pub fn price(&self, side: Side, reference: f64) -> f64 {
        if self.slippage_bps == 0.0 {
            return reference;
        }
        reference * (1.0 + side.sign() * self.slippage_bps / 10_000.0)
    }

    /// Resolves `action` against the portfolio at market price `reference`: the side, quantity and price of the
    /// fill, or why nothing can fill. `Ok(None)` means there is nothing to do (closing a flat position).
    pub fn resolve(
        &self,
        action: Action,
        reference: f64,
        portfolio: &Portfolio,
    ) -> Result<Option<(Side, f64, f64)>, String> {
        self.resolve_for(action, reference, portfolio.cash(), portfolio.position())
    }

    /// [`FillModel::resolve`] for an account holding `cash` and a position of `held` units.
    pub fn resolve_for(
        &self,
        action: Action,
        reference: f64,
        cash: f64,
        held: f64,
    ) -> Result<Option<(Side, f64, f64)>, String> {
        let fee = self.fee_rate();
        let (side, wanted) = match action {
            Action::Close => {
                if held == 0.0 {
                    return Ok(None);
                }
                let side = if held > 0.0 { Side::Sell } else { Side::Buy };
                return Ok(Some((side, held.abs(), self.price(side, reference))));
            }
            Action::Buy(q) => (Side::Buy, q),
            Action::Sell(q) => (Side::Sell, q),
        };
        let price = self.price(side, reference);
        if !(price.is_finite() && price > 0.0) {
            return Err(format!("no valid price to fill at ({price})"));
        }
        let qty = match (side, wanted) {
            (Side::Buy, Quantity::Units(q)) => q,
            (Side::Buy, Quantity::Percent(p)) => cash * (p / 100.0) / (price * (1.0 + fee)),
            (Side::Buy, Quantity::Cash(c)) => c / (price * (1.0 + fee)),
            (Side::Sell, Quantity::Units(q)) => q,
            (Side::Sell, Quantity::Percent(p)) => held * (p / 100.0),
            (Side::Sell, Quantity::Cash(c)) => c / price,
        };
        let qty = match side {
            Side::Buy => {
                let affordable = if cash > 0.0 { cash / (price * (1.0 + fee)) } else { 0.0 };
                if affordable <= 0.0 {
                    return Err(format!("insufficient cash to buy (cash {})", crate::fmt_num(cash)));
                }
                qty.min(affordable)
            }
            Side::Sell => {
                if held <= 0.0 {
                    return Err("nothing to sell: no long position (short selling is not enabled)".to_string());
                }
                qty.min(held)
            }
        };
        if !(qty.is_finite() && qty > 0.0) {
            return Err(format!("order resolves to no quantity ({})", crate::fmt_num(qty)));
        }
        Ok(Some((side, qty, price)))
    }

    /// The fee for a fill of `qty` at `price`.
    #[inline]
    pub fn fee(&self, qty: f64, price: f64) -> f64 {
        qty * price * self.fee_rate()
    }
}

/// Holds market orders until the next bar's open and fills them with the [`FillModel`], within the risk engine's
/// price collar.
#[derive(Debug, Clone, Default)]
pub struct SimulatedBroker {
    model: FillModel,
    /// Orders and the last price when they were placed.
    pending: Vec<(OrderIntent, f64)>,
}

impl SimulatedBroker {
    pub fn new(model: FillModel) -> Self {
        Self { model, pending: Vec::new() }
    }

    pub fn model(&self) -> &FillModel {
        &self.model
    }

    /// Queues orders placed when the market traded at `last`, for the next bar's open.
    pub fn submit(&mut self, intents: &[OrderIntent], last: f64) {
        self.pending.extend(intents.iter().map(|i| (*i, last)));
    }

    /// Orders waiting for the next open.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Fills every pending order at `bar`'s open, in the order they were placed, applying each to the portfolio
    /// before sizing the next. `bar_index` is the bar's number in the run. An open outside the risk engine's
    /// price collar around the order's last price leaves the order unfilled, as a venue's protective limit would.
    #[inline]
    pub fn on_open(&mut self, bar: &Bar, bar_index: usize, portfolio: &mut Portfolio, out: &mut OpenOutcome<'_>) {
        if !self.pending.is_empty() {
            self.fill_pending(bar, bar_index, portfolio, out);
        }
    }

    fn fill_pending(&mut self, bar: &Bar, bar_index: usize, portfolio: &mut Portfolio, out: &mut OpenOutcome<'_>) {
        for (intent, last) in self.pending.drain(..) {
            if let Some(side) = intent_side(intent.action, portfolio.position())
                && let Err(denial) = out.risk.check_fill_price(intent.seq, bar.ts, side, bar.open, last)
            {
                out.denied.push(denial);
                continue;
            }
            match self.model.resolve(intent.action, bar.open, portfolio) {
                Ok(Some((side, qty, price))) => {
                    let fill =
                        Fill { ts: bar.ts, side, qty, price, fee: self.model.fee(qty, price), order_seq: intent.seq };
                    portfolio.apply(&fill, bar_index);
                    out.fills.push(fill);
                }
                Ok(None) => {}
                Err(reason) => out.rejected.push(Rejection { ts: bar.ts, order_seq: intent.seq, reason }),
            }
        }
    }

    /// Cancels every pending order (the data ended before their fill), returning them.
    pub fn cancel_all(&mut self) -> Vec<OrderIntent> {
        self.pending.drain(..).map(|(i, _)| i).collect()
    }
}

/// Where a bar's open puts what happened to the pending orders.
pub struct OpenOutcome<'a> {
    pub fills: &'a mut Vec<Fill>,
    pub rejected: &'a mut Vec<Rejection>,
    pub denied: &'a mut Vec<Denial>,
    pub risk: &'a mut RiskEngine,
}

/// The side an order trades on against a position of `held` (`None`: closing a flat position does nothing).
pub fn intent_side(action: Action, held: f64) -> Option<Side> {
    match action {
        Action::Buy(_) => Some(Side::Buy),
        Action::Sell(_) => Some(Side::Sell),
        Action::Close if held > 0.0 => Some(Side::Sell),
        Action::Close if held < 0.0 => Some(Side::Buy),
        Action::Close => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::RiskLimits;

    fn bar(ts: i64, open: f64) -> Bar {
        Bar { ts, open, high: open, low: open, close: open, volume: 0.0 }
    }

    fn intent(seq: u64, action: Action) -> OrderIntent {
        OrderIntent { seq, signal_ts: 0, action }
    }

    #[test]
    fn percent_sizing_includes_the_fee_and_spends_all_cash() {
        let model = FillModel { fee_bps: 10.0, slippage_bps: 0.0 };
        let mut b = SimulatedBroker::new(model);
        let mut p = Portfolio::new(100_000.0);
        let (mut fills, mut rej, mut denied) = (vec![], vec![], vec![]);
        let mut risk = RiskEngine::new(RiskLimits::default(), 0.0);
        b.submit(&[intent(1, Action::Buy(Quantity::Percent(100.0)))], 250.0);
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
        let model = FillModel { fee_bps: 0.0, slippage_bps: 5.0 };
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
        b.submit(&[intent(1, Action::Buy(Quantity::Units(1.0))), intent(2, Action::Buy(Quantity::Units(1.0)))], 100.0);
        let mut out = OpenOutcome { fills: &mut fills, rejected: &mut rej, denied: &mut denied, risk: &mut risk };
        b.on_open(&bar(1, 102.5), 1, &mut p, &mut out);
        assert!(fills.is_empty() && rej.is_empty());
        assert_eq!(denied.iter().map(|d| d.order_seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(p.cash(), 1_000.0);
        b.submit(&[intent(3, Action::Buy(Quantity::Units(1.0)))], 100.0);
        let mut out = OpenOutcome { fills: &mut fills, rejected: &mut rej, denied: &mut denied, risk: &mut risk };
        b.on_open(&bar(2, 101.9), 2, &mut p, &mut out);
        assert_eq!(fills.len(), 1);
    }
}
