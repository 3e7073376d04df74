//! The slice paths (`Indicator::update1_slice`, `update2_slice`, `update_slices`) against bar-by-bar `update`:
//! for every registered indicator, over bars with undefined holes, flat runs and values of wildly different
//! magnitudes (which push exact sums off their fast path and force variance reseeds), fed in random chunk sizes,
//! every output on every bar is bit for bit the same, and so is the state left behind (checked by the bars after).
//!
//! `STRATA_PROPTEST_CASES` raises the case count.

mod common;

use proptest::prelude::*;
use strata_stdlib::registry::{self, IndicatorSpec, ParamDefault, ParamKind};
use strata_stdlib::{BarField, ValueKind};

fn config() -> ProptestConfig {
    common::proptest_config(24)
}

/// One column per input of `spec`: prices from a walk, with NaN holes, flat runs and magnitude jumps.
fn columns(spec: &IndicatorSpec, walk: &[(f64, u8)], scale: f64) -> Vec<Vec<f64>> {
    let mut p = 1.0f64;
    let rows: Vec<[f64; 6]> = walk
        .iter()
        .enumerate()
        .map(|(i, &(r, kind))| {
            if kind != 1 {
                p *= r.exp();
            }
            let x = p * scale * if kind == 2 { 1e9 } else { 1.0 };
            let (hi, lo) = (x * 1.004, x * 0.995);
            let hole = kind == 3;
            let v = |v: f64| if hole { f64::NAN } else { v };
            [v(x * 0.999), v(hi), v(lo), v(x), v((i % 17) as f64 * 10.0 + 1.0), 1.6e12 + 60_000.0 * i as f64]
        })
        .collect();
    spec.inputs
        .iter()
        .enumerate()
        .map(|(k, input)| {
            rows.iter()
                .enumerate()
                .map(|(i, r)| match (input.kind, input.implicit) {
                    (ValueKind::Bool, _) => ((i * 7 + k) % 5 == 0) as u8 as f64,
                    (_, Some(BarField::Open)) => r[0],
                    (_, Some(BarField::High)) => r[1],
                    (_, Some(BarField::Low)) => r[2],
                    (_, Some(BarField::Volume)) => r[4],
                    (_, Some(BarField::Time)) => r[5],
                    // A second explicit series (correl's) differs from the first.
                    _ if k == 1 => r[1],
                    _ => r[3],
                })
                .collect()
        })
        .collect()
}

fn params(spec: &IndicatorSpec, pick: usize) -> Vec<f64> {
    let given: Vec<f64> = spec
        .params
        .iter()
        .filter(|p| p.default == ParamDefault::Required)
        .enumerate()
        .map(|(i, p)| match p.kind {
            ParamKind::Length { min } => (min.max(1) + (pick + 3 * i) % 12) as f64,
            ParamKind::Real { min, max } => (min + 1.0).min(max),
        })
        .collect();
    spec.fill_defaults(&given)
}

fn by_bar(spec: &IndicatorSpec, p: &[f64], cols: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut ind = (spec.build)(p).unwrap();
    let len = cols.first().map_or(0, |c| c.len());
    let mut outs = vec![vec![f64::NAN; len]; spec.outputs.len()];
    let mut o = vec![f64::NAN; spec.outputs.len()];
    for i in 0..len {
        let x: Vec<f64> = cols.iter().map(|c| c[i]).collect();
        ind.update(&x, &mut o);
        for (k, v) in o.iter().enumerate() {
            outs[k][i] = *v;
        }
    }
    outs
}

fn by_slices(spec: &IndicatorSpec, p: &[f64], cols: &[Vec<f64>], chunks: &[usize]) -> Vec<Vec<f64>> {
    let mut ind = (spec.build)(p).unwrap();
    let len = cols.first().map_or(0, |c| c.len());
    let mut outs = vec![vec![f64::NAN; len]; spec.outputs.len()];
    let (mut start, mut c) = (0, 0);
    while start < len {
        let end = (start + chunks[c % chunks.len()]).min(len);
        c += 1;
        match (cols, outs.as_mut_slice()) {
            ([a], [o]) => ind.update1_slice(&a[start..end], &mut o[start..end]),
            ([a, b], [o]) => ind.update2_slice(&a[start..end], &b[start..end], &mut o[start..end]),
            _ => {
                let ins: Vec<&[f64]> = cols.iter().map(|col| &col[start..end]).collect();
                let mut refs: Vec<&mut [f64]> = outs.iter_mut().map(|o| &mut o[start..end]).collect();
                ind.update_slices(&ins, &mut refs);
            }
        }
        start = end;
    }
    outs
}

