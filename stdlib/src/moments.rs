//! Window moments: the exact window sum and mean (SMA, SUM, the bands' middle, …), and the window variance
//! (VARIANCE, STDDEV, BBANDS).
//!
//! Design choice: the *mean* is the correctly rounded exact sum divided by the length — the definition the reference
//! backtests use, never drifting, exactly the value for a flat window. The *variance* follows TA-Lib 0.8.1's
//! shifted sums (deviations from a recent mean, so no catastrophic cancellation) with its reseeding rules, which
//! keeps it O(1), accurate to a few ulps and bit-equal to TA-Lib; a flat window is recognised exactly and has
//! variance exactly zero.

use crate::exact::{ExactSum, add2_fast};
use crate::fixed::{Scale, i64_to_f64, running_sums};
use crate::ring::Ring;

/// The last `n` values with their exact sum.
#[derive(Debug, Clone)]
pub struct WindowMoments {
    ring: Ring,
    sum: ExactSum,
    /// How many of the newest values are equal to `last` (capped at the window length).
    run: usize,
    last: f64,
    /// The array path's integers and window sums (empty until [`WindowMoments::push_means`] first runs).
    scratch: Vec<i64>,
}

impl WindowMoments {
    /// A window of `len` values.
    pub fn new(len: usize) -> Self {
        Self { ring: Ring::new(len), sum: ExactSum::new(), run: 0, last: f64::NAN, scratch: Vec::new() }
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.ring.capacity()
    }

    /// True once the window holds `len` values.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// Pushes a finite value.
    #[inline(always)]
    pub fn push(&mut self, x: f64) {
        let old = self.ring.push(x);
        self.sum.add2(x, -old.unwrap_or(0.0));
        // Branch-free: whether a close repeats the last one is data, not something to predict.
        let longer = (self.run + 1).min(self.ring.capacity());
        self.run = if x == self.last { longer } else { 1 };
        self.last = x;
    }

    /// Pushes values of `xs` and writes each bar's [`WindowMoments::mean`] to `out`, for as long as the window is
    /// full and its sum stays exact on a fast path; a NaN value is skipped (its mean is NaN, the window untouched).
    /// Returns how many values it consumed — each exactly as `push` then `mean` would have, bit for bit — so the
    /// caller finishes the rest (warm-up, the rare update neither fast path holds) one value at a time.
    ///
    /// Blocks of values go through 64-bit integers ([`crate::fixed`]) when they fit, which is almost always for
    /// prices; a block that does not (a hole, magnitudes too far apart) goes through the two-double sum.
    pub fn push_means(&mut self, xs: &[f64], out: &mut [f64]) -> usize {
        let len = xs.len().min(out.len());
        let mut done = 0;
        while done < len {
            let k = self.push_means_fixed(&xs[done..len], &mut out[done..len]);
            done += k;
            if k > 0 {
                continue;
            }
            // A block the integers cannot hold: the two-double path for a block's length, then the integers again.
            let end = (done + self.block_len()).min(len);
            let k = self.push_means_dd(&xs[done..end], &mut out[done..end]);
            done += k;
            if done < end {
                break;
            }
        }
        done
    }

    /// Values per block of the integer path: long enough that starting a block (the window before it) costs
    /// little, short enough that a block's prices rarely spread over more binades than the integers hold.
    fn block_len(&self) -> usize {
        2048usize.max(4 * self.ring.capacity())
    }

