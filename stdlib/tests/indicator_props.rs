//! Property tests over every registered indicator and over straightforward reference definitions:
//! - after its declared warm-up an indicator is defined, and finite, on valid input (no NaN from valid data);
//! - `reset` forgets everything: a second pass gives the same values;
//! - streaming values equal a direct recomputation from the definition, window by window;
//! - a constant window gives exactly that constant (averages) and exactly zero width (dispersion), after any history.
//!
//! `STRATA_PROPTEST_CASES` raises the case count.

mod common;

use proptest::prelude::*;
use strata_stdlib::exact::fsum;
use strata_stdlib::registry::{self, IndicatorSpec, ParamDefault, ParamKind};
use strata_stdlib::{BarField, ValueKind};

fn config() -> ProptestConfig {
    common::proptest_config(32)
}

#[derive(Debug, Clone, Copy)]
struct Bar {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    time: f64,
}

/// Valid OHLCV bars at a random scale, with flat runs and jumps.
fn bars() -> impl Strategy<Value = Vec<Bar>> {
    let step = prop_oneof![5 => -0.02f64..0.02, 1 => Just(0.0), 1 => -0.2f64..0.2];
    (
        prop::collection::vec((step, 0.0f64..0.01, 0.0f64..0.01, 1.0f64..1e4), 60..260),
        prop_oneof![Just(1e-4), Just(1.0), Just(250.0), Just(4e4)],
    )
        .prop_map(|(steps, scale)| {
            let mut p = 1.0f64;
            steps
                .into_iter()
                .enumerate()
                .map(|(i, (r, up, dn, vol))| {
                    let open = p * scale;
                    p *= r.exp();
                    let close = p * scale;
                    Bar {
                        open,
                        high: open.max(close) * (1.0 + up),
                        low: open.min(close) * (1.0 - dn),
                        close,
                        volume: vol.round(),
                        time: 1.6e12 + 3_600_000.0 * i as f64,
                    }
                })
                .collect()
        })
}

/// Parameters for a spec: required ones from `pick`, defaults otherwise.
fn params(spec: &IndicatorSpec, pick: &[usize]) -> Vec<f64> {
    let given: Vec<f64> = spec
        .params
        .iter()
        .filter(|p| p.default == ParamDefault::Required)
        .enumerate()
        .map(|(i, p)| match p.kind {
            ParamKind::Length { min } => (min.max(2) + pick.get(i).copied().unwrap_or(3) % 20) as f64,
            ParamKind::Real { min, max } => (min + 1.0).min(max),
        })
        .collect();
    spec.fill_defaults(&given)
}

/// Every output of an indicator on every bar.
fn run(spec: &IndicatorSpec, p: &[f64], bars: &[Bar]) -> Vec<Vec<f64>> {
    let mut ind = (spec.build)(p).unwrap();
    let mut out = vec![f64::NAN; spec.outputs.len()];
    bars.iter()
        .enumerate()
        .map(|(i, b)| {
            let inputs: Vec<f64> = spec
                .inputs
                .iter()
                .map(|input| match (input.kind, input.implicit) {
                    (ValueKind::Bool, _) => ((i * 7) % 5 == 0) as u8 as f64,
                    (_, Some(BarField::Open)) => b.open,
                    (_, Some(BarField::High)) => b.high,
                    (_, Some(BarField::Low)) => b.low,
                    (_, Some(BarField::Volume)) => b.volume,
                    (_, Some(BarField::Time)) => b.time,
                    _ => b.close,
                })
                .collect();
            ind.update(&inputs, &mut out);
            out.clone()
        })
        .collect()
}