fn same_bits(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn slices_equal_bar_by_bar(
        walk in prop::collection::vec((-0.03f64..0.03, prop_oneof![12 => Just(0u8), 3 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)]), 1..500),
        scale in prop_oneof![Just(1e-4), Just(1.0), Just(4e4)],
        chunks in prop::collection::vec(1usize..90, 1..6),
        pick in 0usize..40,
    ) {
        for spec in registry::all() {
            let p = params(spec, pick);
            let cols = columns(spec, &walk, scale);
            let want = by_bar(spec, &p, &cols);
            let got = by_slices(spec, &p, &cols, &chunks);
            for (k, (w, g)) in want.iter().zip(&got).enumerate() {
                for (i, (&w, &g)) in w.iter().zip(g).enumerate() {
                    prop_assert!(same_bits(w, g), "{} {:?}: output {} on bar {}: by bar {:e}, by slices {:e}", spec.name, p, k, i, w, g);
                }
            }
        }
    }
}

/// A long run over a flat stretch, then a trend: BBANDS/SMA slices cross exact-sum spills, reseeds every 32 n bars
/// and the flat-window rule, and still equal bar by bar.
#[test]
fn long_runs_equal_bar_by_bar() {
    let closes: Vec<f64> = (0..20_000)
        .map(|i| match i {
            0..3000 => 100.0,
            3000..6000 => 100.0 + (i as f64 * 0.37).sin() * 1e-9,
            _ => 100.0 * (1.0 + (i as f64 * 0.001).sin() * 0.3) + if i % 1000 == 0 { 1e12 } else { 0.0 },
        })
        .collect();
    for name in ["sma", "ema", "bbands", "variance", "stddev", "atr"] {
        let spec = registry::lookup(name).unwrap();
        let p = spec.fill_defaults(&[20.0]);
        let cols: Vec<Vec<f64>> = spec
            .inputs
            .iter()
            .map(|input| match input.implicit {
                Some(BarField::High) => closes.iter().map(|c| c * 1.01).collect(),
                Some(BarField::Low) => closes.iter().map(|c| c * 0.99).collect(),
                _ => closes.clone(),
            })
            .collect();
        let want = by_bar(spec, &p, &cols);
        let got = by_slices(spec, &p, &cols, &[4096, 1, 333]);
        for (k, (w, g)) in want.iter().zip(&got).enumerate() {
            for (i, (&w, &g)) in w.iter().zip(g).enumerate() {
                assert!(same_bits(w, g), "{name}: output {k} on bar {i}: by bar {w:e}, by slices {g:e}");
            }
        }
    }
}

/// A series of segments: a price walk, a flat run, values around zero (zeros and negative values), a jump of three
/// orders of magnitude, and a holes run.
fn segments(parts: &[(u8, usize, f64)]) -> Vec<f64> {
    let mut xs = Vec::new();
    let mut p = 46_430.12f64;
    for &(kind, len, r) in parts {
        for i in 0..len {
            let x = match kind {
                0 => {
                    p *= (r * ((i as f64 * 0.7).sin() + 0.3)).exp();
                    p
                }
                1 => p,
                2 => ((i as f64 * 0.9).sin() * 3.0).round() * 0.25 + r,
                3 => p * 1e3,
                _ => f64::NAN,
            };
            xs.push(x);
        }
    }
    xs
}

