//! Oscillators of the whole bar: STOCH, STOCHRSI, CCI, WILLR, MFI.
//!
//! Each one is a bounded reading of where the current bar sits within a recent window (the range, the mean, the
//! money flow). The one design choice: TA-Lib's per-bar arithmetic — operation order, the *relative* zero guards
//! (`|v| <= 1e-14 × scale`), the seeding — is reproduced step for step, but every window statistic is read from an
//! exact window structure instead of TA-Lib's running sums: rolling extremes from [`Extreme`], the %K / %D
//! smoothing, CCI's mean and MFI's flow sums from exact window sums ([`WindowMoments`]), CCI's mean deviation from
//! an ordered window. Values agree with TA-Lib to ~1e-12 and never drift: a window of zeros smooths to exactly 0
//! (TA-Lib's running sum leaves residues such as 4.7e-15), and no reset rule is needed to clear residue.

use crate::exact::{ExactSum, two_prod, two_sum};
use crate::indicator::{Indicator, ParamError, any_undefined, is_zero_scaled, length_param};
use crate::moments::WindowMoments;
use crate::momentum::Rsi;
use crate::window::{Extreme, Side};

/// Stochastic %K of `x` within `[lowest, highest]`: `((x - lowest) / (highest - lowest)) × 100` (TA-Lib's order),
/// or 0 when the range is zero relative to the level.
#[inline(always)]
fn percent_k(x: f64, highest: f64, lowest: f64) -> f64 {
    let range = highest - lowest;
    if is_zero_scaled(range, highest.abs() + lowest.abs()) { 0.0 } else { ((x - lowest) / range) * 100.0 }
}

/// The two lines of a stochastic oscillator at one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochValue {
    pub k: f64,
    pub d: f64,
}

/// Writes a [`StochValue`] (or NaN for `None`) to the first two outputs.
#[inline]
fn emit_kd(out: &mut [f64], v: Option<StochValue>) {
    match v {
        Some(v) => {
            out[0] = v.k;
            out[1] = v.d;
        }
        None => out[..2].fill(f64::NAN),
    }
}

/// Slow stochastic (TA-Lib STOCH with SMA smoothing): fast %K over `fastk` bars, slow %K = SMA(fast %K, `slowk`),
/// slow %D = SMA(slow %K, `slowd`). Both lines are first defined after `(fastk-1) + (slowk-1) + (slowd-1)` bars.
#[derive(Debug, Clone)]
pub struct Stoch {
    highest: Extreme,
    lowest: Extreme,
    slow_k: WindowMoments,
    slow_d: WindowMoments,
}

impl Stoch {
    pub fn new(fastk: f64, slowk: f64, slowd: f64) -> Result<Self, ParamError> {
        let fk = length_param("fastk", fastk, 1)?;
        let sk = length_param("slowk", slowk, 1)?;
        let sd = length_param("slowd", slowd, 1)?;
        Ok(Self {
            highest: Extreme::new(fk as f64, Side::Highest)?,
            lowest: Extreme::new(fk as f64, Side::Lowest)?,
            slow_k: WindowMoments::new(sk),
            slow_d: WindowMoments::new(sd),
        })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<StochValue> {
        let (hi, lo) = (self.highest.update(high), self.lowest.update(low));
        let (Some(hi), Some(lo)) = (hi, lo) else { return None };
        self.slow_k.push(percent_k(close, hi, lo));
        if !self.slow_k.is_full() {
            return None;
        }
        let k = self.slow_k.mean();
        self.slow_d.push(k);
        self.slow_d.is_full().then(|| StochValue { k, d: self.slow_d.mean() })
    }

    pub fn reset(&mut self) {
        self.highest.reset();
        self.lowest.reset();
        self.slow_k.reset();
        self.slow_d.reset();
    }
}

impl Indicator for Stoch {
    #[inline]
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        let v = if any_undefined(inputs) { None } else { Stoch::update(self, inputs[0], inputs[1], inputs[2]) };
        emit_kd(out, v);
    }

    fn reset(&mut self) {
        Stoch::reset(self)
    }
}

/// Stochastic RSI (TA-Lib STOCHRSI with an SMA %D): the fast stochastic of `RSI(length)` — %K over `fastk` RSI
/// values, %D = SMA(%K, `fastd`). First defined after `length + (fastk-1) + (fastd-1)` values.
#[derive(Debug, Clone)]
pub struct StochRsi {
    rsi: Rsi,
    highest: Extreme,
    lowest: Extreme,
    fast_d: WindowMoments,
}

impl StochRsi {
    /// `length >= 2` (TA-Lib rejects an RSI of one change).
    pub fn new(length: f64, fastk: f64, fastd: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        let fk = length_param("fastk", fastk, 1)?;
        let fd = length_param("fastd", fastd, 1)?;
        Ok(Self {
            rsi: Rsi::new(n as f64)?,
            highest: Extreme::new(fk as f64, Side::Highest)?,
            lowest: Extreme::new(fk as f64, Side::Lowest)?,
            fast_d: WindowMoments::new(fd),
        })
    }

    #[inline]
    pub fn update(&mut self, x: f64) -> Option<StochValue> {
        let r = self.rsi.update(x)?;
        let (hi, lo) = (self.highest.update(r), self.lowest.update(r));
        let (Some(hi), Some(lo)) = (hi, lo) else { return None };
        let k = percent_k(r, hi, lo);
        self.fast_d.push(k);
        self.fast_d.is_full().then(|| StochValue { k, d: self.fast_d.mean() })
    }

    pub fn reset(&mut self) {
        self.rsi.reset();
        self.highest.reset();
        self.lowest.reset();
        self.fast_d.reset();
    }
}

impl Indicator for StochRsi {
    #[inline]
    fn update(&mut self, inputs: &[f64], out: &mut [f64]) {
        let v = if any_undefined(inputs) { None } else { StochRsi::update(self, inputs[0]) };
        emit_kd(out, v);
    }

    fn reset(&mut self) {
        StochRsi::reset(self)
    }
}

/// Williams %R over `length` bars: `((highest - close) / (highest - lowest)) × -100`, in [-100, 0] (TA-Lib WILLR).
#[derive(Debug, Clone)]
pub struct Willr {
    highest: Extreme,
    lowest: Extreme,
}

impl Willr {
    /// `length >= 2`, as TA-Lib.
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { highest: Extreme::new(n as f64, Side::Highest)?, lowest: Extreme::new(n as f64, Side::Lowest)? })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let (hi, lo) = (self.highest.update(high), self.lowest.update(low));
        let (Some(hi), Some(lo)) = (hi, lo) else { return None };
        let range = hi - lo;
        Some(if is_zero_scaled(range, hi.abs() + lo.abs()) { 0.0 } else { ((hi - close) / range) * (-100.0) })
    }

    pub fn reset(&mut self) {
        self.highest.reset();
        self.lowest.reset();
    }
}

crate::bar_indicator!(Willr, 0, 1, 2);

/// Commodity Channel Index over `length` bars of typical price (TA-Lib CCI). O(log n) per bar: the mean deviation
/// reads an ordered window of the typical prices.
#[derive(Debug, Clone)]
pub struct Cci {
    n: usize,
    moments: WindowMoments,
    ordered: OrderedWindow,
}

impl Cci {
    /// `length >= 2`, as TA-Lib.
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { n, moments: WindowMoments::new(n), ordered: OrderedWindow::new(n) })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let tp = ((high + low) + close) / 3.0;
        self.moments.push(tp);
        self.ordered.push(tp);
        if !self.moments.is_full() {
            return None;
        }
        let avg = self.moments.mean();
        let md = if self.moments.is_flat() { 0.0 } else { self.ordered.abs_deviation_sum(avg) / self.n as f64 };
        let dev = tp - avg;
        Some(if !is_zero_scaled(dev, avg.abs()) && !is_zero_scaled(md, avg.abs()) { dev / (0.015 * md) } else { 0.0 })
    }

    pub fn reset(&mut self) {
        self.moments.reset();
        self.ordered.reset();
    }
}

