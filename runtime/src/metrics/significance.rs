//! Is the edge real? The probabilistic Sharpe ratio of the per-bar returns, and the normal distribution it needs.
//!
//! Design choice: the probabilistic Sharpe ratio (Bailey & López de Prado, 2012) corrects the Sharpe ratio for
//! track-record length, skewness and fat tails — the three things that make a high Sharpe on a short or lumpy record
//! meaningless — and reads as a probability, which is how a quant wants the answer. The benchmark Sharpe is 0:
//! PSR is the probability that the true Sharpe ratio is above zero.

/// The probabilistic Sharpe ratio `Φ( SR √(n − 1) / √(1 − γ₃ SR + (γ₄ − 1) / 4 · SR²) )` of `n` per-bar returns
/// with per-bar (not annualized) Sharpe `sr`, skewness `skew` and kurtosis `kurt` (3 for a normal distribution).
/// `None` when it is undefined: fewer than 2 returns, or a non-positive variance term.
pub fn probabilistic_sharpe(sr: f64, n: usize, skew: f64, kurt: f64) -> Option<f64> {
    if n < 2 || !(sr.is_finite() && skew.is_finite() && kurt.is_finite()) {
        return None;
    }
    let denominator = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr;
    if denominator <= 0.0 {
        return None;
    }
    let z = sr * ((n - 1) as f64).sqrt() / denominator.sqrt();
    Some(normal_cdf(z))
}

/// The standard normal distribution function Φ.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function, to about 1e-15 relative: the Maclaurin series of erf below |x| = 1.5 (where it
/// converges quickly), the continued fraction of erfc from there on (where the series would cancel).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let value = if z < 1.5 {
        // erf(z) = 2/√π Σ (−1)ⁿ z^(2n+1) / (n! (2n+1))
        let (mut term, mut sum) = (z, z);
        for n in 1..100 {
            term *= -z * z / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        1.0 - sum * std::f64::consts::FRAC_2_SQRT_PI
    } else {
        // erfc(z) = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + (3/2)/(z + ...)))), evaluated from the tail.
        let mut k = z;
        for n in (1..=120).rev() {
            k = z + (n as f64 / 2.0) / k;
        }
        (-z * z).exp() / (std::f64::consts::PI.sqrt() * k)
    };
    if x >= 0.0 { value } else { 2.0 - value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_reference_values() {
        // Python's math.erfc.
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.4795001221869535),
            (1.0, 0.15729920705028513),
            (1.4, 0.04771488023735121),
            (1.6, 0.023651616655355985),
            (2.4, 0.0006885138966450789),
            (2.6, 0.00023603441652934908),
            (3.0, 2.209049699858544e-05),
            (6.0, 2.1519736712498916e-17),
            (-1.0, 1.8427007929497148),
        ] {
            let got = erfc(x);
            assert!((got - want).abs() <= 1e-13 * want, "erfc({x}) = {got:e}, want {want:e}");
        }
    }

    #[test]
    fn normal_cdf_matches_tables() {
        for (x, want) in
            [(0.0, 0.5), (1.0, 0.841344746), (-1.0, 0.158655254), (1.959963985, 0.975), (-3.0, 0.001349898)]
        {
            let got = normal_cdf(x);
            assert!((got - want).abs() < 2e-7, "Φ({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn psr_by_hand() {
        // Normal returns (skew 0, kurtosis 3), per-bar Sharpe 0.1 over 101 bars:
        // z = 0.1 × 10 / √(1 + 0.5 × 0.01) = 0.997509, Φ(z) = 0.840741.
        let p = probabilistic_sharpe(0.1, 101, 0.0, 3.0).unwrap();
        assert!((p - 0.840741).abs() < 1e-6, "{p}");
        // Negative skew and fat tails lower it: z = 1 / √(1 + 0.1 + 2.25 × 0.01) = 0.943858 → 0.827379.
        let p = probabilistic_sharpe(0.1, 101, -1.0, 10.0).unwrap();
        assert!((p - 0.827379).abs() < 1e-6, "{p}");
        assert_eq!(probabilistic_sharpe(0.0, 50, 0.0, 3.0), Some(0.5));
        assert_eq!(probabilistic_sharpe(0.1, 1, 0.0, 3.0), None);
        assert_eq!(probabilistic_sharpe(f64::NAN, 10, 0.0, 3.0), None);
    }
}
