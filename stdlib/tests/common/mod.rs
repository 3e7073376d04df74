//! Helpers shared by the stdlib's property tests.
#![allow(dead_code)]

/// `STRATA_PROPTEST_CASES` cases (default `cases`), drawn from a fixed seed so that every run tries the same ones
/// (`STRATA_PROPTEST_SEED` picks others).
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let var = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let rng_seed = proptest::test_runner::RngSeed::Fixed(var("STRATA_PROPTEST_SEED").unwrap_or(0x5747_a7a5));
    proptest::test_runner::Config {
        cases: var("STRATA_PROPTEST_CASES").map_or(cases, |c| c as u32),
        rng_seed,
        ..proptest::test_runner::Config::default()
    }
}
