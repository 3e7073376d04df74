//! The streaming-indicator contract shared by every indicator and by the engine that drives them.
//!
//! The design choice: one object-safe trait over plain `f64` slices, with NaN meaning "undefined", so the engine can
//! drive any indicator from the registry without knowing its type, and an indicator's output can feed another's
//! input. Undefined inputs are *skipped*: the bar leaves the state untouched and the outputs undefined, so an
//! indicator of an indicator warms up from the first defined value, exactly as TA-Lib's wrappers compose.

use std::fmt;

/// A field of an OHLCV bar: what indicators of the whole bar (ATR, STOCH, ...) read implicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BarField {
    // Explicit: the engine indexes `[open, high, low, close, volume, time]` by these.
    Open = 0,
    High = 1,
    Low = 2,
    Close = 3,
    Volume = 4,
    /// The bar's timestamp, epoch milliseconds (exact in an f64 for any real date).
    Time = 5,
}

impl BarField {
    pub const ALL: [BarField; 6] =
        [BarField::Open, BarField::High, BarField::Low, BarField::Close, BarField::Volume, BarField::Time];

    pub const fn name(self) -> &'static str {
        match self {
            BarField::Open => "open",
            BarField::High => "high",
            BarField::Low => "low",
            BarField::Close => "close",
            BarField::Volume => "volume",
            BarField::Time => "time",
        }
    }

    pub fn from_name(name: &str) -> Option<BarField> {
        BarField::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for BarField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A streaming indicator: fed one bar at a time, O(1) per bar.
pub trait Indicator: Send + fmt::Debug {
    /// Consumes one bar. `inputs` holds one value per declared input; `out` receives one value per declared
    /// output, NaN while undefined. A bar with any undefined (NaN) input leaves the state unchanged.
    fn update(&mut self, inputs: &[f64], out: &mut [f64]);

    /// The fast path for one input and one output: the same as [`Indicator::update`], returning the output.
    #[inline]
    fn update1(&mut self, x: f64) -> f64 {
        let mut out = [f64::NAN];
        self.update(&[x], &mut out);
        out[0]
    }

    /// The fast path for two inputs and one output.
    #[inline]
    fn update2(&mut self, a: f64, b: f64) -> f64 {
        let mut out = [f64::NAN];
        self.update(&[a, b], &mut out);
        out[0]
    }

    /// Consumes a run of bars of a one-input indicator at once: `out[i]` is what [`Indicator::update1`] would
    /// return for `xs[i]`, bit for bit, and the state afterwards is the same. Indicators with a tighter loop
    /// override it; the engine calls it when it steps bars in columns (`strata ta`).
    fn update1_slice(&mut self, xs: &[f64], out: &mut [f64]) {
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.update1(x);
        }
    }

    /// [`Indicator::update1_slice`] for two inputs and one output.
    fn update2_slice(&mut self, a: &[f64], b: &[f64], out: &mut [f64]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = self.update2(x, y);
        }
    }

    /// [`Indicator::update1_slice`] in general: `inputs[k][i]` is input `k` of bar `i`, and `outs[j][i]` receives
    /// output `j` of bar `i`. At most 8 inputs and 8 outputs.
    fn update_slices(&mut self, inputs: &[&[f64]], outs: &mut [&mut [f64]]) {
        let len = outs.first().map_or(0, |o| o.len());
        let (mut x, mut y) = ([0.0f64; 8], [0.0f64; 8]);
        let (ni, no) = (inputs.len().min(8), outs.len().min(8));
        for i in 0..len {
            for (k, input) in inputs.iter().take(ni).enumerate() {
                x[k] = input[i];
            }
            self.update(&x[..ni], &mut y[..no]);
            for (out, &v) in outs.iter_mut().zip(&y[..no]) {
                out[i] = v;
            }
        }
    }

    /// Forgets every bar seen, as if newly built.
    fn reset(&mut self);
}

