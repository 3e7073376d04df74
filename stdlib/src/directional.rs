//! Directional movement and trend strength: ADX, +DI, −DI, AROON.

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[];