crate::bar_indicator!(Cci, 0, 1, 2);

/// Money Flow Index over the money flows of `length` bars (TA-Lib 0.8.1 MFI); first defined after `length` bars.
#[derive(Debug, Clone)]
pub struct Mfi {
    prev_tp: Option<f64>,
    positive: WindowMoments,
    negative: WindowMoments,
}

impl Mfi {
    /// `length >= 2`, as TA-Lib.
    pub fn new(length: f64) -> Result<Self, ParamError> {
        let n = length_param("length", length, 2)?;
        Ok(Self { prev_tp: None, positive: WindowMoments::new(n), negative: WindowMoments::new(n) })
    }

    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let tp = (high + low + close) / 3.0;
        let prev = self.prev_tp.replace(tp)?;
        let change = tp - prev;
        // A change that is zero relative to the price level is no move: the bar has no flow (TA-Lib's dead zone).
        let flow = if is_zero_scaled(change, tp.abs() + prev.abs()) { 0.0 } else { tp * volume };
        let (pos, neg) = if change < 0.0 { (0.0, flow) } else { (flow, 0.0) };
        self.positive.push(pos);
        self.negative.push(neg);
        if !self.positive.is_full() {
            return None;
        }
        // Exact window sums: `length` bars without flow sum to exactly 0, which is what TA-Lib's null-run reset
        // restores in its running sums.
        let (pos, neg) = (self.positive.sum(), self.negative.sum());
        let total = pos + neg;
        let pos = if pos < 0.0 { 0.0 } else { pos.min(total) };
        Some(if total <= 0.0 { 0.0 } else { 100.0 * (pos / total) })
    }

    pub fn reset(&mut self) {
        self.prev_tp = None;
        self.positive.reset();
        self.negative.reset();
    }
}

crate::bar_indicator!(Mfi, 0, 1, 2, 3);

/// "No node".
const NIL: u32 = u32::MAX;

/// A double-double `hi + lo`: a sum carried to ~106 bits.
type DoubleDouble = (f64, f64);

#[inline(always)]
fn dd_add(a: DoubleDouble, b: DoubleDouble) -> DoubleDouble {
    let (s, e) = two_sum(a.0, b.0);
    two_sum(s, e + (a.1 + b.1))
}

#[derive(Debug, Clone, Copy)]
struct Node {
    value: f64,
    /// Arrival number: breaks ties between equal values, so every key is unique.
    seq: u64,
    priority: u64,
    left: u32,
    right: u32,
    /// Values in this subtree.
    count: u32,
    /// Their sum, as a double-double.
    sum: DoubleDouble,
}

/// The last `n` values ordered by value (ties by arrival), in a treap whose nodes carry their subtree's count and
/// sum: the sum of absolute deviations from any point in O(log n) expected per bar.
///
/// The mean absolute deviation needs to know which values lie above the mean, which moves every bar; no O(1)
/// update is known (like a sliding median, it needs order), so this is O(log n) where TA-Lib rescans the window in
/// O(n). The value of arrival `seq` lives in arena slot `seq % n`, so the newest value replaces the oldest in
/// place: no allocation once the window is full.
#[derive(Debug, Clone)]
struct OrderedWindow {
    n: usize,
    seen: u64,
    root: u32,
    nodes: Vec<Node>,
}

impl OrderedWindow {
    fn new(n: usize) -> Self {
        Self { n, seen: 0, root: NIL, nodes: Vec::with_capacity(n.min(4096)) }
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.root = NIL;
        self.nodes.clear();
    }

    /// Pushes `x`, dropping the oldest value once `n` are held.
    fn push(&mut self, x: f64) {
        let seq = self.seen;
        self.seen += 1;
        let slot = (seq % self.n as u64) as usize;
        let node = Node { value: x, seq, priority: splitmix64(seq), left: NIL, right: NIL, count: 1, sum: (x, 0.0) };
        if slot < self.nodes.len() {
            let old = self.nodes[slot];
            self.root = self.erase(self.root, old.value, old.seq);
            self.nodes[slot] = node;
        } else {
            self.nodes.push(node);
        }
        self.root = self.insert(self.root, slot as u32);
    }

    /// `Σ |x - a|` over the window, from the exact combination of the subtree sums:
    /// `Σ|x - a| = 2 Σ_{x > a} x - Σ x + (n - 2 k) a`, with `k` the number of values above `a`.
    fn abs_deviation_sum(&self, a: f64) -> f64 {
        let (mut k, mut above) = (0u32, (0.0, 0.0));
        let mut t = self.root;
        while t != NIL {
            let node = &self.nodes[t as usize];
            if node.value > a {
                // The node and its right subtree lie above `a`.
                k += 1 + self.count(node.right);
                above = dd_add(above, dd_add((node.value, 0.0), self.sum(node.right)));
                t = node.left;
            } else {
                t = node.right;
            }
        }
        let all = self.sum(self.root);
        let (p, pe) = two_prod(self.count(self.root) as f64 - 2.0 * k as f64, a);
        let mut s = ExactSum::new();
        s.add2(2.0 * above.0, 2.0 * above.1);
        s.add2(-all.0, -all.1);
        s.add2(p, pe);
        s.value().max(0.0)
    }

    #[inline]
    fn count(&self, t: u32) -> u32 {
        if t == NIL { 0 } else { self.nodes[t as usize].count }
    }

    #[inline]
    fn sum(&self, t: u32) -> DoubleDouble {
        if t == NIL { (0.0, 0.0) } else { self.nodes[t as usize].sum }
    }

    /// True when node `t` orders before the key `(value, seq)`.
    #[inline]
    fn before(&self, t: u32, value: f64, seq: u64) -> bool {
        let node = &self.nodes[t as usize];
        node.value.total_cmp(&value).then(node.seq.cmp(&seq)).is_lt()
    }

    /// Recomputes node `t`'s count and sum from its children.
    fn pull(&mut self, t: u32) {
        let Node { left, right, value, .. } = self.nodes[t as usize];
        let count = self.count(left) + 1 + self.count(right);
        let sum = dd_add(dd_add(self.sum(left), (value, 0.0)), self.sum(right));
        let node = &mut self.nodes[t as usize];
        node.count = count;
        node.sum = sum;
    }