/// Indicators whose definedness depends on the data, not only on a warm-up.
const DATA_DEPENDENT: [&str; 2] = ["barssince", "valuewhen"];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn defined_and_finite_after_warmup_and_reset_is_complete(bars in bars(), pick in prop::collection::vec(0usize..40, 4)) {
        for spec in registry::all() {
            let p = params(spec, &pick);
            let first = run(spec, &p, &bars);
            let warmup = (spec.warmup)(&p);
            for (i, outs) in first.iter().enumerate() {
                for (k, v) in outs.iter().enumerate() {
                    if i < warmup {
                        prop_assert!(v.is_nan(), "{} {:?}: output {} defined on bar {} before warm-up {}", spec.name, p, k, i, warmup);
                    } else if !DATA_DEPENDENT.contains(&spec.name) {
                        prop_assert!(v.is_finite(), "{} {:?}: output {} is {} on bar {} (warm-up {})", spec.name, p, k, v, i, warmup);
                    }
                }
            }
            let mut ind = (spec.build)(&p).unwrap();
            let mut out = vec![f64::NAN; spec.outputs.len()];
            ind.update(&vec![1.0; spec.inputs.len()], &mut out);
            ind.reset();
            drop(ind);
            prop_assert_eq!(format!("{:?}", first), format!("{:?}", run(spec, &p, &bars)), "{} is not deterministic", spec.name);
        }
    }

    #[test]
    fn streaming_equals_the_definition(bars in bars(), n in 2usize..30) {
        let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
        let get = |name: &str, p: &[f64]| -> Vec<Vec<f64>> { run(registry::lookup(name).unwrap(), p, &bars) };
        let close_enough = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1e-9);
        let sma = get("sma", &[n as f64]);
        let wma = get("wma", &[n as f64]);
        let sum = get("sum", &[n as f64]);
        let hi = get("highest", &[n as f64]);
        let lo = get("lowest", &[n as f64]);
        let var = get("variance", &[n as f64]);
        let vwma = get("vwma", &[n as f64]);
        let mom = get("mom", &[n as f64]);
        for i in n - 1..closes.len() {
            let w = &closes[i + 1 - n..=i];
            let mean = fsum(w) / n as f64;
            prop_assert!(sma[i][0] == mean || w.iter().all(|&x| x == w[0]), "sma bar {}", i);
            prop_assert_eq!(sum[i][0], fsum(w));
            prop_assert_eq!(hi[i][0], w.iter().cloned().fold(f64::MIN, f64::max));
            prop_assert_eq!(lo[i][0], w.iter().cloned().fold(f64::MAX, f64::min));
            let weighted: Vec<f64> = w.iter().enumerate().map(|(k, x)| x * (k + 1) as f64).collect();
            prop_assert!(close_enough(wma[i][0], fsum(&weighted) / (n * (n + 1) / 2) as f64), "wma bar {}", i);
            let two_pass = fsum(&w.iter().map(|x| (x - mean) * (x - mean)).collect::<Vec<_>>()) / n as f64;
            prop_assert!((var[i][0] - two_pass).abs() <= 1e-9 * (mean * mean).max(1e-300), "variance bar {}: {} vs {}", i, var[i][0], two_pass);
            let vols = &bars[i + 1 - n..=i];
            let pv: Vec<f64> = vols.iter().map(|b| b.close * b.volume).collect();
            let v: Vec<f64> = vols.iter().map(|b| b.volume).collect();
            prop_assert!(close_enough(vwma[i][0], fsum(&pv) / fsum(&v)), "vwma bar {}", i);
            if i >= n {
                prop_assert_eq!(mom[i][0], closes[i] - closes[i - n]);
            }
        }
    }

    #[test]
    fn constant_windows_are_exact(history in bars(), c in prop_oneof![1e-6f64..1e6, Just(0.1), Just(3.0)], n in 2usize..25) {
        let mut bars = history;
        let last = *bars.last().unwrap();
        for k in 0..2 * n + 2 {
            bars.push(Bar { open: c, high: c, low: c, close: c, volume: 5.0, time: last.time + 3_600_000.0 * (k + 1) as f64 });
        }
        let end = bars.len() - 1;
        for name in ["sma", "wma", "trima", "highest", "lowest", "vwma"] {
            let v = run(registry::lookup(name).unwrap(), &[n as f64], &bars);
            prop_assert_eq!(v[end][0], c, "{} of a flat window", name);
        }
        for name in ["stddev", "variance"] {
            let v = run(registry::lookup(name).unwrap(), &[n as f64, 1.0], &bars);
            prop_assert_eq!(v[end][0], 0.0, "{} of a flat window", name);
        }
        let bb = run(registry::lookup("bbands").unwrap(), &[n as f64, 2.0, 2.0], &bars);
        prop_assert_eq!((bb[end][0], bb[end][1], bb[end][2]), (c, c, c));
        let slope = run(registry::lookup("linearreg_slope").unwrap(), &[n as f64], &bars);
        prop_assert_eq!(slope[end][0], 0.0);
    }
}
