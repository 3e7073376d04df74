//! Oscillators of the whole bar: STOCH, STOCHRSI, CCI, WILLR, MFI.

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[];