    /// Splits the subtree `t` into the keys before `(value, seq)` and the rest.
    fn split(&mut self, t: u32, value: f64, seq: u64) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        if self.before(t, value, seq) {
            let (l, r) = self.split(self.nodes[t as usize].right, value, seq);
            self.nodes[t as usize].right = l;
            self.pull(t);
            (t, r)
        } else {
            let (l, r) = self.split(self.nodes[t as usize].left, value, seq);
            self.nodes[t as usize].left = r;
            self.pull(t);
            (l, t)
        }
    }

    /// Joins two subtrees, every key of `a` before every key of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].priority > self.nodes[b as usize].priority {
            let r = self.merge(self.nodes[a as usize].right, b);
            self.nodes[a as usize].right = r;
            self.pull(a);
            a
        } else {
            let l = self.merge(a, self.nodes[b as usize].left);
            self.nodes[b as usize].left = l;
            self.pull(b);
            b
        }
    }

    /// Inserts the detached node `x` into the subtree `t`; returns the new subtree root.
    fn insert(&mut self, t: u32, x: u32) -> u32 {
        if t == NIL {
            return x;
        }
        let Node { value, seq, priority, .. } = self.nodes[x as usize];
        if priority > self.nodes[t as usize].priority {
            let (l, r) = self.split(t, value, seq);
            let node = &mut self.nodes[x as usize];
            node.left = l;
            node.right = r;
            self.pull(x);
            return x;
        }
        if self.before(t, value, seq) {
            let r = self.insert(self.nodes[t as usize].right, x);
            self.nodes[t as usize].right = r;
        } else {
            let l = self.insert(self.nodes[t as usize].left, x);
            self.nodes[t as usize].left = l;
        }
        self.pull(t);
        t
    }

    /// Removes the node with key `(value, seq)` (which must be present) from the subtree `t`.
    fn erase(&mut self, t: u32, value: f64, seq: u64) -> u32 {
        let node = self.nodes[t as usize];
        if node.seq == seq {
            return self.merge(node.left, node.right);
        }
        if self.before(t, value, seq) {
            let r = self.erase(node.right, value, seq);
            self.nodes[t as usize].right = r;
        } else {
            let l = self.erase(node.left, value, seq);
            self.nodes[t as usize].left = l;
        }
        self.pull(t);
        t
    }
}

/// A fixed, well-mixed priority per arrival number (deterministic: the same series builds the same tree).
#[inline]
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

use crate::spec::*;