/// Implements [`Indicator`] for a one-input, one-output indicator with an inherent `update(x) -> Option<f64>`.
/// `single_series_indicator!(T, batch)` also forwards [`Indicator::update1_slice`] to an inherent
/// `update_slice(xs, out)`.
#[macro_export]
macro_rules! single_series_indicator {
    ($t:ty) => {
        $crate::single_series_indicator!(@impl $t, {});
    };
    ($t:ty, batch) => {
        $crate::single_series_indicator!(@impl $t, {
            fn update1_slice(&mut self, xs: &[f64], out: &mut [f64]) {
                <$t>::update_slice(self, xs, out)
            }
        });
    };
    (@impl $t:ty, { $($extra:item)* }) => {
        impl $crate::indicator::Indicator for $t {
            #[inline]
            fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
                out[0] = $crate::indicator::Indicator::update1(self, inputs[0]);
            }

            #[inline]
            fn update1(&mut self, x: f64) -> f64 {
                if x.is_nan() { f64::NAN } else { <$t>::update(self, x).unwrap_or(f64::NAN) }
            }

            $($extra)*

            fn reset(&mut self) {
                <$t>::reset(self)
            }
        }
    };
}

/// Implements [`Indicator`] for a one-output indicator of several inputs whose inherent
/// `update(input0, input1, ...) -> Option<f64>` takes the inputs in their declared order (the literals index them).
/// A bar with any undefined input is skipped: the state is untouched and the output undefined.
#[macro_export]
macro_rules! bar_indicator {
    ($t:ty, $($i:literal),+) => {
        impl $crate::indicator::Indicator for $t {
            #[inline]
            fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
                out[0] = if $crate::indicator::any_undefined(inputs) {
                    f64::NAN
                } else {
                    <$t>::update(self, $(inputs[$i]),+).unwrap_or(f64::NAN)
                };
            }

            fn reset(&mut self) {
                <$t>::reset(self)
            }
        }
    };
}

/// [`bar_indicator!`] for a two-input, one-output indicator, with the [`Indicator::update2`] fast path.
#[macro_export]
macro_rules! pair_indicator {
    ($t:ty) => {
        impl $crate::indicator::Indicator for $t {
            #[inline]
            fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
                out[0] = $crate::indicator::Indicator::update2(self, inputs[0], inputs[1]);
            }

            #[inline]
            fn update2(&mut self, a: f64, b: f64) -> f64 {
                if a.is_nan() || b.is_nan() { f64::NAN } else { <$t>::update(self, a, b).unwrap_or(f64::NAN) }
            }

            fn reset(&mut self) {
                <$t>::reset(self)
            }
        }
    };
}

/// TA-Lib's `TA_EPSILON` (0.8.x).
pub const TA_EPSILON: f64 = 1e-14;

/// TA-Lib's `TA_IS_ZERO(v)`: strictly inside ±1e-14.
#[inline(always)]
pub fn is_zero(v: f64) -> bool {
    -TA_EPSILON < v && v < TA_EPSILON
}

/// TA-Lib's `TA_IS_ZERO_SCALED(v, scale)`: `|v| <= 1e-14 × scale`, a test relative to the price level.
#[inline(always)]
pub fn is_zero_scaled(v: f64, scale: f64) -> bool {
    v.abs() <= TA_EPSILON * scale
}

/// A parameter value the indicator cannot work with.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    /// The parameter's name in the indicator's signature.
    pub param: &'static str,
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.param, self.message)
    }
}

impl std::error::Error for ParamError {}

/// Checks a window length: a whole number from `min` up to a sane maximum.
pub fn length_param(param: &'static str, value: f64, min: usize) -> Result<usize, ParamError> {
    // Windows are allocated up front: a million values (8 MB) is far beyond any real indicator.
    const MAX: f64 = 1_000_000.0;
    if !value.is_finite() || value.fract() != 0.0 {
        return Err(ParamError { param, message: format!("must be a whole number, got {value}") });
    }
    if value < min as f64 {
        return Err(ParamError { param, message: format!("must be at least {min}, got {value}") });
    }
    if value > MAX {
        return Err(ParamError { param, message: format!("must be at most {MAX}, got {value}") });
    }
    Ok(value as usize)
}

/// Checks a real-valued parameter: finite and within `[min, max]`.
pub fn real_param(param: &'static str, value: f64, min: f64, max: f64) -> Result<f64, ParamError> {
    if !value.is_finite() {
        return Err(ParamError { param, message: format!("must be a finite number, got {value}") });
    }
    if value < min || value > max {
        return Err(ParamError { param, message: format!("must be between {min} and {max}, got {value}") });
    }
    Ok(value)
}

/// True when any input is undefined: the bar is skipped.
#[inline(always)]
pub fn any_undefined(inputs: &[f64]) -> bool {
    inputs.iter().any(|v| v.is_nan())
}

/// Writes `value` (or NaN for `None`) to the first output.
#[inline(always)]
pub fn emit(out: &mut [f64], value: Option<f64>) {
    out[0] = value.unwrap_or(f64::NAN);
}
