//! The orders a run has at a venue, and their fills as the venue reports them.
//!
//! Design choice: a fill is known by the venue's trade id, so a fill reported twice — in the placement's answer and
//! again by a later query — counts once, and a fill that would take an order past its quantity is refused, never
//! applied. The venue's commission is turned into the portfolio's terms here, once: a commission paid in the base
//! asset shrinks the quantity received, one paid in the quote asset is the fill's fee.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::order::{Fill, Side};

/// A trade as the venue reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueTrade {
    pub trade_id: u64,
    pub price: f64,
    pub qty: f64,
    pub commission: f64,
    pub commission_asset: String,
    /// Venue time, epoch ms.
    pub time: i64,
}

/// What applying a trade did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// A new fill, in the portfolio's terms.
    New(Fill),
    /// That trade id was applied before.
    Duplicate,
    /// The trade would take the order past its quantity: refused.
    Overfill { executed: f64, trade_qty: f64, orig_qty: f64 },
}

/// An order of this run at the venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedOrder {
    /// The intent it carries out.
    pub seq: u64,
    pub client_id: String,
    pub side: Side,
    /// The quantity ordered (for an order by quote amount: as the venue reports it once placed; 0 before).
    pub orig_qty: f64,
    /// The quantity filled so far (trades applied).
    pub executed: f64,
    /// The venue's id, once known.
    pub venue_id: Option<u64>,
    /// The venue's status (`NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`, `EXPIRED`, `REJECTED`), once known.
    pub status: Option<String>,
    trades: BTreeSet<u64>,
}

/// Relative slack for rounding when comparing quantities (the venue prints 8 decimals).
const QTY_SLACK: f64 = 1e-9;

impl TrackedOrder {
    pub fn new(seq: u64, client_id: String, side: Side, orig_qty: f64) -> Self {
        Self { seq, client_id, side, orig_qty, executed: 0.0, venue_id: None, status: None, trades: BTreeSet::new() }
    }

    /// Whether the venue may still fill it.
    pub fn is_open(&self) -> bool {
        match self.status.as_deref() {
            None => true,
            Some(s) => matches!(s, "NEW" | "PARTIALLY_FILLED" | "PENDING_NEW"),
        }
    }

    /// Applies one trade of this order; `base_asset` tells which commission shrinks the quantity.
    pub fn apply(&mut self, t: &VenueTrade, base_asset: &str, bar_ts: i64) -> Applied {
        if self.trades.contains(&t.trade_id) {
            return Applied::Duplicate;
        }
        let limit = self.orig_qty * (1.0 + QTY_SLACK) + QTY_SLACK;
        if self.orig_qty > 0.0 && self.executed + t.qty > limit {
            return Applied::Overfill { executed: self.executed, trade_qty: t.qty, orig_qty: self.orig_qty };
        }
        self.trades.insert(t.trade_id);
        self.executed += t.qty;
        let in_base = t.commission_asset.eq_ignore_ascii_case(base_asset);
        let (qty, fee) = match (self.side, in_base) {
            // Bought qty, received qty − commission; paid qty × price.
            (Side::Buy, true) => (t.qty - t.commission, t.commission * t.price),
            // Sold qty and paid the commission in base on top.
            (Side::Sell, true) => (t.qty + t.commission, t.commission * t.price),
            // Commission in the quote asset (or another asset, whose price is not known here: counted as quote).
            (_, false) => (t.qty, t.commission),
        };
        Applied::New(Fill {
            ts: bar_ts,
            side: self.side,
            qty,
            price: t.price,
            fee,
            order_seq: self.seq,
            kind: crate::order::FillKind::Market,
        })
    }

    /// The trade ids applied.
    pub fn trade_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.trades.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(id: u64, qty: f64, commission: f64, asset: &str) -> VenueTrade {
        VenueTrade { trade_id: id, price: 100.0, qty, commission, commission_asset: asset.into(), time: 0 }
    }

    #[test]
    fn partial_fills_accumulate_and_a_trade_seen_twice_counts_once() {
        let mut o = TrackedOrder::new(7, "st-x-7".into(), Side::Buy, 3.0);
        let Applied::New(f) = o.apply(&trade(1, 1.0, 0.001, "BTC"), "BTC", 60_000) else { panic!() };
        assert_eq!((f.qty, f.price, f.fee, f.order_seq, f.ts), (0.999, 100.0, 0.1, 7, 60_000));
        assert_eq!(o.apply(&trade(1, 1.0, 0.001, "BTC"), "BTC", 60_000), Applied::Duplicate);
        assert!(matches!(o.apply(&trade(2, 2.0, 0.002, "BTC"), "BTC", 120_000), Applied::New(_)));
        assert_eq!(o.executed, 3.0);
        assert_eq!(o.trade_ids().collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn an_overfill_is_refused_and_changes_nothing() {
        let mut o = TrackedOrder::new(1, "c".into(), Side::Sell, 2.0);
        assert!(
            matches!(o.apply(&trade(1, 1.5, 0.15, "USDT"), "BTC", 0), Applied::New(f) if f.fee == 0.15 && f.qty == 1.5)
        );
        assert_eq!(
            o.apply(&trade(2, 1.0, 0.1, "USDT"), "BTC", 0),
            Applied::Overfill { executed: 1.5, trade_qty: 1.0, orig_qty: 2.0 }
        );
        assert_eq!(o.executed, 1.5);
        assert!(matches!(o.apply(&trade(3, 0.5, 0.05, "USDT"), "BTC", 0), Applied::New(_)));
    }

    #[test]
    fn open_means_the_venue_may_still_fill_it() {
        let mut o = TrackedOrder::new(1, "c".into(), Side::Buy, 1.0);
        assert!(o.is_open());
        o.status = Some("PARTIALLY_FILLED".into());
        assert!(o.is_open());
        o.status = Some("CANCELED".into());
        assert!(!o.is_open());
    }
}