    /// The integer path of [`WindowMoments::push_means`] ([`crate::fixed`]): whole blocks, each as integers at one
    /// scale, while the window is full and a block fits. Returns how many values it consumed (0 when the first
    /// block does not fit).
    fn push_means_fixed(&mut self, xs: &[f64], out: &mut [f64]) -> usize {
        let n = self.ring.capacity();
        let block = self.block_len();
        let len = xs.len().min(out.len());
        let len_f = n as f64;
        // p: the running integer sums of the window before the block (n) and of the block (b). The last block's
        // scale is kept: when the next block fits it too, the window before that block is the tail of this one's
        // sums (only their differences are read, so where a run of sums starts does not matter).
        self.scratch.resize(n + block, 0);
        let mut scale: Option<Scale> = None;
        // The window sum A after the last bar consumed, at `scale`.
        let mut window_sum = 0i64;
        let mut done = 0;
        while done < len {
            let b = block.min(len - done);
            let chunk = &xs[done..done + b];
            let Some((buf, head_ref)) = self.ring.full_parts_mut() else { break };
            let p = &mut self.scratch;
            // The window before the block first: converting the block overwrites where it was kept.
            p.copy_within(block..block + n, 0);
            let kept = scale.is_some_and(|s| s.positive_to_ints(chunk, &mut p[n..n + b]));
            if !kept {
                // A new scale, for the window before the block (the ring, oldest first from its head) and the block.
                let head = *head_ref;
                let (newer, older) = buf.split_at(head);
                let (win, rest) = p.split_at_mut(n);
                let (win_old, win_new) = win.split_at_mut(older.len());
                let fresh = Scale::around(buf[(head + n - 1) % n], n).filter(|s| {
                    s.positive_to_ints(chunk, &mut rest[..b])
                        && s.positive_to_ints(older, win_old)
                        && s.positive_to_ints(newer, win_new)
                });
                scale = match fresh {
                    Some(s) => Some(s),
                    None => {
                        // Zeros, negative values or a wider spread: the exact scale of these values, if any.
                        let Some(s) = Scale::exact(&[older, newer, chunk], n) else { break };
                        s.signed_to_ints(older, win_old);
                        s.signed_to_ints(newer, win_new);
                        s.signed_to_ints(chunk, &mut rest[..b]);
                        Some(s)
                    }
                };
                running_sums(&mut p[..n], 0);
            }
            let Some(s) = scale else { break };
            running_sums(&mut p[..n + b], n);
            // Each mean is fl(A) / (n·2^q): bit for bit fl(S) / n of the exact sum S = A·2^-q. A flat window has
            // A = n·k of its value's k, so fl(A) = fl(n·k): where that holds the window may be flat, and the run
            // decides (rare, so looked at after the vector loop).
            let unit_inv = s.unit_inverse();
            let d = len_f * unit_inv;
            let o = &mut out[done..done + b];
            let mut maybe_flat = 0u64;
            for (((m, &hi), &lo), &x) in o.iter_mut().zip(&p[n..n + b]).zip(&p[..b]).zip(chunk) {
                let sum = i64_to_f64(hi.wrapping_sub(lo));
                maybe_flat |= (sum == len_f * (x * unit_inv)) as u64;
                *m = sum / d;
            }
            // The run of equal values as the index where it began (as in `push_means_dd`).
            let mut streak_start = -(self.run as isize);
            if maybe_flat != 0 {
                let mut prev = self.last;
                for (j, (m, &x)) in o.iter_mut().zip(chunk).enumerate() {
                    streak_start = if x != prev { j as isize } else { streak_start };
                    prev = x;
                    if j as isize - streak_start + 1 >= n as isize {
                        *m = x;
                    }
                }
            } else {
                // No flat window in the block: only the run at its end matters.
                let last = chunk[b - 1];
                let back = chunk.iter().rev().take(n).take_while(|&&x| x == last).count();
                // A block of one repeated value continues the run before it.
                if back < b || last != self.last {
                    streak_start = (b - back) as isize;
                }
            }
            // The window after the block; the next block's window before it is p[b..b + n].
            if b >= n {
                buf.copy_from_slice(&chunk[b - n..]);
                *head_ref = 0;
            } else {
                for &x in chunk {
                    self.ring.push(x);
                }
            }
            window_sum = p[n + b - 1].wrapping_sub(p[b - 1]);
            if b < block {
                p.copy_within(b..b + n, block);
            }
            self.run = ((b as isize - streak_start) as usize).min(n);
            self.last = chunk[b - 1];
            done += b;
        }
        if let Some(s) = scale.filter(|_| done > 0) {
            // The exact window sum as two doubles: fl(A) and the integer remainder, both scaled back by 2^-q.
            let a = window_sum;
            let hi = a as f64;
            let lo = (i128::from(a) - hi as i128) as f64;
            let unit = 1.0 / s.unit_inverse();
            self.sum.set_exact(hi * unit, lo * unit);
        }
        done
    }

