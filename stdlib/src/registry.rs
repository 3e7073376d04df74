//! The indicator registry: name → signature, outputs, warm-up, definition and constructor.
//!
//! Design choice: one static table is the single source of truth. The compilers check names, arity and
//! parameters against it, the engine builds indicators from it, and `strata help indicators` prints it — so the
//! language, the engine and the docs cannot disagree about an indicator.

use crate::average::{Ema, Sma};
use crate::indicator::{BarField, Indicator, ParamError};
use crate::momentum::Rsi;
use crate::signal::{Cross, Direction};
use crate::volatility::{Bbands, StdDev, Variance};
use crate::window::{Extreme, Side, Sum};

/// A series input of an indicator.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec {
    pub name: &'static str,
    /// `Some(field)`: the bar's field, read implicitly (not written in the call).
    pub implicit: Option<BarField>,
}

/// What kind of number a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// A window length: a whole number, at least `min`.
    Length { min: usize },
    /// A real number in `[min, max]`.
    Real { min: f64, max: f64 },
}

/// A constant parameter of an indicator (a number or a strategy `param`, never a series).
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    /// What a call that leaves the parameter out gets.
    pub default: ParamDefault,
}

/// The value of a parameter a call leaves out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamDefault {
    /// The call must give it.
    Required,
    Value(f64),
    /// The value of an earlier parameter (by index), e.g. `mult_down` defaults to `mult`.
    SameAs(usize),
}

/// The type of an output series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Number,
    Bool,
}

/// One output series of an indicator.
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec {
    pub name: &'static str,
    pub kind: ValueKind,
}

/// Builds an indicator from all its parameters (defaults filled in), checking them.
pub type Builder = fn(&[f64]) -> Result<Box<dyn Indicator>, ParamError>;

/// Everything the compilers, the engine and the docs need to know about one indicator.
pub struct IndicatorSpec {
    pub name: &'static str,
    /// One line: what it is.
    pub summary: &'static str,
    /// The definition, as the docs state it.
    pub definition: &'static str,
    pub inputs: &'static [InputSpec],
    pub params: &'static [ParamSpec],
    pub outputs: &'static [OutputSpec],
    /// Bars from the first bar with every input defined to the first defined output, given all parameters.
    pub warmup: fn(&[f64]) -> usize,
    /// Builds the indicator from all parameters (defaults filled in), checking them.
    pub build: Builder,
}

impl std::fmt::Debug for IndicatorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndicatorSpec").field("name", &self.name).finish_non_exhaustive()
    }
}

impl IndicatorSpec {
    /// Inputs written in a call, in order (the implicit ones are not).
    pub fn explicit_inputs(&self) -> impl Iterator<Item = &InputSpec> {
        self.inputs.iter().filter(|i| i.implicit.is_none())
    }

    /// Parameters a call must give (those without a default).
    pub fn required_params(&self) -> usize {
        self.params.iter().filter(|p| p.default == ParamDefault::Required).count()
    }

    /// All parameters from the ones a call gave, defaults filled in. `given` must not be longer than `params`.
    pub fn fill_defaults(&self, given: &[f64]) -> Vec<f64> {
        let mut all = given.to_vec();
        for p in &self.params[given.len().min(self.params.len())..] {
            let v = match p.default {
                ParamDefault::Required => f64::NAN,
                ParamDefault::Value(v) => v,
                ParamDefault::SameAs(i) => all.get(i).copied().unwrap_or(f64::NAN),
            };
            all.push(v);
        }
        all
    }

    /// The call signature as the language writes it, e.g. `bbands(source, length, mult = 2)`.
    pub fn signature(&self) -> String {
        let mut args: Vec<String> = self.explicit_inputs().map(|i| i.name.to_string()).collect();
        for p in self.params {
            match p.default {
                ParamDefault::Required => args.push(p.name.to_string()),
                ParamDefault::Value(d) => args.push(format!("{} = {}", p.name, d)),
                ParamDefault::SameAs(i) => args.push(format!("{} = {}", p.name, self.params[i].name)),
            }
        }
        format!("{}({})", self.name, args.join(", "))
    }

