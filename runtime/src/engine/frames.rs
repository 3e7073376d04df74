//! Longer timeframes inside the engine: the bars of `close@1h` built from the data's bars as they arrive, and the
//! series that update on them.
//!
//! Design choice: a timeframe's series are a separate list of steps that runs only when one of its bars completes —
//! after the data's bar that ends its period, or, when the data has no bar there (a gap, a weekend, a session's
//! end), before the first bar after it. Nothing ever reads the bar still being built, so a longer timeframe's value
//! cannot change before its bar has closed: that is how the steps are built, not a rule a strategy must follow.
//! Completions on one bar run in the order their periods ended (longer first on a tie), so a series on `1h` that
//! reads `1d` sees the day exactly as it stood when its hour ended, gaps or not.

use strata_stdlib::BarField;

use super::{Slot, Step};
use crate::bar::Bar;
use crate::data::aggregate::{BarBuilder, BarSpec};
use crate::plan::Pos;
use crate::time::{format_period, period_start};

/// One longer timeframe of a plan.
pub(super) struct Frame {
    pub period: i64,
    /// Where the plan first reads it, for messages.
    pub at: Pos,
    builder: BarBuilder,
    /// The period being built began before the data did: its bar would be a fragment (a day that starts at 09:30,
    /// say), so it is dropped.
    fragment: bool,
    started: bool,
    /// Its bars completed so far.
    pub ticks: usize,
    /// The slots of this timeframe's bar fields, written when one of its bars completes.
    pub fields: Vec<(Slot, BarField)>,
    /// The steps of the series on this timeframe, in plan order.
    pub steps: Vec<Step>,
}

/// A bar of a timeframe completed while the engine took one of the data's bars.
#[derive(Debug, Clone, Copy)]
pub(super) struct Completion {
    /// When its period ended.
    pub end: i64,
    pub period: i64,
    pub frame: usize,
    pub bar: Bar,
}

impl Frame {
    pub fn new(period: i64, at: Pos) -> Self {
        Self {
            period,
            at,
            builder: BarBuilder::new(BarSpec::Time(period)),
            fragment: false,
            started: false,
            ticks: 0,
            fields: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// Why this timeframe cannot be built from bars `interval` ms apart, if it cannot.
    pub fn misfit(&self, interval: i64) -> Option<String> {
        let (tf, data) = (format_period(self.period), format_period(interval));
        if self.period <= interval {
            Some(format!("@{tf} is not longer than the data's {data} bars: a timeframe must be longer than the data's"))
        } else if !crate::time::periods_nest(self.period, interval) {
            Some(format!(
                "@{tf} is not a whole number of the data's {data} bars, so its bars cannot be built from them"
            ))
        } else {
            None
        }
    }

    /// Takes one of the data's bars (`interval` ms long) and pushes the bars of this timeframe it completes (as
    /// frame number `index`): the previous period's, when this bar is the first of a new one, and this bar's own
    /// period's, when this bar ends it.
    pub fn offer(&mut self, bar: &Bar, interval: i64, index: usize, out: &mut Vec<Completion>) {
        let period = self.period;
        let mut done = |b: Bar, fragment: bool| {
            if !fragment {
                out.push(Completion { end: b.ts.saturating_add(period), period, frame: index, bar: b });
            }
        };
        if let Some(b) = self.builder.push_bar(bar) {
            done(b, std::mem::take(&mut self.fragment));
        }
        if !self.started {
            self.started = true;
            self.fragment = period_start(bar.ts, period) != bar.ts;
        }
        if let Some(b) = self.builder.close_by(bar.ts.saturating_add(interval)) {
            done(b, std::mem::take(&mut self.fragment));
        }
    }
}