    /// The two-double path of [`WindowMoments::push_means`]: values pushed through [`ExactSum`]'s fast path with
    /// the state in registers, until the window is not full or an update would round.
    #[inline]
    fn push_means_dd(&mut self, xs: &[f64], out: &mut [f64]) -> usize {
        let Some((mut hi, mut lo)) = self.sum.fast_parts() else { return 0 };
        let last_before = self.last;
        let run_before = self.run;
        let Some((buf, head_ref)) = self.ring.full_parts_mut() else { return 0 };
        let n = buf.len();
        let len_f = n as f64;
        let mut head = *head_ref;
        // The run of equal values as the index (among values pushed here) where it began: a select per value, where
        // counting it would chain a multiply and a min from one value to the next.
        let mut last = last_before;
        let mut streak_start = -(run_before as isize);
        let mut pushed = 0isize;
        let mut done = 0;
        for (o, &x) in out.iter_mut().zip(xs) {
            if x.is_nan() {
                *o = f64::NAN;
                done += 1;
                continue;
            }
            let Some(slot) = buf.get_mut(head) else { break };
            // ExactSum::add2(x, -old), fast path.
            let Some((s, l)) = add2_fast(hi, lo, x, -*slot) else { break };
            (hi, lo) = (s, l);
            *slot = x;
            head += 1;
            if head == n {
                head = 0;
            }
            streak_start = if x != last { pushed } else { streak_start };
            last = x;
            let flat = pushed - streak_start + 1 >= n as isize;
            pushed += 1;
            *o = if flat { x } else { (hi + lo) / len_f };
            done += 1;
        }
        *head_ref = head;
        self.sum.set_fast_parts(hi, lo);
        self.run = ((pushed - streak_start) as usize).min(n);
        self.last = last;
        done
    }

    /// True when every value in the full window is the same.
    #[inline]
    pub fn is_flat(&self) -> bool {
        self.run == self.ring.capacity()
    }

    /// The correctly rounded sum of the window.
    #[inline]
    pub fn sum(&self) -> f64 {
        self.sum.value()
    }

    /// The window mean: the correctly rounded sum divided by the length; exactly the value for a flat window.
    #[inline]
    pub fn mean(&self) -> f64 {
        if self.is_flat() { self.last } else { self.sum.value() / self.ring.capacity() as f64 }
    }

    pub fn newest(&self, back: usize) -> Option<f64> {
        self.ring.get_back(back)
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.ring.capacity());
    }
}

/// Population variance of the last `n` values, TA-Lib 0.8.1's way: sums of deviations from a shift (the first
/// value, later a recent window mean), `var = Σd²/n − (Σd/n)²`, recomputed from the window — with the shift moved to
/// the window's mean — every `32 n` outputs, when the variance is under 1e-6 of `Σd²/n` (cancellation), or when a
/// departing deviation dwarfs the rest; a variance under 1e-12 of `Σd²/n` after recomputing is 0. A window of one
/// repeated value has variance exactly 0.
#[derive(Debug, Clone)]
pub struct ShiftedVariance {
    ring: Ring,
    inv: f64,
    shift: f64,
    p1: f64,
    p2: f64,
    until_reseed: usize,
    run: usize,
    last: f64,
}

impl ShiftedVariance {
    pub fn new(n: usize) -> Self {
        let n = n.max(1);
        Self {
            ring: Ring::new(n),
            inv: 1.0 / n as f64,
            shift: f64::NAN,
            p1: 0.0,
            p2: 0.0,
            until_reseed: 32 * n,
            run: 0,
            last: f64::NAN,
        }
    }

