//! The fill model: the price an order fills at (slippage), its fee, and what its size means in units at that price.
//!
//! Design choice: sizing is a pure function of the order, the fill price and the account's cash and position, so
//! the broker, the risk engine's pre-trade screen and a venue adapter all size an order the same way.

use crate::order::{Action, Exits, Level, Quantity, Side};
use crate::portfolio::Portfolio;

/// Fees, slippage and the short margin requirement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillModel {
    /// Fee as basis points of notional.
    pub fee_bps: f64,
    /// Price moved against the trader on market and stop fills, in basis points of the reference price (limit
    /// fills are at their price or better, without slippage).
    pub slippage_bps: f64,
    /// Initial margin a short position needs, as a fraction of its value (0.5: Reg T's 50 %): the short's value
    /// may be at most equity / margin. 0 means no limit.
    pub short_margin: f64,
}

impl Default for FillModel {
    fn default() -> Self {
        Self { fee_bps: 0.0, slippage_bps: 0.0, short_margin: 0.5 }
    }
}

/// A fill as sized: side, quantity, price.
pub type Sized = (Side, f64, f64);

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
    pub fn resolve(&self, action: Action, reference: f64, portfolio: &Portfolio) -> Result<Option<Sized>, String> {
        self.resolve_for(action, reference, portfolio.cash(), portfolio.position())
    }

    /// [`FillModel::resolve`] for an account holding `cash` and a position of `held` units, for an order with no
    /// exits attached, filling at the market (slippage applied).
    pub fn resolve_for(&self, action: Action, reference: f64, cash: f64, held: f64) -> Result<Option<Sized>, String> {
        self.size(action, &Exits::default(), reference, true, cash, held)
    }

    /// Sizes `action` filling at `reference` (moved by the slippage when `slip`), with `exits` attached (a
    /// `risk` size reads the stop-loss among them).
    pub fn size(
        &self,
        action: Action,
        exits: &Exits,
        reference: f64,
        slip: bool,
        cash: f64,
        held: f64,
    ) -> Result<Option<Sized>, String> {
        let Some(side) = action.side(held) else { return Ok(None) };
        let price = if slip { self.price(side, reference) } else { reference };
        if !(price.is_finite() && price > 0.0) {
            return Err(format!("no valid price to fill at ({price})"));
        }
        let fee = self.fee_rate();
        let equity = cash + held * price;
        let risk_qty = |r: f64| -> Result<f64, String> {
            let long = side == Side::Buy;
            let Some(stop) = exits.stop_loss.map(|l| stop_price(l, price, long)) else {
                return Err("a risk-sized order needs a stop-loss".into());
            };
            let distance = if long { price - stop } else { stop - price };
            if distance.is_nan() || distance <= 0.0 {
                let (rel, word) = if long { ("below", "long") } else { ("above", "short") };
                return Err(format!(
                    "the stop-loss at {} is not {rel} the fill price {} of a {word} entry: nothing to size the risk on",
                    crate::fmt_num(stop),
                    crate::fmt_num(price)
                ));
            }
            if equity.is_nan() || equity <= 0.0 {
                return Err(format!("no equity to risk ({})", crate::fmt_num(equity)));
            }
            Ok(equity * (r / 100.0) / distance)
        };
        let qty = match action {
            Action::Close => return Ok(Some((side, held.abs(), price))),
            Action::Cancel(_) => return Ok(None),
            Action::Buy(q) => {
                let wanted = match q {
                    Quantity::Units(u) => u,
                    Quantity::Percent(p) => cash * (p / 100.0) / (price * (1.0 + fee)),
                    Quantity::Cash(c) => c / (price * (1.0 + fee)),
                    Quantity::Risk(r) => risk_qty(r)?,
                };
                let affordable = if cash > 0.0 { cash / (price * (1.0 + fee)) } else { 0.0 };
                if affordable <= 0.0 {
                    return Err(format!("insufficient cash to buy (cash {})", crate::fmt_num(cash)));
                }
                wanted.min(affordable)
            }
            Action::Sell(q) => {
                if held <= 0.0 {
                    return Err("nothing to sell: no long position (`short` sells short)".to_string());
                }
                reduce(q, held, price)?.min(held)
            }
            Action::Cover(q) => {
                if held >= 0.0 {
                    return Err("nothing to cover: no short position".to_string());
                }
                reduce(q, -held, price)?.min(-held)
            }
            Action::Short(q) => {
                if held > 0.0 {
                    return Err("cannot short while long: exit the long position first".to_string());
                }
                let wanted = match q {
                    Quantity::Units(u) => u,
                    Quantity::Percent(p) => equity.max(0.0) * (p / 100.0) / price,
                    Quantity::Cash(c) => c / price,
                    Quantity::Risk(r) => risk_qty(r)?,
                };
                if self.short_margin > 0.0 {
                    let room = equity / self.short_margin - (-held) * price;
                    if room.is_nan() || room <= 0.0 {
                        return Err(format!(
                            "insufficient margin to short: equity {} carries at most {} of short positions at {}% \
                             margin, and {} is already short",
                            crate::fmt_num(equity),
                            crate::fmt_num((equity / self.short_margin).max(0.0)),
                            crate::fmt_num(self.short_margin * 100.0),
                            crate::fmt_num(-held * price)
                        ));
                    }
                    wanted.min(room / price)
                } else {
                    wanted
                }
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

/// The quantity a reducing order (sell of a long, cover of a short) of size `q` asks for, against `held` units.
fn reduce(q: Quantity, held: f64, price: f64) -> Result<f64, String> {
    Ok(match q {
        Quantity::Units(u) => u,
        Quantity::Percent(p) => held * (p / 100.0),
        Quantity::Cash(c) => c / price,
        Quantity::Risk(_) => return Err("risk sizing applies to entries (`buy`, `short`), not exits".into()),
    })
}

/// The price of a stop-loss `level` for an entry filled at `fill` (`long`: the stop is below it).
pub fn stop_price(level: Level, fill: f64, long: bool) -> f64 {
    match level {
        Level::Price(p) => p,
        Level::Percent(p) if long => fill * (1.0 - p / 100.0),
        Level::Percent(p) => fill * (1.0 + p / 100.0),
    }
}

/// The price of a take-profit `level` for an entry filled at `fill` (`long`: the target is above it).
pub fn target_price(level: Level, fill: f64, long: bool) -> f64 {
    stop_price(level, fill, !long)
}

/// A trailing stop's price `distance` from `best`, the best price since the entry (`long`: the highest).
pub fn trail_price(distance: Level, best: f64, long: bool) -> f64 {
    match (distance, long) {
        (Level::Price(d), true) => best - d,
        (Level::Price(d), false) => best + d,
        (Level::Percent(p), true) => best * (1.0 - p / 100.0),
        (Level::Percent(p), false) => best * (1.0 + p / 100.0),
    }
}
