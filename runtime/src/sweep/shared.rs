//! Work shared across a sweep's combinations: an indicator of the bars alone — `sma(close, 30)` — is computed once
//! for the whole sweep and fed to every combination that needs it, instead of once per combination.
//!
//! Design choice: sharing is keyed by what decides an indicator's values — its name, its bound parameters and the
//! bar fields it reads — so `sma(close, slow)` with `slow = 30` and `sma(close, fast)` with `fast = 30` are one
//! computation. Only indicators whose inputs are bar fields are shared (the common case, and the one where the key
//! is certain); the shared columns come from the very indicator objects a combination would build, fed the same
//! bars from the first, through their slice paths (bit for bit their per-bar values), so a sweep's rows do not
//! change by a bit (`tests/cli_sweep.rs` compares rows with backtests). A memory budget bounds the columns kept.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_stdlib::{BarField, registry};

use crate::bar::Bar;
use crate::bind::bind;
use crate::engine::Feed;
use crate::plan::{NodeId, Op, Plan};

/// Most values (over all shared columns) a sweep keeps: 64 M values, 512 MB.
pub const BUDGET_VALUES: usize = 64 << 20;

/// What identifies an indicator of bar fields: its name, parameter values (as bits) and input fields.
type Key = (String, Vec<u64>, Vec<BarField>);

/// The shared columns of a sweep.
#[derive(Debug, Default)]
pub struct Shared {
    columns: BTreeMap<Key, Feed>,
}

fn key_of(plan: &Plan, node: NodeId, params: &[f64]) -> Option<Key> {
    let Op::Indicator { name, inputs, .. } = &plan.nodes.get(node)?.op else { return None };
    let fields = inputs
        .iter()
        .map(|&i| match plan.nodes.get(i).map(|n| &n.op) {
            Some(Op::Bar(f)) => Some(*f),
            _ => None,
        })
        .collect::<Option<Vec<BarField>>>()?;
    Some((name.clone(), params.iter().map(|v| v.to_bits()).collect(), fields))
}

/// The shareable indicator nodes of `plan` bound to `params`, with their keys.
fn shareable(plan: &Plan, params: &[f64]) -> Vec<(NodeId, Key)> {
    let Ok(b) = bind(plan, params) else { return Vec::new() };
    (0..plan.nodes.len()).filter_map(|id| key_of(plan, id, b.indicator_params.get(id)?).map(|k| (id, k))).collect()
}

impl Shared {
    /// Computes, over `bars`, every indicator of bar fields that at least two of `combos` (param vectors) need,
    /// most-needed first, within [`BUDGET_VALUES`].
    pub fn prepare(plan: &Plan, combos: &[Vec<f64>], bars: &[Bar]) -> Shared {
        let mut uses: BTreeMap<Key, usize> = BTreeMap::new();
        for params in combos {
            for (_, key) in shareable(plan, params) {
                *uses.entry(key).or_default() += 1;
            }
        }
        let mut wanted: Vec<(Key, usize)> = uses.into_iter().filter(|(_, n)| *n >= 2).collect();
        wanted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut columns = BTreeMap::new();
        let mut budget = BUDGET_VALUES;
        for (key, _) in wanted {
            let Some(spec) = registry::lookup(&key.0) else { continue };
            let size = bars.len() * spec.outputs.len().max(1);
            if size > budget {
                continue;
            }
            let params: Vec<f64> = key.1.iter().map(|b| f64::from_bits(*b)).collect();
            let Ok(mut ind) = (spec.build)(&params) else { continue };
            let inputs: Vec<Vec<f64>> = key
                .2
                .iter()
                .map(|f| {
                    bars.iter()
                        .map(|b| match f {
                            BarField::Open => b.open,
                            BarField::High => b.high,
                            BarField::Low => b.low,
                            BarField::Close => b.close,
                            BarField::Volume => b.volume,
                            BarField::Time => b.ts as f64,
                        })
                        .collect()
                })
                .collect();
            let mut outs = vec![vec![f64::NAN; bars.len()]; spec.outputs.len().max(1)];
            match (inputs.as_slice(), outs.as_mut_slice()) {
                ([a], [o]) => ind.update1_slice(a, o),
                ([a, b], [o]) => ind.update2_slice(a, b, o),
                _ => {
                    let ins: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
                    let mut refs: Vec<&mut [f64]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
                    ind.update_slices(&ins, &mut refs);
                }
            }
            budget -= size;
            columns.insert(key, Arc::new(outs));
        }
        Shared { columns }
    }

    /// The feeds for one combination: its shareable nodes whose columns were computed.
    pub fn feeds(&self, plan: &Plan, params: &[f64]) -> Vec<(NodeId, Feed)> {
        if self.columns.is_empty() {
            return Vec::new();
        }
        shareable(plan, params)
            .into_iter()
            .filter_map(|(id, key)| self.columns.get(&key).map(|c| (id, c.clone())))
            .collect()
    }

    /// How many indicator columns are shared.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}