    /// Validates parameters (all of them, defaults filled in) without building.
    pub fn check(&self, params: &[f64]) -> Result<(), ParamError> {
        (self.build)(params).map(|_| ())
    }
}

const SOURCE: InputSpec = InputSpec { name: "source", implicit: None };
const LENGTH: ParamSpec =
    ParamSpec { name: "length", kind: ParamKind::Length { min: 1 }, default: ParamDefault::Required };
const NUMBER: OutputSpec = OutputSpec { name: "value", kind: ValueKind::Number };
const BOOL: OutputSpec = OutputSpec { name: "value", kind: ValueKind::Bool };

fn len(p: &[f64]) -> usize {
    p.first().copied().unwrap_or(1.0).max(1.0) as usize
}

fn boxed<I: Indicator + 'static>(r: Result<I, ParamError>) -> Result<Box<dyn Indicator>, ParamError> {
    r.map(|i| Box::new(i) as Box<dyn Indicator>)
}

static REGISTRY: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "sma",
        summary: "simple moving average",
        definition: "The mean of the last `length` values: the correctly rounded sum of the window divided by \
                     `length` (exact, so a flat window averages to exactly its value). TA-Lib SMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Sma::new(p[0])),
    },
    IndicatorSpec {
        name: "ema",
        summary: "exponential moving average",
        definition: "Seeded with the SMA of the first `length` values, then `ema += (x - ema) * 2 / (length + 1)`. \
                     TA-Lib EMA.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Ema::new(p[0])),
    },
    IndicatorSpec {
        name: "rsi",
        summary: "relative strength index (Wilder)",
        definition: "100 × avg gain / (avg gain + avg loss) over `length` changes; the averages start as plain means \
                     of the first `length` changes, then `avg = (avg × (length − 1) + change) / length`. 0 when there \
                     is neither gain nor loss. TA-Lib RSI.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: len,
        build: |p| boxed(Rsi::new(p[0])),
    },
    IndicatorSpec {
        name: "bbands",
        summary: "Bollinger Bands",
        definition: "middle = SMA(source, length); upper / lower = middle ± mult × population standard deviation of \
                     the window (`mult_down` defaults to `mult`). TA-Lib BBANDS with an SMA.",
        inputs: &[SOURCE],
        params: &[
            LENGTH,
            ParamSpec { name: "mult", kind: ParamKind::Real { min: 0.0, max: 1e6 }, default: ParamDefault::Value(2.0) },
            ParamSpec {
                name: "mult_down",
                kind: ParamKind::Real { min: 0.0, max: 1e6 },
                default: ParamDefault::SameAs(1),
            },
        ],
        outputs: &[
            OutputSpec { name: "upper", kind: ValueKind::Number },
            OutputSpec { name: "middle", kind: ValueKind::Number },
            OutputSpec { name: "lower", kind: ValueKind::Number },
        ],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Bbands::new(p[0], p[1], p[2])),
    },
    IndicatorSpec {
        name: "stddev",
        summary: "standard deviation",
        definition: "Population standard deviation (divisor `length`) of the last `length` values, times `mult`. \
                     TA-Lib STDDEV.",
        inputs: &[SOURCE],
        params: &[
            LENGTH,
            ParamSpec { name: "mult", kind: ParamKind::Real { min: 0.0, max: 1e6 }, default: ParamDefault::Value(1.0) },
        ],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(StdDev::new(p[0], p[1])),
    },
    IndicatorSpec {
        name: "variance",
        summary: "variance",
        definition: "Population variance (divisor `length`) of the last `length` values. TA-Lib VAR.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Variance::new(p[0])),
    },
    IndicatorSpec {
        name: "highest",
        summary: "highest value over a window",
        definition: "The largest of the last `length` values, the current one included. TA-Lib MAX.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Extreme::new(p[0], Side::Highest)),
    },
    IndicatorSpec {
        name: "lowest",
        summary: "lowest value over a window",
        definition: "The smallest of the last `length` values, the current one included. TA-Lib MIN.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Extreme::new(p[0], Side::Lowest)),
    },
    IndicatorSpec {
        name: "sum",
        summary: "sum over a window",
        definition: "The correctly rounded sum of the last `length` values. TA-Lib SUM.",
        inputs: &[SOURCE],
        params: &[LENGTH],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        build: |p| boxed(Sum::new(p[0])),
    },
    IndicatorSpec {
        name: "crossover",
        summary: "a crosses above b",
        definition: "True on the bar where `a > b` after `a <= b` on the previous bar.",
        inputs: &[InputSpec { name: "a", implicit: None }, InputSpec { name: "b", implicit: None }],
        params: &[],
        outputs: &[BOOL],
        warmup: |_| 1,
        build: |_| Ok(Box::new(Cross::new(Direction::Over))),
    },
    IndicatorSpec {
        name: "crossunder",
        summary: "a crosses below b",
        definition: "True on the bar where `a < b` after `a >= b` on the previous bar.",
        inputs: &[InputSpec { name: "a", implicit: None }, InputSpec { name: "b", implicit: None }],
        params: &[],
        outputs: &[BOOL],
        warmup: |_| 1,
        build: |_| Ok(Box::new(Cross::new(Direction::Under))),
    },
];

