//! Property tests: window sums are exactly the correctly rounded sums of their windows, whatever the values.

mod common;

use proptest::prelude::*;
use strata_stdlib::average::Sma;
use strata_stdlib::exact::{ExactSum, fsum};
use strata_stdlib::volatility::Bbands;

fn config() -> ProptestConfig {
    common::proptest_config(256)
}

/// Prices: positive, with a realistic number of significant digits, sometimes repeating.
fn prices() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![(1u32..10_000_000).prop_map(|c| c as f64 / 100.0), (1.0f64..1e5), (1e-8f64..1e-3), Just(123.45),],
        1..400,
    )
}

/// Anything finite, including huge cancellations.
fn wild() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![-1e300f64..1e300, -1.0f64..1.0, -1e-300f64..1e-300, Just(0.0), Just(1e16), Just(-1e16)],
        1..200,
    )
}

fn check_window(values: &[f64], n: usize) -> Result<(), TestCaseError> {
    let mut s = ExactSum::new();
    for (i, &v) in values.iter().enumerate() {
        let old = if i >= n { -values[i - n] } else { 0.0 };
        s.add2(v, old);
        let lo = (i + 1).saturating_sub(n);
        prop_assert_eq!(s.value(), fsum(&values[lo..=i]), "bar {} window {}", i, n);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sliding_sums_of_prices_are_exact(values in prices(), n in 1usize..60) {
        check_window(&values, n)?;
    }

    #[test]
    fn sliding_sums_of_anything_are_exact(values in wild(), n in 1usize..20) {
        check_window(&values, n)?;
    }

    #[test]
    fn sma_is_the_correctly_rounded_sum_over_n(values in prices(), n in 1usize..60) {
        let mut sma = Sma::new(n as f64).unwrap();
        for (i, &v) in values.iter().enumerate() {
            let got = sma.update(v);
            if i + 1 < n {
                prop_assert_eq!(got, None);
            } else {
                let w = &values[i + 1 - n..=i];
                let want = if w.iter().all(|&x| x == w[0]) { w[0] } else { fsum(w) / n as f64 };
                prop_assert_eq!(got, Some(want));
            }
        }
    }

    #[test]
    fn constant_windows_are_exact_after_any_history(history in prices(), c in prop_oneof![1e-6f64..1e6, Just(0.1)], n in 1usize..50) {
        let mut sma = Sma::new(n as f64).unwrap();
        let mut bb = Bbands::new(n as f64, 2.0, 2.0).unwrap();
        for &v in &history {
            sma.update(v);
            bb.update(v);
        }
        let mut last = (None, None);
        for _ in 0..n {
            last = (sma.update(c), bb.update(c));
        }
        prop_assert_eq!(last.0, Some(c));
        let b = last.1.unwrap();
        prop_assert_eq!((b.upper, b.middle, b.lower), (c, c, c));
    }
}
