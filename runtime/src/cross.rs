//! Cross-sections: a function of every symbol's value of one series at one timestamp (`rank`, `zscore`, `top`,
//! `bottom`).
//!
//! Design choice: pure functions of a slice of values in symbol order, so ties are broken the one deterministic way
//! — the earlier symbol (by name) ranks first — and an undefined value (NaN) takes no part and gets an undefined
//! result. A universe run computes them between the two halves of each symbol's bar ([`crate::engine::Engine`]).

use crate::plan::CrossFn;

/// `out[i]` = `f` of symbol `i`'s value among `values` (one per symbol with a bar now, in symbol order); `count` is
/// `top`/`bottom`'s `n`.
pub fn cross_section(f: CrossFn, count: f64, values: &[f64], out: &mut [f64]) {
    cross_section_in(f, count, values, out, &mut Vec::new());
}

/// [`cross_section`] with a reusable buffer for the ordering (a universe run calls it on every timestamp).
pub fn cross_section_in(f: CrossFn, count: f64, values: &[f64], out: &mut [f64], order: &mut Vec<usize>) {
    let defined = values.iter().filter(|v| !v.is_nan()).count();
    match f {
        CrossFn::Rank | CrossFn::Top | CrossFn::Bottom => {
            // Ordinal ranks: largest first (smallest first for `bottom`), ties by position (so an unstable sort
            // gives the one order).
            order.clear();
            order.extend((0..values.len()).filter(|&i| !values[i].is_nan()));
            let descending = f != CrossFn::Bottom;
            order.sort_unstable_by(|&a, &b| {
                let by = if descending { values[b].total_cmp(&values[a]) } else { values[a].total_cmp(&values[b]) };
                by.then(a.cmp(&b))
            });
            out.iter_mut().for_each(|o| *o = f64::NAN);
            for (r, &i) in order.iter().enumerate() {
                let rank = (r + 1) as f64;
                out[i] = match f {
                    CrossFn::Rank => rank,
                    _ => f64::from(u8::from(rank <= count)),
                };
            }
        }
        CrossFn::Zscore => {
            let (mut sum, mut n) = (0.0, 0.0);
            for v in values.iter().filter(|v| !v.is_nan()) {
                sum += v;
                n += 1.0;
            }
            let mean = sum / n;
            let var = values.iter().filter(|v| !v.is_nan()).map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            let sd = var.sqrt();
            for (o, &v) in out.iter_mut().zip(values) {
                *o = if defined < 2 || v.is_nan() || sd == 0.0 || !sd.is_finite() { f64::NAN } else { (v - mean) / sd };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: CrossFn, count: f64, values: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; values.len()];
        cross_section(f, count, values, &mut out);
        out
    }

    #[test]
    fn ranks_are_ordinal_largest_first_ties_by_symbol_and_undefined_left_out() {
        let n = f64::NAN;
        let r = run(CrossFn::Rank, 0.0, &[3.0, n, 5.0, 3.0, -1.0]);
        assert_eq!(r[0], 2.0);
        assert!(r[1].is_nan());
        assert_eq!([r[2], r[3], r[4]], [1.0, 3.0, 4.0]);
        assert_eq!(run(CrossFn::Top, 2.0, &[3.0, n, 5.0, 3.0, -1.0])[..1], [1.0]);
        let top = run(CrossFn::Top, 2.0, &[3.0, 0.0, 5.0, 3.0, -1.0]);
        assert_eq!(top, vec![1.0, 0.0, 1.0, 0.0, 0.0], "exactly two: the tie goes to the earlier symbol");
        assert_eq!(run(CrossFn::Bottom, 1.0, &[3.0, 0.0, 5.0]), vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn zscores_use_the_population_deviation_and_need_two_values_that_differ() {
        let z = run(CrossFn::Zscore, 0.0, &[1.0, 2.0, 3.0, f64::NAN]);
        let sd = (2.0f64 / 3.0).sqrt();
        assert_eq!(z[..3], [-1.0 / sd, 0.0, 1.0 / sd]);
        assert!(z[3].is_nan());
        assert!(run(CrossFn::Zscore, 0.0, &[4.0]).iter().all(|v| v.is_nan()));
        assert!(run(CrossFn::Zscore, 0.0, &[4.0, 4.0]).iter().all(|v| v.is_nan()));
    }
}
