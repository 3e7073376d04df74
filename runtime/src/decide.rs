//! Decisions made outside the plan: the hook a scripting front-end plugs into the engine.
//!
//! Design choice: the runtime knows no language. A plan whose decisions live in a script ([`Plan::script`]) is run
//! like any other — its series are plan nodes the engine computes natively — and on each bar after their warm-up
//! the engine hands a read-only [`BarContext`] to a boxed [`Decider`], which places orders only through an
//! [`OrderPad`]. So a script's orders become the same [`OrderIntent`]s, filled by the same fill model, as a `.strat`
//! file's; and a script that fails stops the run with a [`DecideError`], never a panic.
//!
//! [`Plan::script`]: crate::plan::Plan::script

use thiserror::Error;

use crate::bar::{AccountView, Bar};
use crate::order::{Action, OrderIntent, Rejection};

/// What a decider sees on a bar's close.
#[derive(Debug, Clone, Copy)]
pub struct BarContext<'a> {
    pub bar: &'a Bar,
    /// The bar's number in the run, from 0.
    pub bar_index: usize,
    /// The account after this bar's fills, marked at its close.
    pub account: &'a AccountView,
    /// The values of the plan's `outputs`, in order (NaN = undefined).
    pub values: &'a [f64],
    /// The parameter values of the run, in declaration order.
    pub params: &'a [f64],
}

/// Where a decider places orders: each gets the run's next sequence number and the bar's timestamp.
#[derive(Debug)]
pub struct OrderPad<'a> {
    pub(crate) seq: &'a mut u64,
    pub(crate) ts: i64,
    pub(crate) out: &'a mut Vec<OrderIntent>,
    pub(crate) rejected: &'a mut Vec<Rejection>,
}

impl OrderPad<'_> {
    /// Places a market order (it fills at the next bar's open); returns its sequence number.
    pub fn place(&mut self, action: Action) -> u64 {
        self.place_intent(OrderIntent::market(0, 0, action))
    }

    /// Records an order the script placed that cannot be placed as asked (a price that is not a positive number,
    /// say): it takes the next sequence number, as a `.strat` order rejected on placement does, and is counted.
    pub fn reject(&mut self, reason: String) -> u64 {
        *self.seq += 1;
        self.rejected.push(Rejection { ts: self.ts, order_seq: *self.seq, reason });
        *self.seq
    }

    /// Places `intent` — any order type, terms and exits — under the run's next sequence number and this bar's time;
    /// returns the sequence number.
    pub fn place_intent(&mut self, intent: OrderIntent) -> u64 {
        *self.seq += 1;
        self.out.push(OrderIntent { seq: *self.seq, signal_ts: self.ts, ..intent });
        *self.seq
    }
}

/// Why a decider stopped the run; the message is complete (the front-end names the file, the bar, the cause).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct DecideError {
    pub message: String,
}

/// Decides on each bar's close. Called once per bar from the plan's warm-up on, in bar order.
pub trait Decider {
    fn on_bar(&mut self, ctx: &BarContext<'_>, orders: &mut OrderPad<'_>) -> Result<(), DecideError>;
}