    /// Pushes a finite value; the variance once `n` values have been seen.
    #[inline]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        if self.ring.is_empty() && self.shift.is_nan() {
            self.shift = x;
        }
        let n = self.ring.capacity();
        self.run = if x == self.last { (self.run + 1).min(n) } else { 1 };
        self.last = x;
        let mut d = x - self.shift;
        self.p1 += d;
        d *= d;
        self.p2 += d;
        self.ring.push(x);
        if !self.ring.is_full() {
            return None;
        }
        let m1 = self.p1 * self.inv;
        let mut variance = self.p2 * self.inv - m1 * m1;
        // The oldest value leaves the sums now; the ring drops it on the next push.
        let oldest = self.ring.get_back(n - 1).unwrap_or(x);
        let mut t = oldest - self.shift;
        self.p1 -= t;
        t *= t;
        self.p2 -= t;
        self.until_reseed -= 1;
        if variance < 0.000001 * (self.p2 * self.inv) || t > 1000000.0 * self.p2 || self.until_reseed == 0 {
            variance = self.reseed();
        }
        Some(if self.run == n { 0.0 } else { variance })
    }

    /// Pushes values of `xs` and hands each variance to `emit` with its index in `xs` — exactly what
    /// [`ShiftedVariance::push`] would give, bit for bit, reseeds included — once the window is full (returns 0
    /// before: the caller pushes the warm-up one by one); a NaN value is skipped (variance NaN, state untouched).
    /// `emit` may be called twice for one index (a flat window's variance is made 0 afterwards); the last call
    /// counts. Returns how many values it consumed.
    #[inline]
    pub fn push_variances_with(&mut self, xs: &[f64], mut emit: impl FnMut(usize, f64)) -> usize {
        if !self.ring.is_full() {
            return 0;
        }
        let mut done = 0;
        while done < xs.len() {
            if xs[done].is_nan() {
                emit(done, f64::NAN);
                done += 1;
                continue;
            }
            let end = xs[done..].iter().position(|x| x.is_nan()).map_or(xs.len(), |k| done + k);
            self.push_defined(&xs[done..end], done, &mut emit);
            done = end;
        }
        done
    }

    /// Over a run of values (NaN = undefined: skipped, variance NaN), hands each bar's variance to `emit` with its
    /// index in `xs` — the warm-up pushed one by one, then [`ShiftedVariance::push_variances_with`]: bit for bit
    /// what [`ShiftedVariance::push`] gives bar by bar (NaN before the window is full). The array path of every
    /// indicator built on the variance.
    #[inline]
    pub fn each_variance(&mut self, xs: &[f64], mut emit: impl FnMut(usize, f64)) {
        let mut i = 0;
        while i < xs.len() {
            let base = i;
            i += self.push_variances_with(&xs[base..], |j, v| emit(base + j, v));
            if i < xs.len() {
                let x = xs[i];
                emit(i, if x.is_nan() { f64::NAN } else { self.push(x).unwrap_or(f64::NAN) });
                i += 1;
            }
        }
    }

    /// [`ShiftedVariance::push_variances_with`] over values with none undefined, the window full. The first `n`
    /// go through [`ShiftedVariance::push`]; from then on the value leaving the window is in `xs` itself, so the
    /// loop keeps no ring, no run of equal values (a second pass finds flat windows, and only where two
    /// neighbours are equal) and no reseed countdown (it runs in stretches as long as the countdown): only the two
    /// running sums, the variance and the checks that call for a reseed, in TA-Lib's operation order.
    #[inline(always)]
    fn push_defined(&mut self, xs: &[f64], offset: usize, emit: &mut impl FnMut(usize, f64)) {
        let n = self.ring.capacity();
        let m = xs.len();
        let head = n.min(m);
        for (j, &x) in xs[..head].iter().enumerate() {
            emit(offset + j, self.push(x).unwrap_or(f64::NAN));
        }
        if m <= n {
            return;
        }
        let (run, last) = (self.run, self.last);
        let (inv, mut shift) = (self.inv, self.shift);
        let (mut p1, mut p2) = (self.p1, self.p2);
        let mut i = n;
        while i < m {
            // A stretch up to the next scheduled reseed (the countdown is at least 1).
            let budget = self.until_reseed;
            let stop = m.min(i + budget);
            let mut cancelled = false;
            let mut k = i;
            while k < stop {
                let x = xs[k];
                let mut d = x - shift;
                p1 += d;
                d *= d;
                p2 += d;
                let m1 = p1 * inv;
                let variance = p2 * inv - m1 * m1;
                // The window's oldest value leaves the sums now.
                let mut t = xs[k + 1 - n] - shift;
                p1 -= t;
                t *= t;
                p2 -= t;
                k += 1;
                if variance < 0.000001 * (p2 * inv) || t > 1000000.0 * p2 {
                    cancelled = true;
                    break;
                }
                emit(offset + k - 1, variance);
            }
            self.until_reseed = budget - (k - i);
            i = k;
            if cancelled || self.until_reseed == 0 {
                // The window as the ring, oldest first, for the reseed to recompute from.
                self.sync_ring(&xs[k - n..k]);
                (self.p1, self.p2) = (p1, p2);
                let variance = self.reseed();
                (p1, p2, shift) = (self.p1, self.p2, self.shift);
                emit(offset + k - 1, variance);
            }
        }
        (self.p1, self.p2) = (p1, p2);
        self.sync_ring(&xs[m - n..]);
        // Flat windows: n equal values in a row (the run before included) have variance exactly 0. Past the first
        // n values, only a value equal to the one before it can end one (or every value, for a window of one).
        let flat_possible = n == 1 || xs[n - 1..].windows(2).fold(false, |a, w| a | (w[0] == w[1]));
        if !flat_possible {
            (self.run, self.last) = (1, xs[m - 1]);
            return;
        }
        let (mut run, mut last) = (run, last);
        for (j, &x) in xs.iter().enumerate().skip(n) {
            run = if x == last { (run + 1).min(n) } else { 1 };
            last = x;
            if run == n {
                emit(offset + j, 0.0);
            }
        }
        (self.run, self.last) = (run, last);
    }

    /// Makes the ring hold `window` (the last `n` values, oldest first).
    fn sync_ring(&mut self, window: &[f64]) {
        if let Some((buf, head)) = self.ring.full_parts_mut() {
            buf.copy_from_slice(window);
            *head = 0;
        }
    }

    #[cold]
    fn reseed(&mut self) -> f64 {
        self.until_reseed = 32 * self.ring.capacity();
        let mut s = 0.0;
        for x in self.ring.iter() {
            s += x;
        }
        self.shift = s * self.inv;
        let (mut p1, mut p2) = (0.0, 0.0);
        for x in self.ring.iter() {
            let mut d = x - self.shift;
            p1 += d;
            d *= d;
            p2 += d;
        }
        let m1 = p1 * self.inv;
        let mut variance = p2 * self.inv - m1 * m1;
        if variance < 0.000000000001 * (p2 * self.inv) {
            variance = 0.0;
        }
        let oldest = self.ring.iter().next().unwrap_or(self.shift);
        let mut t = oldest - self.shift;
        p1 -= t;
        t *= t;
        p2 -= t;
        self.p1 = p1;
        self.p2 = p2;
        variance
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.ring.capacity());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::fsum;

    #[test]
    fn slice_means_equal_the_exact_sum_through_spills_and_holes() {
        // Prices with full mantissas, a spike the two-double path cannot hold (it spills, then returns), NaN holes.
        let xs: Vec<f64> = (0..3000)
            .map(|i| match i {
                1000 => 1e15 + 0.5,
                1500 | 1501 => f64::NAN,
                _ => 46_430.0 + (i as f64 * 0.37).sin() * 123.456789 + 0.1,
            })
            .collect();
        let n = 20;
        let mut slice = WindowMoments::new(n);
        let mut out = vec![0.0; xs.len()];
        let mut i = 0;
        while i < xs.len() {
            i += slice.push_means(&xs[i..], &mut out[i..]);
            if i < xs.len() {
                let x = xs[i];
                out[i] = if x.is_nan() {
                    f64::NAN
                } else {
                    slice.push(x);
                    if slice.is_full() { slice.mean() } else { f64::NAN }
                };
                i += 1;
            }
        }
        let mut window: Vec<f64> = Vec::new();
        for (i, &x) in xs.iter().enumerate() {
            if x.is_nan() {
                assert!(out[i].is_nan());
                continue;
            }
            window.push(x);
            if window.len() > n {
                window.remove(0);
            }
            if window.len() == n {
                assert_eq!(out[i], fsum(&window) / n as f64, "bar {i}");
            }
        }
        assert_eq!(slice.sum(), fsum(&window), "the state left behind is the exact sum");
    }

    #[test]
    fn mean_is_correctly_rounded_sum_over_length() {
        let xs = [2.179012, 2.123457, 2.141975, 2.092592, 2.135803, 2.2];
        let mut m = WindowMoments::new(3);
        for (i, &x) in xs.iter().enumerate() {
            m.push(x);
            if i >= 2 {
                assert_eq!(m.mean(), fsum(&xs[i - 2..=i]) / 3.0);
            }
        }
    }

    #[test]
    fn variance_matches_two_pass_definition() {
        let xs: Vec<f64> =
            (0..400).map(|i| 40_000.0 + ((i * 7919) % 997) as f64 * 0.5 + (i / 50) as f64 * 300.0).collect();
        let n = 20;
        let mut v = ShiftedVariance::new(n);
        for (i, &x) in xs.iter().enumerate() {
            let got = v.push(x);
            if i + 1 < n {
                assert_eq!(got, None);
                continue;
            }
            let w = &xs[i + 1 - n..=i];
            let mean = fsum(w) / n as f64;
            let two_pass = fsum(&w.iter().map(|x| (x - mean) * (x - mean)).collect::<Vec<_>>()) / n as f64;
            let got = got.unwrap();
            assert!((got - two_pass).abs() <= 1e-12 * two_pass, "bar {i}: {got} vs {two_pass}");
        }
    }

    #[test]
    fn flat_window_is_exact_after_a_million_values() {
        let mut m = WindowMoments::new(20);
        let mut v = ShiftedVariance::new(20);
        let mut x = 1.0;
        for i in 0..1_000_000i64 {
            x = 100.0 + ((i * 7919) % 997) as f64 * 0.013;
            m.push(x);
            v.push(x);
        }
        let mut last = None;
        for _ in 0..20 {
            m.push(x);
            last = v.push(x);
        }
        assert_eq!(m.mean(), x);
        assert_eq!(last, Some(0.0));
    }
}
