//! Stepping bars in columns: each of the engine's steps run over a whole batch of bars before the next step,
//! instead of every step over one bar — the loop interchange `strata ta` runs on.
//!
//! Design choice: the same steps and the same indicator objects, only the loops swapped, so a node's value on each
//! bar is bit for bit what [`Engine::on_bar`] gives (tested), while an indicator's state stays in registers across a
//! column (`Indicator::update1_slice` and friends) and arithmetic runs over arrays. It is valid only for plans whose
//! series depend on nothing but the bars: no program, no script, no account reads, no var-dependent history —
//! [`Engine::steps_in_columns`] says so.

use std::mem::take;

use super::{Engine, RuleOp, Slot, Step, select, truth};
use crate::bar::Bar;
use crate::plan::{BinOp, NodeId};

/// One column of values per slot, for a batch of bars (reused from batch to batch).
#[derive(Debug, Default)]
pub struct Columns {
    cols: Vec<Vec<f64>>,
}

impl Columns {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Engine {
    /// True when the plan's series depend on nothing but the bars, so [`Engine::on_bars`] may step them.
    pub fn steps_in_columns(&self) -> bool {
        self.program.is_empty()
            && !self.scripted
            && self.account_inputs.is_empty()
            && self.late.is_empty()
            && self.state.read.iter().all(|r| matches!(r, RuleOp::Slot(_)))
            && !self.needs_bar_interval()
            && self.cross_functions().is_empty()
    }

    /// Steps `bars` in columns (only for a plan where [`Engine::steps_in_columns`] holds; otherwise it does
    /// nothing and returns false). Afterwards [`Engine::column`] gives each node's value on every bar of the batch,
    /// and [`Engine::value`] its value after the last, exactly as stepping the bars one by one would.
    pub fn on_bars(&mut self, bars: &[Bar], columns: &mut Columns) -> bool {
        if !self.steps_in_columns() {
            return false;
        }
        let len = bars.len();
        let slots = &mut self.state.slots;
        let cols = &mut columns.cols;
        cols.resize_with(self.slots_used, Vec::new);
        // Constants and parameters keep their slot's value; bar inputs and steps overwrite theirs below.
        for (col, &v) in cols.iter_mut().zip(slots.iter()) {
            col.clear();
            col.resize(len, v);
        }
        for &(slot, field) in self.bar_inputs.iter() {
            let col = &mut cols[slot as usize];
            for (c, bar) in col.iter_mut().zip(bars) {
                *c = match field as usize {
                    0 => bar.open,
                    1 => bar.high,
                    2 => bar.low,
                    3 => bar.close,
                    4 => bar.volume,
                    _ => bar.ts as f64,
                };
            }
        }
        let first_bar = self.state.bar_index;
        for step in self.steps.iter_mut() {
            run_step(step, cols, first_bar);
        }
        if len > 0 {
            for (slot, col) in slots.iter_mut().zip(cols.iter()) {
                *slot = col[len - 1];
            }
        }
        self.state.bar_index += len;
        true
    }

    /// The values of node `id` over the last batch stepped by [`Engine::on_bars`].
    pub fn column<'c>(&self, columns: &'c Columns, id: NodeId) -> &'c [f64] {
        match self.state.read.get(id) {
            Some(RuleOp::Slot(s)) => columns.cols.get(*s as usize).map_or(&[], |c| c.as_slice()),
            _ => &[],
        }
    }
}

/// Runs one step over every bar of the batch.
fn run_step(step: &mut Step, cols: &mut [Vec<f64>], first_bar: usize) {
    match step {
        Step::Neg { dst, a } => map1(cols, *dst, *a, |x| -x),
        Step::Not { dst, a } => map1(cols, *dst, *a, |v| if v.is_nan() { v } else { 1.0 - truth(v) }),
        Step::Bin { dst, op, a, b } => {
            let op = *op;
            map2(cols, *dst, *a, *b, |x, y| op.apply(x, y))
        }
        Step::Gt { dst, a, b } => map2(cols, *dst, *a, *b, |x, y| BinOp::Gt.apply(x, y)),
        Step::Lt { dst, a, b } => map2(cols, *dst, *a, *b, |x, y| BinOp::Lt.apply(x, y)),
        Step::Eq { dst, a, b } => map2(cols, *dst, *a, *b, |x, y| BinOp::Eq.apply(x, y)),
        Step::And { dst, a, b } => map2(cols, *dst, *a, *b, |x, y| BinOp::And.apply(x, y)),
        Step::Select { dst, c, a, b } => {
            let mut out = take(&mut cols[*dst as usize]);
            let (c, a, b) = (&cols[*c as usize], &cols[*a as usize], &cols[*b as usize]);
            for (((o, &c), &a), &b) in out.iter_mut().zip(c).zip(a).zip(b) {
                *o = select(c, a, b);
            }
            cols[*dst as usize] = out;
        }
        Step::Math { dst, f, a, b } => {
            let f = *f;
            map2(cols, *dst, *a, *b, |x, y| f.apply(x, y))
        }
        Step::History { dst, src, ring, offset } => {
            let mut out = take(&mut cols[*dst as usize]);
            for (o, &x) in out.iter_mut().zip(&cols[*src as usize]) {
                ring.push(x);
                *o = ring.get_back(*offset).unwrap_or(f64::NAN);
            }
            cols[*dst as usize] = out;
        }
        // steps_in_columns() excludes plans with var-dependent history.
        Step::LateHistory { .. } => {}
        Step::Indicator1 { dst, src, ind } => {
            let mut out = take(&mut cols[*dst as usize]);
            ind.update1_slice(&cols[*src as usize], &mut out);
            cols[*dst as usize] = out;
        }
        Step::Indicator2 { dst, a, b, ind } => {
            let mut out = take(&mut cols[*dst as usize]);
            ind.update2_slice(&cols[*a as usize], &cols[*b as usize], &mut out);
            cols[*dst as usize] = out;
        }
        Step::Indicator { dst, n_out, inputs, ind } => {
            let d = *dst as usize;
            let mut outs: Vec<Vec<f64>> = (d..d + *n_out).map(|k| take(&mut cols[k])).collect();
            let ins: Vec<&[f64]> = inputs.iter().map(|&s| cols[s as usize].as_slice()).collect();
            let mut refs: Vec<&mut [f64]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
            ind.update_slices(&ins, &mut refs);
            for (k, o) in outs.into_iter().enumerate() {
                cols[d + k] = o;
            }
        }
        Step::Feed { dst, cols: fed } => {
            for (k, src) in fed.iter().enumerate() {
                if let Some(out) = cols.get_mut(*dst as usize + k) {
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = src.get(first_bar + i).copied().unwrap_or(f64::NAN);
                    }
                }
            }
        }
    }
}

#[inline(always)]
fn map1(cols: &mut [Vec<f64>], dst: Slot, a: Slot, f: impl Fn(f64) -> f64) {
    let mut out = take(&mut cols[dst as usize]);
    for (o, &x) in out.iter_mut().zip(&cols[a as usize]) {
        *o = f(x);
    }
    cols[dst as usize] = out;
}

#[inline(always)]
fn map2(cols: &mut [Vec<f64>], dst: Slot, a: Slot, b: Slot, f: impl Fn(f64, f64) -> f64) {
    let mut out = take(&mut cols[dst as usize]);
    for ((o, &x), &y) in out.iter_mut().zip(&cols[a as usize]).zip(&cols[b as usize]) {
        *o = f(x, y);
    }
    cols[dst as usize] = out;
}