/// The indicators of this module, for the registry.
pub(crate) static SPECS: &[IndicatorSpec] = &[
    IndicatorSpec {
        name: "stoch",
        summary: "stochastic oscillator (slow %K and %D)",
        definition: "fast %K = ((close − lowest low) / (highest high − lowest low)) × 100 over the last `fastk` bars, \
                     and 0 when the range is zero relative to the price level (|range| ≤ 1e-14 × (|highest| + \
                     |lowest|)); k = SMA(fast %K, `slowk`); d = SMA(k, `slowd`). The SMAs are exact window means. \
                     Both are first defined after (fastk − 1) + (slowk − 1) + (slowd − 1) bars. TA-Lib STOCH with \
                     SMA smoothing.",
        inputs: &[HIGH, LOW, CLOSE],
        params: &[length_or("fastk", 1, 14.0), length_or("slowk", 1, 3.0), length_or("slowd", 1, 3.0)],
        outputs: &[output("k"), output("d")],
        warmup: |p| (len_at(p, 0) - 1) + (len_at(p, 1) - 1) + (len_at(p, 2) - 1),
        warmup_text: "fastk − 1 + slowk − 1 + slowd − 1",
        build: |p| boxed(Stoch::new(p[0], p[1], p[2])),
    },
    IndicatorSpec {
        name: "stochrsi",
        summary: "stochastic RSI",
        definition: "r = rsi(source, `length`); k = ((r − lowest r) / (highest r − lowest r)) × 100 over the last \
                     `fastk` RSI values, and 0 when the range is zero relative to the level (|range| ≤ 1e-14 × \
                     (|highest| + |lowest|)), so a pinned RSI reads 0; d = SMA(k, `fastd`), an exact window mean. \
                     Both are first defined after length + (fastk − 1) + (fastd − 1) values. TA-Lib STOCHRSI (fast \
                     stochastic of RSI, SMA %D).",
        inputs: &[SOURCE],
        params: &[length_or("length", 2, 14.0), length_or("fastk", 1, 5.0), length_or("fastd", 1, 3.0)],
        outputs: &[output("k"), output("d")],
        warmup: |p| len_at(p, 0) + (len_at(p, 1) - 1) + (len_at(p, 2) - 1),
        warmup_text: "length + fastk − 1 + fastd − 1",
        build: |p| boxed(StochRsi::new(p[0], p[1], p[2])),
    },
    IndicatorSpec {
        name: "cci",
        summary: "commodity channel index",
        definition: "tp = (high + low + close) / 3; over the last `length` bars, mean = the exact window mean of tp \
                     and md = Σ|tp − mean| / length (the mean absolute deviation); cci = (tp − mean) / (0.015 × md), \
                     and 0 when tp − mean or md is zero relative to the mean (|·| ≤ 1e-14 × |mean|), e.g. in a flat \
                     window or when tp equals the mean. TA-Lib CCI.",
        inputs: &[HIGH, LOW, CLOSE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Cci::new(p[0])),
    },
    IndicatorSpec {
        name: "willr",
        summary: "Williams %R",
        definition: "((highest high − close) / (highest high − lowest low)) × −100 over the last `length` bars, in \
                     [−100, 0]; 0 when the range is zero relative to the price level (|range| ≤ 1e-14 × (|highest| + \
                     |lowest|)). TA-Lib WILLR.",
        inputs: &[HIGH, LOW, CLOSE],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: |p| len(p) - 1,
        warmup_text: "length − 1",
        build: |p| boxed(Willr::new(p[0])),
    },
    IndicatorSpec {
        name: "mfi",
        summary: "money flow index",
        definition: "tp = (high + low + close) / 3; a bar's money flow tp × volume is positive when tp rose from the \
                     previous bar, negative when it fell, and no flow at all when the change is zero \
                     relative to the price (|Δtp| ≤ 1e-14 × (|tp| + |previous tp|)). mfi = 100 × positive / \
                     (positive + negative), the exact sums of the flows of the last `length` bars (the first bar \
                     only supplies the first previous tp), with the positive sum clamped to [0, total]; 0 when the \
                     total is not positive, e.g. after `length` bars without flow. TA-Lib MFI (0.8.1).",
        inputs: &[HIGH, LOW, CLOSE, VOLUME],
        params: &[length("length", 2)],
        outputs: &[NUMBER],
        warmup: len,
        warmup_text: "length",
        build: |p| boxed(Mfi::new(p[0])),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BarField;
    use crate::exact::fsum;
    use crate::spec::InputSpec;

    const NAN: f64 = f64::NAN;

    /// The synthetic bars the TA-Lib values below were computed from, as `[high, low, close, volume]`: 80 bars of a
    /// random walk in 25-cent steps (an LCG), highs and lows 0, 7, 25 or 33 cents off the close (so extremes tie
    /// often), zero volume on every 17th bar from bar 5, and a flat stretch (high = low = close) on bars 40..58.
    /// The same generator in Python fed `talib` 0.8.2 (TA-Lib 0.8.1) to produce the expected values.
    fn bars() -> Vec<[f64; 4]> {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        let offsets = [0, 7, 25, 33];
        let mut cents: i64 = 10_000;
        (0..80)
            .map(|i| {
                let c = cents as f64 / 100.0;
                if (40..58).contains(&i) {
                    return [c, c, c, 500.0];
                }
                cents += 25 * ((next() % 13) as i64 - 6);
                let hx = offsets[(next() % 4) as usize];
                let lx = offsets[(next() % 4) as usize];
                let v = if i % 17 == 5 { 0 } else { next() % 1000 };
                [(cents + hx) as f64 / 100.0, (cents - lx) as f64 / 100.0, cents as f64 / 100.0, v as f64]
            })
            .collect()
    }

    #[test]
    fn the_generator_is_the_one_talib_saw() {
        let b = bars();
        assert_eq!(b[0], [99.33, 98.93, 99.0, 711.0]);
        assert_eq!(b[40], [82.75, 82.75, 82.75, 500.0]);
        assert_eq!(b[58], [82.25, 82.18, 82.25, 515.0]);
        assert_eq!(b[79], [84.58, 84.18, 84.25, 496.0]);
        assert_eq!(fsum(&b.iter().map(|b| b[2]).collect::<Vec<_>>()), 6919.5);
    }

    /// Which field of a `[high, low, close, volume]` bar an input reads (a series input reads the close).
    fn field(input: &InputSpec) -> usize {
        match input.implicit {
            Some(BarField::High) => 0,
            Some(BarField::Low) => 1,
            Some(BarField::Volume) => 3,
            _ => 2,
        }
    }

    fn spec(name: &str) -> &'static IndicatorSpec {
        SPECS.iter().find(|s| s.name == name).unwrap()
    }

    /// Feeds `bars` to `ind` through the [`Indicator`] interface: one column per output.
    fn feed(spec: &IndicatorSpec, ind: &mut dyn Indicator, bars: &[[f64; 4]]) -> Vec<Vec<f64>> {
        let mut out = vec![0.0; spec.outputs.len()];
        let mut cols = vec![Vec::new(); spec.outputs.len()];
        for b in bars {
            let inputs: Vec<f64> = spec.inputs.iter().map(|i| b[field(i)]).collect();
            out.fill(0.0);
            ind.update(&inputs, &mut out);
            for (col, &v) in cols.iter_mut().zip(&out) {
                col.push(v);
            }
        }
        cols
    }

    /// Runs this module's registry entry `name` over `bars`.
    fn run(name: &str, params: &[f64], bars: &[[f64; 4]]) -> Vec<Vec<f64>> {
        let spec = spec(name);
        feed(spec, (spec.build)(params).unwrap().as_mut(), bars)
    }

    /// Equal within 1e-9 relative (1e-9 absolute below 1), and NaN exactly where TA-Lib has NaN.
    fn assert_matches(name: &str, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            if w.is_nan() {
                assert!(g.is_nan(), "{name}[{i}]: got {g}, TA-Lib has NaN");
            } else {
                assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{name}[{i}]: got {g}, TA-Lib {w}");
            }
        }
    }

    fn same_bits(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn stoch_matches_talib() {
        let b = bars();
        let r = run("stoch", &[14.0, 3.0, 3.0], &b);
        assert_matches("stoch(14,3,3).k", &r[0], &STOCH_14_3_3_K);
        assert_matches("stoch(14,3,3).d", &r[1], &STOCH_14_3_3_D);
        // TA-Lib's running SMA leaves a residue over a window of zero %K; the exact window mean is exactly 0.
        assert_eq!(STOCH_14_3_3_K[57], 4.736951571734001e-15);
        assert_eq!(r[0][57], 0.0);
        let r = run("stoch", &[5.0, 2.0, 4.0], &b);
        assert_matches("stoch(5,2,4).k", &r[0], &STOCH_5_2_4_K);
        assert_matches("stoch(5,2,4).d", &r[1], &STOCH_5_2_4_D);
    }

    #[test]
    fn stochrsi_matches_talib() {
        let b = bars();
        let r = run("stochrsi", &[14.0, 5.0, 3.0], &b);
        assert_matches("stochrsi(14,5,3).k", &r[0], &STOCHRSI_14_5_3_K);
        assert_matches("stochrsi(14,5,3).d", &r[1], &STOCHRSI_14_5_3_D);
        let r = run("stochrsi", &[6.0, 4.0, 2.0], &b);
        assert_matches("stochrsi(6,4,2).k", &r[0], &STOCHRSI_6_4_2_K);
        assert_matches("stochrsi(6,4,2).d", &r[1], &STOCHRSI_6_4_2_D);
    }

    #[test]
    fn cci_willr_mfi_match_talib() {
        let b = bars();
        assert_matches("cci(14)", &run("cci", &[14.0], &b)[0], &CCI_14);
        assert_matches("cci(5)", &run("cci", &[5.0], &b)[0], &CCI_5);
        assert_matches("willr(14)", &run("willr", &[14.0], &b)[0], &WILLR_14);
        assert_matches("willr(5)", &run("willr", &[5.0], &b)[0], &WILLR_5);
        assert_matches("mfi(14)", &run("mfi", &[14.0], &b)[0], &MFI_14);
        assert_matches("mfi(5)", &run("mfi", &[5.0], &b)[0], &MFI_5);
    }

    const ALL: [(&str, &[f64]); 5] = [
        ("stoch", &[5.0, 3.0, 2.0]),
        ("stochrsi", &[6.0, 3.0, 2.0]),
        ("cci", &[5.0]),
        ("willr", &[5.0]),
        ("mfi", &[5.0]),
    ];

    #[test]
    fn undefined_bars_are_skipped() {
        let b = bars();
        for (name, params) in ALL {
            // Every 7th bar has one of the indicator's inputs undefined: those bars read NaN and leave the state
            // alone, so the other bars read as if the gaps were not there.
            let fields: Vec<usize> = spec(name).inputs.iter().map(field).collect();
            let mut gappy = b.clone();
            for (i, bar) in gappy.iter_mut().enumerate().filter(|(i, _)| i % 7 == 3) {
                bar[fields[i % fields.len()]] = NAN;
            }
            let dense: Vec<[f64; 4]> = b.iter().enumerate().filter(|(i, _)| i % 7 != 3).map(|(_, &bar)| bar).collect();
            let (with_gaps, without) = (run(name, params, &gappy), run(name, params, &dense));
            for (col, dense_col) in with_gaps.iter().zip(&without) {
                let kept: Vec<f64> = col.iter().enumerate().filter(|(i, _)| i % 7 != 3).map(|(_, &v)| v).collect();
                assert!(same_bits(&kept, dense_col), "{name}");
                assert!(col.iter().skip(3).step_by(7).all(|v| v.is_nan()), "{name}");
            }
        }
    }

    #[test]
    fn reset_forgets_everything() {
        let b = bars();
        for (name, params) in ALL {
            let spec = spec(name);
            let mut ind = (spec.build)(params).unwrap();
            feed(spec, ind.as_mut(), &b[..30]);
            ind.reset();
            let again = feed(spec, ind.as_mut(), &b);
            for (x, y) in again.iter().zip(&run(name, params, &b)) {
                assert!(same_bits(x, y), "{name}");
            }
        }
    }

    /// The zero guards are relative, so an instrument quoted at 1e-20 reads exactly as one quoted at 100 (TA-Lib
    /// 0.8.1 does the same): scaling by a power of two changes no bit.
    #[test]
    fn tiny_prices_read_like_normal_ones() {
        let b = bars();
        let scale = 2f64.powi(-70);
        let tiny: Vec<[f64; 4]> = b.iter().map(|&[h, l, c, v]| [h * scale, l * scale, c * scale, v]).collect();
        for (name, params) in ALL {
            let (a, z) = (run(name, params, &b), run(name, params, &tiny));
            for (x, y) in a.iter().zip(&z) {
                assert!(same_bits(x, y), "{name}");
            }
        }
    }

    #[test]
    fn stoch_hand_computed() {
        let hlc = [(10.0, 8.0, 9.0), (11.0, 9.0, 10.0), (12.0, 9.0, 11.0), (12.0, 10.0, 10.0), (13.0, 11.0, 13.0)];
        let mut s = Stoch::new(3.0, 2.0, 2.0).unwrap();
        let out: Vec<_> = hlc.iter().map(|&(h, l, c)| s.update(h, l, c)).collect();
        assert_eq!(out[..4], [None; 4]);
        // fast %K: bar 2 (11-8)/4 = 75, bar 3 (10-9)/3, bar 4 (13-9)/4 = 100
        let k3 = (1.0 / 3.0) * 100.0;
        let (slow3, slow4) = ((75.0 + k3) / 2.0, (k3 + 100.0) / 2.0);
        assert_eq!(out[4], Some(StochValue { k: slow4, d: (slow3 + slow4) / 2.0 }));
        // TA-Lib: 66.66666667, 60.41666667
        assert!(
            (slow4 - 66.66666666666667).abs() < 1e-13 && ((slow3 + slow4) / 2.0 - 60.416666666666664).abs() < 1e-13
        );
    }

    #[test]
    fn stoch_flat_window_and_relative_range_guard() {
        let mut s = Stoch::new(3.0, 2.0, 2.0).unwrap();
        for i in 0..10 {
            let (h, l, c) = if i < 4 { (11.0 + i as f64, 9.0 + i as f64, 10.0 + i as f64) } else { (20.0, 20.0, 20.0) };
            let v = s.update(h, l, c);
            // Fast %K is 0 from bar 6 (a flat 3-bar window), slow %K from bar 7, slow %D from bar 8.
            if i >= 8 {
                assert_eq!(v, Some(StochValue { k: 0.0, d: 0.0 }), "bar {i}");
            }
        }
        // A range of 1e-14 at a price of 1 is no range (|range| <= 1e-14 × (|hi| + |lo|)); 3e-14 is one.
        let mut s = Stoch::new(1.0, 1.0, 1.0).unwrap();
        assert_eq!(s.update(1.0 + 1e-14, 1.0, 1.0 + 1e-14).unwrap().k, 0.0);
        assert_eq!(s.update(1.0 + 3e-14, 1.0, 1.0 + 3e-14).unwrap().k, 100.0);
        // ... and the test scales with the price: a 10% range at 1e-20 is a range.
        let k = s.update(1.1e-20, 1e-20, 1.05e-20).unwrap().k;
        assert!((k - 50.0).abs() < 1e-9, "{k}");
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert!(Stoch::new(0.0, 3.0, 3.0).is_err());
        assert!(Stoch::new(14.0, 2.5, 3.0).is_err());
        assert!(StochRsi::new(1.0, 5.0, 3.0).is_err());
        assert!(StochRsi::new(14.0, 0.0, 3.0).is_err());
        assert!(Cci::new(1.0).is_err());
        assert!(Willr::new(1.0).is_err());
        assert!(Mfi::new(f64::NAN).is_err());
        assert!(Stoch::new(1.0, 1.0, 1.0).is_ok() && StochRsi::new(2.0, 1.0, 1.0).is_ok());
    }

    #[test]
    fn stochrsi_hand_computed() {
        let mut s = StochRsi::new(2.0, 2.0, 2.0).unwrap();
        let out: Vec<_> = [10.0, 11.0, 10.5, 12.0, 11.0, 13.0].iter().map(|&x| s.update(x)).collect();
        // RSI(2) from bar 2: 66.7, 88.9, 47.1, 81.6; %K over two RSI values is 100 or 0: bar 3 100, 4 0, 5 100.
        assert_eq!(out[..4], [None; 4]);
        assert_eq!(out[4], Some(StochValue { k: 0.0, d: 50.0 }));
        assert_eq!(out[5], Some(StochValue { k: 100.0, d: 50.0 }));
    }

    #[test]
    fn stochrsi_of_a_pinned_rsi_reads_zero() {
        // Only gains: RSI is 100 on every bar, so its range is zero. A flat price (RSI 0) likewise.
        for series in [(0..40).map(|i| 100.0 + i as f64).collect::<Vec<_>>(), vec![42.0; 40]] {
            let mut s = StochRsi::new(14.0, 5.0, 3.0).unwrap();
            let out: Vec<_> = series.iter().map(|&x| s.update(x)).collect();
            assert!(out[..20].iter().all(Option::is_none));
            assert!(out[20..].iter().all(|v| *v == Some(StochValue { k: 0.0, d: 0.0 })));
        }
    }

    #[test]
    fn willr_hand_computed_and_flat() {
        let hlc = [(10.0, 8.0, 9.0), (11.0, 9.0, 10.0), (12.0, 9.0, 11.0), (12.0, 10.0, 10.0), (13.0, 11.0, 13.0)];
        let mut w = Willr::new(3.0).unwrap();
        let out: Vec<_> = hlc.iter().map(|&(h, l, c)| w.update(h, l, c)).collect();
        // TA-Lib: NaN, NaN, -25, -66.67, -0
        assert_eq!(out[..2], [None; 2]);
        assert_eq!(out[2], Some(-25.0));
        assert_eq!(out[3], Some((2.0 / 3.0) * -100.0));
        assert_eq!(out[4], Some(0.0));
        let mut w = Willr::new(3.0).unwrap();
        let out: Vec<_> = (0..5).map(|_| w.update(7.5, 7.5, 7.5)).collect();
        assert_eq!(out[2..], [Some(0.0); 3]);
    }

    #[test]
    fn cci_hand_computed() {
        let mut c = Cci::new(3.0).unwrap();
        let out: Vec<_> = [1.0, 2.0, 6.0, 4.0, 8.0].iter().map(|&tp| c.update(tp, tp, tp)).collect();
        assert_eq!(out[..2], [None; 2]);
        // [1, 2, 6]: mean 3, md (2 + 1 + 3) / 3 = 2, cci 3 / (0.015 × 2)
        assert_eq!(out[2], Some(3.0 / (0.015 * 2.0)));
        // [2, 6, 4]: tp equals the mean (md 4/3 > 0) -> 0
        assert_eq!(out[3], Some(0.0));
        // [6, 4, 8]: mean 6, md 4/3, cci 2 / (0.015 × 4/3)
        assert_eq!(out[4], Some(2.0 / (0.015 * (4.0 / 3.0))));
        // TA-Lib: 100, 0, 100
        assert!((out[2].unwrap() - 100.0).abs() < 1e-12 && (out[4].unwrap() - 100.0).abs() < 1e-12);
    }

    #[test]
    fn cci_zero_guards_are_relative_to_the_mean() {
        // Window [4 - d, 4 + d]: mean exactly 4, deviation and md both d. 0 while d <= 1e-14 × 4.
        let ulp = 2f64.powi(-50);
        for (steps, zero) in [(34.0, true), (45.0, true), (46.0, false), (56.0, false)] {
            let d = steps * ulp;
            let mut c = Cci::new(2.0).unwrap();
            c.update(4.0 - d, 4.0 - d, 4.0 - d);
            let v = c.update(4.0 + d, 4.0 + d, 4.0 + d).unwrap();
            if zero {
                assert_eq!(v, 0.0, "d = {d:e}");
            } else {
                assert_eq!(v, d / (0.015 * d), "d = {d:e}");
            }
        }
        // A flat window reads 0.
        let mut c = Cci::new(4.0).unwrap();
        let out: Vec<_> = (0..8).map(|_| c.update(101.3, 99.1, 100.7)).collect();
        assert_eq!(out[3..], [Some(0.0); 5]);
    }

    #[test]
    fn ordered_window_deviation_is_the_exact_sum() {
        let mut state = 7u64;
        let mut rand = move || {
            state = splitmix64(state);
            state
        };
        for n in [1, 2, 3, 5, 14, 64, 300] {
            let mut w = OrderedWindow::new(n);
            let mut xs = Vec::new();
            for i in 0..1500 {
                // Prices with many ties, an occasional jump, and a flat stretch.
                let x = if (700..(700 + 2 * n)).contains(&i) {
                    55.5
                } else {
                    100.0 + (rand() % 41) as f64 * 0.01 + if rand() % 50 == 0 { 1e4 } else { 0.0 }
                };
                w.push(x);
                xs.push(x);
                let win = &xs[xs.len().saturating_sub(n)..];
                assert_eq!(w.count(w.root) as usize, win.len());
                for a in [fsum(win) / win.len() as f64, x, 100.0, 0.1] {
                    let want = fsum(&win.iter().map(|v| (v - a).abs()).collect::<Vec<_>>());
                    let got = w.abs_deviation_sum(a);
                    assert!((got - want).abs() <= 1e-15 * want, "n={n} i={i} a={a}: {got} vs {want}");
                }
            }
            w.reset();
            assert_eq!(w.root, NIL);
        }
    }

    #[test]
    fn mfi_hand_computed() {
        let mut m = Mfi::new(2.0).unwrap();
        let out: Vec<_> = [(10.0, 1.0), (11.0, 2.0), (10.5, 3.0), (12.0, 4.0)]
            .iter()
            .map(|&(tp, v)| m.update(tp, tp, tp, v))
            .collect();
        // flows: bar 1 +22, bar 2 -31.5, bar 3 +48 (TA-Lib: 41.1214953271028, 60.37735849056604)
        assert_eq!(out[..2], [None; 2]);
        assert_eq!(out[2], Some(100.0 * (22.0 / 53.5)));
        assert_eq!(out[3], Some(100.0 * (48.0 / 79.5)));
    }

    #[test]
    fn mfi_dead_zone_null_run_and_zero_volume() {
        // A change of 1e-14 at a price of 1 is no move, so no flow: only the fall of bar 2 counts.
        let mut m = Mfi::new(2.0).unwrap();
        m.update(1.0, 1.0, 1.0, 10.0);
        m.update(1.0 + 1e-14, 1.0 + 1e-14, 1.0 + 1e-14, 10.0);
        assert_eq!(m.update(0.5, 0.5, 0.5, 10.0), Some(0.0));
        // ... while 3e-14 is one: a rise then a fall of equal flow.
        let mut m = Mfi::new(2.0).unwrap();
        m.update(1.0, 1.0, 1.0, 10.0);
        let up = 1.0 + 3e-14;
        m.update(up, up, up, 10.0);
        let v = m.update(1.0, 1.0, 1.0, up * 10.0).unwrap();
        assert!((v - 50.0).abs() < 1e-12, "{v}");
        // `length` bars without flow read exactly 0, then the next rise alone gives 100.
        let mut m = Mfi::new(3.0).unwrap();
        for (i, (tp, v)) in [(10.0, 5.0), (11.0, 5.0), (9.0, 7.0), (12.0, 3.0), (12.0, 9.0), (13.0, 0.0), (13.0, 4.0)]
            .into_iter()
            .enumerate()
        {
            let out = m.update(tp, tp, tp, v);
            match i {
                3 => assert_eq!(out, Some(100.0 * ((55.0 + 36.0) / (55.0 + 36.0 + 63.0)))),
                6 => assert_eq!(out, Some(0.0)), // flat, zero volume, flat
                _ => {}
            }
        }
        assert_eq!(m.update(14.0, 14.0, 14.0, 1.0), Some(100.0));
        // No volume at all: no flow, 0.
        let mut m = Mfi::new(3.0).unwrap();
        let out: Vec<_> = (0..6).map(|i| m.update(10.0 + i as f64, 9.0, 9.5, 0.0)).collect();
        assert_eq!(out[3..], [Some(0.0); 3]);
    }

    // Expected values: Python `talib` 0.8.2 (TA-Lib 0.8.1) on the bars of `bars()`, printed with `repr` (NaN while
    // TA-Lib's output is undefined).
    #[rustfmt::skip]
    const STOCH_14_3_3_K: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 3.328353835904778,
        4.7201498181013335, 6.94586366296463, 9.161554192229028, 9.313299908696266, 8.649313680604804,
        6.808302970404113, 4.614402118177872, 3.1657566017357532, 2.945417618684914, 4.1305361305361314,
        2.848484848484849, 3.8961038961038965, 2.380952380952381, 2.7653565544833705, 7.633168588687468,
        9.390444810543555, 9.401520863001227, 2.517339781178048, 0.7600635593219603, 5.697916666666631,
        7.1425438596491135, 10.419380017841199, 8.65967576645487, 10.7960434714316, 11.464785544532027,
        13.291528902063595, 14.746323110249653, 16.20111731843571, 18.29428493063671, 20.916042504989385,
        24.46628734946142, 25.923364581732457, 26.851851851851816, 47.644824311491256, 64.73587369420788,
        55.78525641025727, 26.041666666667226, 4.736951571734001e-15, 4.736951571734001e-15, 4.736951571734001e-15,
        4.093567251461643, 5.375618533512804, 9.26254432856579, 8.740405648532708, 19.146666054793222,
        32.35930735930733, 59.4155844155844, 81.06060606060606, 93.81335963614447, 95.67510548523211,
        81.64556962025321, 81.64556962025321, 80.44696781666256, 86.30656904111856, 69.3627450980392,
        46.89542483660128, 28.513071895424805, 18.90787846670196, 28.40266737325557, 52.45245245245243,
        81.9521794521795, 92.64901264901273,
    ];

    #[rustfmt::skip]
    const STOCH_14_3_3_D: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 3.0892711964446473,
        3.8675727071938257, 4.998122438990247, 6.942522557764998, 8.473572587963309, 9.041389260510032,
        8.256972186568396, 6.690672923062263, 4.8628205634392465, 3.57519211286618, 3.413903450318933,
        3.3081461992352987, 3.6250416250416264, 3.0418470418470425, 3.0141376105132163, 4.259825841374407,
        6.5963233179047975, 8.80837808741075, 7.103101818240943, 4.226308067833744, 2.9917733357222125,
        4.5335080285459, 7.753280181385647, 8.740533214648393, 9.958366418575887, 10.30683492747283,
        11.85078597267574, 13.167545852281757, 14.746323110249653, 16.413908453107357, 18.470481584687267,
        21.225538261695842, 23.76856481206109, 25.7471679276819, 33.47334691502518, 46.41084995251699,
        56.05531813865213, 48.85426559037746, 27.2756410256415, 8.680555555555745, 5.131697536045168e-15,
        1.3645224171538846, 3.156395261658151, 6.243910037846746, 7.792856170203767, 12.383205343963908,
        20.082126354211088, 36.97385260989498, 57.6118326118326, 78.09651670411164, 90.18302372732755,
        90.37801158054326, 86.32208157524617, 81.24603568572299, 82.79970215934478, 78.70542731860677,
        67.52157965858633, 48.25708061002175, 31.43879173290934, 25.27453924512744, 33.25433276413665,
        54.26909975929582, 75.6845481845482,
    ];

    #[rustfmt::skip]
    const STOCH_5_2_4_K: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 20.332428456603807, 14.755963669028803, 26.97674418604654,
        32.79069767441866, 19.158475185806754, 5.670103092783483, 3.8106235565819686, 6.442202503950389,
        6.442202503950389, 7.2267726249049336, 12.124857777031654, 24.793980026538122, 54.51119724375535,
        65.27777777777773, 46.731369924140914, 24.69879518072274, 7.470792259948553, 8.016322018467704,
        10.729613733905591, 9.910261412407344, 4.54545454545455, 8.333333333333336, 8.333333333333336,
        1.0294117647057883, 23.86678200692031, 28.37370242214523, 7.765631542987824, 3.920120619095609,
        1.6908212560384914, 28.571428571428573, 35.41790160047419, 20.27239895497153, 26.85185185185182,
        26.85185185185182, 58.04131054131098, 83.67788461538589, 39.062500000000824, -7.105427357601002e-15,
        -7.105427357601002e-15, -7.105427357601002e-15, -7.105427357601002e-15, -7.105427357601002e-15,
        -7.105427357601002e-15, -7.105427357601002e-15, -7.105427357601002e-15, -7.105427357601002e-15,
        -7.105427357601002e-15, -7.105427357601002e-15, -7.105427357601002e-15, -7.105427357601002e-15,
        6.14035087719245, 8.063427800269192, 7.753465615656213, 11.187531549722303, 26.28737541528234,
        68.5205940039227, 93.53191988734162, 95.94155844155844, 92.91845493562235, 90.82421409792606,
        50.40575916230348, 40.714285714285474, 82.82635467980293, 73.06034482758614, 32.99373040752346,
        9.50040950040949, 6.156156156156119, 8.076201201201176, 49.236111111111136, 92.36111111111114,
        99.20454545454554, 92.72727272727288,
    ];

    #[rustfmt::skip]
    const STOCH_5_2_4_D: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 10.93947226117088, 14.318179490484848, 19.790543387514788,
        23.71395849652445, 23.420470178825187, 21.149005034763857, 15.357474877397713, 8.770351084780646,
        5.5912829143165546, 5.980450297346916, 8.059008852459337, 12.64695323310627, 24.664201918057508,
        39.176953206275705, 47.82858124305302, 47.80478503159918, 36.04468378564748, 21.729319845819973,
        12.728880798261141, 9.031747356182292, 8.300412927558792, 8.3796657562752, 7.780595656132136,
        5.560383244206747, 10.390715109573186, 15.40080738177616, 15.258881934189782, 15.981559147787236,
        10.43756896006678, 10.487000497387616, 17.400068011759206, 21.488137595728183, 27.778395244681516,
        27.348501064787328, 33.004353299996524, 48.855724715100116, 51.90838675213737, 45.19542378917441,
        30.685096153846665, 9.76562500000019, -1.7763568394002505e-14, -1.7763568394002505e-14,
        -1.7763568394002505e-14, -1.7763568394002505e-14, -1.7763568394002505e-14, -1.7763568394002505e-14,
        -1.7763568394002505e-14, -1.7763568394002505e-14, -1.7763568394002505e-14, -1.7763568394002505e-14,
        1.5350877192980965, 3.5509446693653963, 5.489311073279452, 8.28619396071003, 13.322950095232503,
        28.43724164614588, 49.88185521406723, 71.07036193702626, 87.72813181711126, 93.3040368406121,
        82.52249665935257, 68.71567847753433, 66.19265341357948, 61.75168609599449, 57.398678907299484,
        49.59520985383049, 30.427660222918785, 14.181624316322544, 18.242219492219462, 38.957394894894875,
        62.219492219492224, 83.38226010101015,
    ];

    #[rustfmt::skip]
    const STOCHRSI_14_5_3_K: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 100.0,
        87.42296178940035, 75.15935670625026, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 8.860738299035201, 0.0, 100.0,
        80.76365988136148, 76.22075634535328, 67.19732578632353, 0.0, 100.0, 57.58732374326032, 80.44087668807904,
        80.44087668807904, 53.88377947780912, 99.99999999999982, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 90.96760829193701, 100.0, 0.0,
        90.85349571083869, 100.0, 65.63335576821144, 10.686322761413349, 0.0, 0.0, 16.317220437036152, 100.0, 100.0,
        100.0, 85.87118836713707,
    ];

    #[rustfmt::skip]
    const STOCHRSI_14_5_3_D: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN,
        82.44270496874474, 95.80765392980011, 87.52743949855021, 54.19410616521687, 25.053118902083423, 0.0, 0.0, 0.0,
        0.0, 33.333333333333336, 36.28691276634507, 36.28691276634507, 36.28691276634507, 60.25455329378716,
        85.66147207557158, 74.72724733767943, 47.8060273772256, 55.732441928774506, 52.5291079144201,
        79.34273347711311, 72.82302570647279, 71.58851095132239, 78.10821872196266, 51.294593159269645,
        33.333333333333265, -4.736951571734001e-15, -4.736951571734001e-15, -4.736951571734001e-15,
        -4.736951571734001e-15, -4.736951571734001e-15, -4.736951571734001e-15, -4.736951571734001e-15,
        -4.736951571734001e-15, -4.736951571734001e-15, -4.736951571734001e-15, -4.736951571734001e-15,
        -4.736951571734001e-15, -4.736951571734001e-15, -4.736951571734001e-15, -4.736951571734001e-15,
        -4.736951571734001e-15, -4.736951571734001e-15, 33.33333333333333, 66.66666666666667, 100.0, 100.0,
        96.98920276397901, 96.98920276397901, 63.65586943064568, 63.61783190361291, 63.61783190361291,
        85.49561715968339, 58.77322617654162, 25.439892843208288, 3.5621075871378074, 5.439073479012076,
        38.77240681234541, 72.10574014567874, 100.00000000000001, 95.29039612237904,
    ];

    #[rustfmt::skip]
    const STOCHRSI_6_4_2_K: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 77.98109214703047, 78.53435060898238, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 100.0, 100.0, 100.0, 74.355653860201, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 38.63346163476095,
        12.453072560232439, 100.0, 75.5340600953262, 69.97128701141781, 0.0, 0.0, 100.0, 46.23814184257068,
        68.19321973945091, 40.83764707795227, 99.99999999999983, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 74.52056760229259,
        62.104988026168705, 0.0, 64.02136599438589, 100.0, 53.88536346902711, 0.0, 0.0, 0.0, 73.11548474750343, 100.0,
        100.0, 100.0, 58.13318463663549,
    ];

    #[rustfmt::skip]
    const STOCHRSI_6_4_2_D: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 38.99054607351523, 78.25772137800642, 39.26717530449119,
        0.0, 0.0, 0.0, 0.0, 0.0, 50.0, 100.0, 100.0, 87.17782693010051, 37.17782693010051, 7.105427357601002e-15,
        7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15,
        7.105427357601002e-15, 50.00000000000001, 69.31673081738049, 25.54326709749671, 56.226536280116235,
        87.76703004766311, 72.75267355337202, 34.98564350570892, 1.4210854715202004e-14, 50.000000000000014,
        73.11907092128536, 57.21568079101081, 54.515433408701604, 70.41882353897606, 49.99999999999992,
        7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15,
        7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15,
        7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15,
        7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15,
        7.105427357601002e-15, 7.105427357601002e-15, 7.105427357601002e-15, 50.00000000000001, 100.0, 100.0, 100.0,
        87.2602838011463, 68.31277781423066, 31.052494013084363, 32.01068299719296, 82.01068299719296,
        76.94268173451357, 26.94268173451357, 1.4210854715202004e-14, 1.4210854715202004e-14, 36.55774237375173,
        86.55774237375172, 100.0, 100.0, 79.06659231831775,
    ];

    #[rustfmt::skip]
    const CCI_14: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, -140.99199999999988, -174.08687205106747,
        -161.77984679425572, -164.66506538564113, -147.0358974358973, -118.25714525655698, -89.56890635722775,
        -78.02840434419392, -74.88134355604264, -67.08663343628652, -65.21133509399549, -77.16147209015651,
        -121.55633443583304, -133.99028482163897, -172.88409976223028, -159.50779177907634, -119.10213243546647,
        -158.65047526112286, -176.30381889347245, -99.17557251908424, -119.62544647166727, -110.47290829025494,
        -111.9584377029418, -121.60267715823335, -70.53735218581592, -125.47155344272385, -100.91637509277415,
        -91.61721886911026, -84.5399052997893, -74.64686180282519, -65.17728695946509, -56.87405241498821,
        -50.500606368276856, -45.04219409282698, -40.478495023950906, -34.71495055264761, -28.151585460171667,
        -24.86938349007229, 38.88888888889132, 35.8974358974359, 0.0, 0.0, 0.0, 0.0, 0.0, -466.66666666663264,
        -375.2540650406547, -279.43118334180036, -196.13644628700274, -96.67317512766684, -55.01849011284239,
        44.02959973091086, 52.21976855036206, 42.234292425130924, 60.21726365237708, -19.74574996238984,
        51.74076057846705, 116.6836437718275, 59.46676406135826, -36.250838363514916, -76.26926196269288,
        -89.64829134447538, -86.85694150810436, 24.335959710827886, 109.55313183348773, 167.83363042186633,
        123.44367164691735,
    ];

    #[rustfmt::skip]
    const CCI_5: [f64; 80] = [
        NAN, NAN, NAN, NAN, -127.83171521035746, -142.81465619795387, -93.70849933598903, -36.89167974882262,
        -85.24853019775614, -159.86394557823178, -37.42937853107393, -47.23799690242637, -146.51570292492227,
        -95.28262676641751, -119.3473699442876, -101.66227447800559, -114.62192946342832, -100.40284036596964,
        -61.86701893439018, -13.4233783558458, 36.975102192493644, -13.619575253928671, -42.56594724220734,
        -101.54525386313477, -154.36120159246857, -146.54898218829592, -86.12143742255212, -96.11559611559586,
        -107.41706504418204, -61.011904761904006, -155.83913379736802, -127.53018851533292, -20.379589296826452,
        -69.40730837789617, -58.125192722788235, -103.19337670017859, -122.68428552921303, 21.01835405565367,
        -112.71367521367529, -56.78140629596986, -35.96127247579703, -27.50809061488691, 51.38169257340007,
        41.66666666666667, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -166.6666666666723,
        -155.74186991870118, -116.20620905724778, -86.92585735695947, -7.843925985519235, 79.14500288850633,
        144.48336252189227, 87.02882483370298, 49.07343857240823, 60.38923869490538, -166.66666666666947,
        20.88321362064261, 138.83955002960397, 13.157894736842598, -96.64286609044171, -106.14311646125824,
        -74.09204885545506, -49.30332261521894, 141.49139579349955, 121.50826614545188, 110.77561804113965,
        64.26814268142644,
    ];

    #[rustfmt::skip]
    const WILLR_14: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, -100.0, -95.78544061302684,
        -97.05882352941177, -96.49309245483529, -96.46302250803859, -92.8834355828221, -89.81595092024541,
        -89.81595092024541, -92.42819843342038, -91.80790960451979, -95.33898305084747, -99.00990099009911,
        -96.15384615384616, -96.0, -95.45454545454545, -100.0, -92.85714285714286, -100.0, -98.84678747940703,
        -78.25370675453055, -94.72817133443174, -98.81355932203402, -98.90625000000011, -100.0, -84.0,
        -94.57236842105266, -90.16949152542374, -89.27911275415899, -88.16326530612247, -88.16326530612247,
        -83.7988826815643, -83.7988826815643, -83.7988826815643, -77.51937984496129, -75.93360995850627,
        -73.14814814814818, -73.14814814814818, -73.14814814814818, -10.76923076922986, -21.874999999998334, 0.0, 0.0,
        0.0, 0.0, 0.0, -87.71929824561508, -96.15384615384652, -88.33922261484103, -89.28571428571433,
        -64.93506493506497, -48.701298701298725, -8.116883116883121, -0.0, -10.443037974683502, -2.531645569620202,
        -42.0886075949367, -10.443037974683502, -6.127450980392159, -24.509803921568636, -61.274509803921596,
        -73.52941176470591, -79.65686274509807, -90.09009009009013, -45.045045045045065, -7.507507507507512,
        -1.5909090909089392, -12.954545454545324,
    ];

    #[rustfmt::skip]
    const WILLR_5: [f64; 80] = [
        NAN, NAN, NAN, NAN, -100.0, -97.51773049645413, -92.3076923076923, -73.49823321554769, -85.8369098712447,
        -84.6511627906977, -61.39534883720923, -73.02325581395345, -88.65979381443303, -100.0, -92.37875288683607,
        -94.73684210526315, -92.37875288683607, -93.16770186335407, -82.58258258258262, -67.82945736434112,
        -23.148148148148184, -46.29629629629637, -60.24096385542181, -90.36144578313272, -94.69696969697019,
        -89.27038626609442, -89.27038626609442, -90.9090909090909, -100.0, -83.33333333333334, -100.0,
        -97.94117647058843, -54.325259515570956, -88.9273356401386, -95.54140127388577, -96.61835748792302, -100.0,
        -42.857142857142854, -86.30705394190876, -73.14814814814818, -73.14814814814818, -73.14814814814818,
        -10.76923076922986, -21.874999999998334, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        -87.71929824561508, -96.15384615384652, -88.33922261484103, -89.28571428571433, -58.13953488372097,
        -4.819277108433642, -8.116883116883121, -0.0, -14.163090128755302, -4.188481675392588, -95.00000000000045,
        -23.571428571428594, -10.775862068965548, -43.10344827586219, -90.9090909090909, -90.09009009009013,
        -97.59759759759766, -86.25000000000003, -15.277777777777724, -0.0, -1.5909090909089392, -12.954545454545324,
    ];

    #[rustfmt::skip]
    const MFI_14: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, 27.840693410487034, 28.90135994786253,
        13.732126403539144, 12.17305165229948, 21.932841169876504, 25.53128217938979, 24.039406569651774,
        17.046641787114915, 17.7956429241982, 17.25066943465508, 13.300900287192722, 13.100470507773695,
        13.445936816201007, 12.978001960114986, 14.000781439067561, 22.21767710749416, 22.34136987284993,
        24.633814408765666, 26.25680922273372, 22.63588335039844, 23.938950407465622, 22.313599853140364,
        20.6549999298635, 26.363049295681435, 27.304889941207875, 30.407055538823062, 37.78861408389117,
        42.4514629193058, 43.1482865117411, 35.23921127122711, 41.903319939062214, 42.54044350810038,
        27.764574051096787, 28.41157149802508, 31.496827623718147, 43.98688082927221, 60.008070234144704,
        40.355737820256316, 100.0, 100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 29.77858039756992,
        30.255340444731356, 47.85125928136566, 53.51650028430056, 51.19539862504533, 51.90794416356718,
        43.2481346218292, 51.0642411705246, 59.54563576890134, 53.686366022419804, 52.823532102347784,
        57.852173936211116, 53.478185933804504, 59.29541502183881, 57.09273102935348, 60.832685581136545,
        56.91135944923842, 50.206742488323776,
    ];

    #[rustfmt::skip]
    const MFI_5: [f64; 80] = [
        NAN, NAN, NAN, NAN, NAN, 54.98817833417037, 61.025016897542116, 52.27125919798179, 44.483248636545724,
        48.039518690842584, 55.28763581370142, 42.63648820105841, 9.070444223799264, 8.408590756061946,
        6.418256456298706, 2.5914349657929633e-15, 2.4276732925454424e-15, 2.478136442635788e-15, 21.888359047949734,
        35.494897059777095, 30.42453612516387, 35.63612166220236, 49.065931893625326, 19.69166704967695, 0.0, 0.0,
        0.0, 0.0, 0.0, 23.967213549851273, 23.713426634330524, 29.454573684368494, 61.84963513324938,
        62.31087376366483, 40.425232068376275, 39.86454145217132, 32.367731602428044, 22.101566002591724,
        17.892500011482777, 20.157105634634544, 43.98688082927221, 60.008070234144704, 40.35573782025631, 100.0,
        100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 29.77858039756992,
        40.50378202204296, 77.87473601469543, 93.02966364858062, 92.18986224224973, 88.63336582860633,
        57.51976185164717, 55.95783644464804, 67.21452773215182, 56.46895455967385, 45.74539194356759,
        56.43660867009077, 33.04017229503021, 26.467039281854582, 41.856116382919474, 68.90188517395241,
        69.6846543721475, 76.15535541524491,
    ];
}
