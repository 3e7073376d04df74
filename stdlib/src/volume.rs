//! Volume indicators: OBV, AD, ADOSC, VWMA, VWAP.

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[];
