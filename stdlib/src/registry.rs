//! The indicator registry: name → signature, outputs, warm-up, definition and constructor.
//!
//! Design choice: one table is the single source of truth. Each family module declares its indicators next to their
//! code; this module gathers them in documentation order. The compilers check names, arity and parameters against
//! it, the engine builds indicators from it, and `strata help indicators` prints it — so the language, the engine
//! and the docs cannot disagree about an indicator.

use std::sync::LazyLock;

pub use crate::spec::{Builder, IndicatorSpec, InputSpec, OutputSpec, ParamDefault, ParamKind, ParamSpec, ValueKind};

static REGISTRY: LazyLock<Vec<&'static IndicatorSpec>> = LazyLock::new(|| {
    let families: [&'static [IndicatorSpec]; 9] = [
        crate::average::SPECS,
        crate::momentum::SPECS,
        crate::oscillator::SPECS,
        crate::directional::SPECS,
        crate::volatility::SPECS,
        crate::volume::SPECS,
        crate::trend::SPECS,
        crate::window::SPECS,
        crate::signal::SPECS,
    ];
    families.iter().flat_map(|f| f.iter()).collect()
});

/// Every registered indicator, in documentation order.
pub fn all() -> &'static [&'static IndicatorSpec] {
    &REGISTRY
}

/// The indicator called `name`, if any.
pub fn lookup(name: &str) -> Option<&'static IndicatorSpec> {
    REGISTRY.iter().copied().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs an indicator over a synthetic bar series: numbers for number inputs (the bar's field for implicit
    /// ones), an alternating condition for bool inputs.
    fn run(spec: &IndicatorSpec, params: &[f64], n: usize) -> Vec<f64> {
        let mut ind = (spec.build)(params).unwrap();
        let mut out = vec![f64::NAN; spec.outputs.len()];
        (0..n)
            .map(|i| {
                let close = 100.0 + ((i * 13) % 17) as f64;
                let inputs: Vec<f64> = spec
                    .inputs
                    .iter()
                    .map(|input| match (input.kind, input.implicit) {
                        (ValueKind::Bool, _) => (i % 3 == 0) as u8 as f64,
                        (_, Some(crate::BarField::High)) => close + 1.5,
                        (_, Some(crate::BarField::Low)) => close - 1.25,
                        (_, Some(crate::BarField::Volume)) => 1000.0 + (i % 7) as f64,
                        (_, Some(crate::BarField::Time)) => 1_600_000_000_000.0 + 60_000.0 * i as f64,
                        _ => close,
                    })
                    .collect();
                ind.update(&inputs, &mut out);
                out[0]
            })
            .collect()
    }

    /// The declared warm-up is exactly the number of leading undefined outputs, for every indicator.
    #[test]
    fn declared_warmup_matches_behaviour() {
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
            let out = run(spec, &params, 300);
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
