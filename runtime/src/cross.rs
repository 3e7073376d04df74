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
pub fn cross_section_in(f: CrossFn, count: f64, values: &[f64], out: &mut [f64], order: &mut Vec<i128>) {
    let defined = values.iter().filter(|v| !v.is_nan()).count();
    match f {
        CrossFn::Rank | CrossFn::Top | CrossFn::Bottom => {
            // Ordinal ranks: largest first (smallest first for `bottom`), ties by position. Each defined value is
            // one integer key — the value's total order, then its position — so the order is total and one
            // integer comparison decides it.
            let descending = f != CrossFn::Bottom;
            order.clear();
            order.extend(values.iter().enumerate().filter(|(_, v)| !v.is_nan()).map(|(i, &v)| {
                let key = ordered_bits(v);
                let key = if descending { !key } else { key };
                (i128::from(key) << 32) | i as i128
            }));
            let position = |k: &i128| (*k & 0xffff_ffff) as usize;
            out.iter_mut().for_each(|o| *o = f64::NAN);
            if f == CrossFn::Rank {
                order.sort_unstable();
                for (r, k) in order.iter().enumerate() {
                    out[position(k)] = (r + 1) as f64;
                }
                return;
            }
            // `top`/`bottom`: ranks 1..=n are in, the rest out — a selection, not a sort.
            let n = if count >= 1.0 { (count.floor() as usize).min(defined) } else { 0 };
            if n > 0 && n < order.len() {
                order.select_nth_unstable(n - 1);
            }
            for (r, k) in order.iter().enumerate() {
                out[position(k)] = f64::from(u8::from(r < n));
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

/// `v`'s bits as an integer in `f64::total_cmp`'s order.
fn ordered_bits(v: f64) -> i64 {
    let bits = v.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    /// The definition, written the plain way: sort the defined positions by value (largest first, or smallest
    /// for `bottom`), ties by position; rank r is in `top`/`bottom` when r <= count.
    fn reference(f: CrossFn, count: f64, values: &[f64]) -> Vec<f64> {
        let mut order: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
        order.sort_by(|&a, &b| {
            let by =
                if f == CrossFn::Bottom { values[a].total_cmp(&values[b]) } else { values[b].total_cmp(&values[a]) };
            by.then(a.cmp(&b))
        });
        let mut out = vec![f64::NAN; values.len()];
        for (r, &i) in order.iter().enumerate() {
            let rank = (r + 1) as f64;
            out[i] = if f == CrossFn::Rank { rank } else { f64::from(u8::from(rank <= count)) };
        }
        out
    }

    proptest! {

        // The same cases every run.

        #![proptest_config(proptest::test_runner::Config {

            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5747_a7a5),

            ..proptest::test_runner::Config::default()

        })]

        #[test]
        fn ranks_and_selections_equal_the_sorted_definition(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => (-5i32..5).prop_map(f64::from),
                    2 => -1e6f64..1e6,
                    1 => proptest::prop_oneof![
                        proptest::strategy::Just(f64::NAN),
                        proptest::strategy::Just(-0.0),
                        proptest::strategy::Just(f64::INFINITY),
                        proptest::strategy::Just(f64::NEG_INFINITY),
                    ],
                ],
                0..40,
            ),
            count in proptest::prop_oneof![-2.0f64..45.0, proptest::strategy::Just(f64::NAN)],
        ) {
            for f in [CrossFn::Rank, CrossFn::Top, CrossFn::Bottom] {
                let got = run(f, count, &values);
                let want = reference(f, count, &values);
                prop_assert_eq!(
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{:?} of {:?} with count {}", f, values, count
                );
            }
        }
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
