//! The path a bar's price is assumed to take between its open and its close, for orders that trigger inside it.
//!
//! Design choice: a bar is four points — open, one extreme, the other, close — walked as three straight moves, so
//! every resting order triggers at one well-defined place along the way and the fills follow in that order. Which
//! extreme comes first is unknowable from the bar; [`IntrabarPath`] states the assumption, and the broker reports the
//! bars where it changed the outcome (see `SimulatedBroker`'s ambiguity count).

use crate::bar::Bar;

/// Which of a bar's extremes the price is assumed to reach first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntrabarPath {
    /// The extreme nearer the open first (TradingView's assumption); on a tie, the low first.
    #[default]
    Nearest,
    /// Open → high → low → close.
    HighFirst,
    /// Open → low → high → close.
    LowFirst,
}

impl IntrabarPath {
    /// The bar's four points in the order the price visits them.
    pub fn points(self, bar: &Bar) -> [f64; 4] {
        let high_first = match self {
            IntrabarPath::HighFirst => true,
            IntrabarPath::LowFirst => false,
            IntrabarPath::Nearest => bar.high - bar.open < bar.open - bar.low,
        };
        if high_first { [bar.open, bar.high, bar.low, bar.close] } else { [bar.open, bar.low, bar.high, bar.close] }
    }

    /// The points of the other ordering (the one this path did not take).
    pub fn other_points(self, bar: &Bar) -> [f64; 4] {
        let [o, a, b, c] = self.points(bar);
        [o, b, a, c]
    }

    pub fn name(self) -> &'static str {
        match self {
            IntrabarPath::Nearest => "nearest",
            IntrabarPath::HighFirst => "high-first",
            IntrabarPath::LowFirst => "low-first",
        }
    }
}

/// Where an order triggers: when the price rises to a level, or falls to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    Up(f64),
    Down(f64),
}

impl Trigger {
    /// True when a bar opening at `open` has already reached it.
    #[inline]
    pub fn at_open(self, open: f64) -> bool {
        match self {
            Trigger::Up(p) => open >= p,
            Trigger::Down(p) => open <= p,
        }
    }

    /// Its level, when a move from `from` to `to` reaches it.
    #[inline]
    pub fn on_move(self, from: f64, to: f64) -> Option<f64> {
        match self {
            Trigger::Up(p) if to > from && p >= from && p <= to => Some(p),
            Trigger::Down(p) if to < from && p <= from && p >= to => Some(p),
            _ => None,
        }
    }

    /// True when a bar with this range reaches it at all.
    #[inline]
    pub fn in_range(self, bar: &Bar) -> bool {
        match self {
            Trigger::Up(p) => bar.high >= p,
            Trigger::Down(p) => bar.low <= p,
        }
    }
}
