//! Strata's indicator library: streaming technical indicators equal to TA-Lib, and the registry that names them.
//!
//! Every indicator takes one bar at a time in O(1), has a known warm-up, and can be reset. The one design choice
//! that runs through the crate: window statistics are computed from *exact* sums ([`exact`]), so they never drift —
//! a flat window's mean is exactly its value and its width exactly zero after any number of bars — while matching
//! TA-Lib's published definitions. This crate has no dependencies and knows nothing of the engine or the languages.

pub mod average;
pub mod directional;
pub mod exact;
mod fixed;
pub mod indicator;
pub mod moments;
pub mod momentum;
pub mod oscillator;
pub mod registry;
pub mod ring;
pub mod signal;
pub mod spec;
pub mod trend;
pub mod volatility;
pub mod volume;
pub mod window;

pub use indicator::{BarField, Indicator, ParamError};
pub use registry::lookup;
pub use spec::{IndicatorSpec, ParamDefault, ParamKind, ValueKind};
