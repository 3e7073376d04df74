//! The description of an indicator that the registry holds: inputs, parameters, outputs, warm-up, constructor.
//!
//! Design choice: a spec is plain static data plus two function pointers, so every family module can declare its
//! indicators next to their code (`SPECS`) and the registry only gathers them.

use crate::indicator::{BarField, Indicator, ParamError};

/// A series input of an indicator.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec {
    pub name: &'static str,
    /// `Some(field)`: the bar's field, read implicitly (not written in the call).
    pub implicit: Option<BarField>,
    /// What the series holds: numbers, or true/false (a condition).
    pub kind: ValueKind,
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
    /// The same, as a formula for the docs (`length − 1`).
    pub warmup_text: &'static str,
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

/// A series argument written in the call.
pub const fn input(name: &'static str) -> InputSpec {
    InputSpec { name, implicit: None, kind: ValueKind::Number }
}

/// A condition (bool series) written in the call.
pub const fn condition(name: &'static str) -> InputSpec {
    InputSpec { name, implicit: None, kind: ValueKind::Bool }
}

/// A bar field read implicitly.
pub const fn bar(field: BarField) -> InputSpec {
    InputSpec { name: field.name(), implicit: Some(field), kind: ValueKind::Number }
}

pub const SOURCE: InputSpec = input("source");
pub const HIGH: InputSpec = bar(BarField::High);
pub const LOW: InputSpec = bar(BarField::Low);
pub const CLOSE: InputSpec = bar(BarField::Close);
pub const VOLUME: InputSpec = bar(BarField::Volume);
pub const TIME: InputSpec = bar(BarField::Time);

/// A required window length, at least `min`.
pub const fn length(name: &'static str, min: usize) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Length { min }, default: ParamDefault::Required }
}

/// A window length with a default.
pub const fn length_or(name: &'static str, min: usize, default: f64) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Length { min }, default: ParamDefault::Value(default) }
}

/// A real parameter in `[min, max]` with a default.
pub const fn real_or(name: &'static str, min: f64, max: f64, default: f64) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Real { min, max }, default: ParamDefault::Value(default) }
}

pub const LENGTH: ParamSpec = length("length", 1);

/// A single number output.
pub const NUMBER: OutputSpec = OutputSpec { name: "value", kind: ValueKind::Number };
/// A single bool output.
pub const BOOL: OutputSpec = OutputSpec { name: "value", kind: ValueKind::Bool };

/// A named number output (of a multi-output indicator).
pub const fn output(name: &'static str) -> OutputSpec {
    OutputSpec { name, kind: ValueKind::Number }
}

/// The first parameter as a length (for warm-up formulas; parameters are validated before use).
pub fn len(p: &[f64]) -> usize {
    p.first().copied().unwrap_or(1.0).max(1.0) as usize
}

/// Parameter `i` as a length.
pub fn len_at(p: &[f64], i: usize) -> usize {
    p.get(i).copied().unwrap_or(1.0).max(1.0) as usize
}

/// Boxes a freshly built indicator.
pub fn boxed<I: Indicator + 'static>(r: Result<I, ParamError>) -> Result<Box<dyn Indicator>, ParamError> {
    r.map(|i| Box::new(i) as Box<dyn Indicator>)
}
