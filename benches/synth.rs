//! A seeded random walk of OHLCV bars, the same shape as the peers' `synth:N` (../shared/tools/peers/ohlcv.py):
//! geometric steps of 0.1%, open = previous close, high/low spread by half-normal noise, 1-minute bars.

use strata_runtime::bar::Bar;

/// SplitMix64: a small, fast, seedable generator (no dependency, reproducible everywhere).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// `n` bars from 2020-01-01, one a minute.
pub fn bars(n: usize, seed: u64) -> Vec<Bar> {
    let mut rng = Rng::new(seed);
    let mut close = 100.0f64;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let open = close;
        close *= (0.001 * rng.normal()).exp();
        let high = open.max(close) * (1.0 + (0.0005 * rng.normal()).abs());
        let low = open.min(close) * (1.0 - (0.0005 * rng.normal()).abs());
        let volume = 1.0 + (rng.next_u64() % 9_999) as f64;
        out.push(Bar { ts: 1_577_836_800_000 + 60_000 * i as i64, open, high, low, close, volume });
    }
    out
}