/// Every registered indicator, in documentation order.
pub fn all() -> &'static [IndicatorSpec] {
    REGISTRY
}

/// The indicator called `name`, if any.
pub fn lookup(name: &str) -> Option<&'static IndicatorSpec> {
    REGISTRY.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(spec: &IndicatorSpec, params: &[f64], xs: &[f64]) -> Vec<f64> {
        let mut ind = (spec.build)(params).unwrap();
        let mut out = vec![f64::NAN; spec.outputs.len()];
        xs.iter()
            .map(|&x| {
                let inputs = vec![x; spec.inputs.len()];
                ind.update(&inputs, &mut out);
                out[0]
            })
            .collect()
    }

    /// The declared warm-up is exactly the number of leading undefined outputs, for every indicator.
    #[test]
    fn declared_warmup_matches_behaviour() {
        let xs: Vec<f64> = (0..200).map(|i| 100.0 + ((i * 13) % 17) as f64).collect();
        for spec in all() {
            let given: Vec<f64> = spec
                .params
                .iter()
                .filter(|p| p.default == ParamDefault::Required)
                .map(|p| match p.kind {
                    ParamKind::Length { .. } => 7.0,
                    ParamKind::Real { .. } => 1.0,
                })
                .collect();
            let params = spec.fill_defaults(&given);
            let out = run(spec, &params, &xs);
            let first = out.iter().position(|v| !v.is_nan()).unwrap();
            assert_eq!(first, (spec.warmup)(&params), "{}", spec.name);
        }
    }

    #[test]
    fn undefined_inputs_are_skipped() {
        let spec = lookup("sma").unwrap();
        let mut ind = (spec.build)(&[2.0]).unwrap();
        let mut out = [0.0];
        let mut got = vec![];
        for x in [f64::NAN, f64::NAN, 1.0, 3.0, f64::NAN, 5.0] {
            ind.update(&[x], &mut out);
            got.push(out[0]);
        }
        assert!(got[0].is_nan() && got[1].is_nan() && got[2].is_nan());
        assert_eq!(got[3], 2.0);
        assert!(got[4].is_nan());
        assert_eq!(got[5], 4.0);
    }

    #[test]
    fn names_are_unique_and_signatures_read_well() {
        let mut names: Vec<_> = all().iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().len());
        assert_eq!(lookup("bbands").unwrap().signature(), "bbands(source, length, mult = 2, mult_down = mult)");
    }
}
