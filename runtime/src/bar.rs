//! The unit of market data the engine steps on, and the account values a strategy can read.

use serde::{Deserialize, Serialize};
use strata_stdlib::BarField;

/// One OHLCV bar. `ts` is epoch milliseconds UTC, as stamped by the source (the crypto sets stamp the bar's open).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    /// NaN when the data has no volume.
    pub volume: f64,
}

impl Bar {
    #[inline]
    pub fn field(&self, f: BarField) -> f64 {
        match f {
            BarField::Open => self.open,
            BarField::High => self.high,
            BarField::Low => self.low,
            BarField::Close => self.close,
            BarField::Volume => self.volume,
            BarField::Time => self.ts as f64,
        }
    }
}

/// The account as a strategy sees it at a bar's close.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AccountView {
    pub position: f64,
    pub equity: f64,
    pub cash: f64,
    /// NaN when flat.
    pub entry_price: f64,
    pub bars_in_trade: f64,
}

impl AccountView {
    #[inline]
    pub fn field(&self, f: crate::plan::AccountField) -> f64 {
        use crate::plan::AccountField as A;
        match f {
            A::Position => self.position,
            A::Equity => self.equity,
            A::Cash => self.cash,
            A::EntryPrice => self.entry_price,
            A::BarsInTrade => self.bars_in_trade,
        }
    }
}
