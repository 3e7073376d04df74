//! Trend-following and regression: SAR, SUPERTREND, LINEARREG, LINEARREG_SLOPE, CORREL.

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[];