proptest! {
    #![proptest_config(config())]

    /// The window means' integer path (blocks of thousands of values, each at one scale): long series that cross
    /// blocks and change scale, flat runs over block edges, zeros, negative values and holes, windows up to past
    /// what 64-bit integers can hold (1,024): slices equal bar by bar, bit for bit, state included, and every mean
    /// is the correctly rounded window sum divided by the length.
    #[test]
    fn window_means_across_blocks(
        parts in prop::collection::vec((0u8..5, 1usize..6000, -0.002f64..0.002), 1..6),
        n in prop_oneof![1usize..30, 190usize..210, 500usize..1100],
        chunks in prop::collection::vec(prop_oneof![1usize..300, 2000usize..9000], 1..4),
    ) {
        let xs = segments(&parts);
        for name in ["sma", "bbands"] {
            let spec = registry::lookup(name).unwrap();
            let p = spec.fill_defaults(&[n as f64]);
            let cols = vec![xs.clone()];
            let mut want = by_bar(spec, &p, &cols);
            let mut got = by_slices(spec, &p, &cols, &chunks);
            // The state left behind: the same bars again, after.
            let more = by_bar(spec, &p, &[xs.iter().chain(&xs).copied().collect()]);
            let more_sliced = by_slices(spec, &p, &[xs.iter().chain(&xs).copied().collect()], &chunks);
            want.extend(more);
            got.extend(more_sliced);
            for (k, (w, g)) in want.iter().zip(&got).enumerate() {
                for (i, (&w, &g)) in w.iter().zip(g).enumerate() {
                    prop_assert!(same_bits(w, g), "{} {}: output {} on bar {}: by bar {:e}, by slices {:e}", name, n, k, i, w, g);
                }
            }
            if name == "sma" {
                // Against the definition, on a sample of bars: fl(exact sum of the last n defined values) / n.
                let defined: Vec<(usize, f64)> = xs.iter().copied().enumerate().filter(|(_, x)| !x.is_nan()).collect();
                for (j, &(i, x)) in defined.iter().enumerate().skip(n.saturating_sub(1)).step_by(97) {
                    let w: Vec<f64> = defined[j + 1 - n..=j].iter().map(|&(_, v)| v).collect();
                    let flat = w.iter().all(|&v| v == x);
                    let mean = if flat { x } else { strata_stdlib::exact::fsum(&w) / n as f64 };
                    prop_assert!(same_bits(got[0][i], mean), "sma {} on bar {}: {:e} vs {:e}", n, i, got[0][i], mean);
                }
            }
        }
    }
}

/// A flat run fed in slices shorter than the window: each slice continues the run the one before it ended, so the
/// window turns flat (its mean exactly its value) in the middle of a slice, as it does bar by bar.
#[test]
fn flat_runs_continue_across_short_slices() {
    for n in [3usize, 7, 200, 800] {
        // A flat value whose window sum divided by the length is not the value again (fl(fl(n·v)/n) != v), so
        // only the flat-window rule gives it back.
        let v = (0..10_000)
            .map(|k| 46_430.12 + k as f64 * 0.01)
            .find(|&v| strata_stdlib::exact::fsum(&vec![v; n]) / n as f64 != v)
            .expect("such a value");
        let mut xs = segments(&[(0, 1500, 0.001)]);
        xs.extend(std::iter::repeat_n(v, 1500));
        xs.extend(segments(&[(0, 700, -0.001)]));
        xs.extend(std::iter::repeat_n(v, 900));
        for name in ["sma", "bbands"] {
            let spec = registry::lookup(name).unwrap();
            let p = spec.fill_defaults(&[n as f64]);
            let cols = vec![xs.clone()];
            let want = by_bar(spec, &p, &cols);
            assert_eq!(want[0][xs.len() - 1], v, "{name} {n}: the flat window's mean is its value");
            for chunks in [&[50usize][..], &[1, 299], &[4000]] {
                let got = by_slices(spec, &p, &cols, chunks);
                for (k, (w, g)) in want.iter().zip(&got).enumerate() {
                    for (i, (&w, &g)) in w.iter().zip(g).enumerate() {
                        assert!(same_bits(w, g), "{name} {n} {chunks:?}: output {k} on bar {i}: {w:e} vs {g:e}");
                    }
                }
            }
        }
    }
}
