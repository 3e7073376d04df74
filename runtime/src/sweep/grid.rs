//! A parameter grid: `--grid fast=5..50:5 --grid slow=20..200:10` (or a list, `fast=5,10,20`), the combinations it
//! spans, and the `--where` constraint that prunes them.
//!
//! Design choice: combinations are numbered in one fixed order — the cartesian product in the order the axes were
//! given, the last axis fastest, pruned combinations skipped — so "combination 17" and "shard 2 of 4" mean the same
//! thing on every machine, and shards merge back into exactly one run's result. Range values are computed as
//! `start + k × step`, rounded to the step's decimals, so `0.1..0.5:0.1` gives 0.3, not 0.30000000000000004.

use std::fmt;

use thiserror::Error;

use super::condition::Condition;
use crate::bind::check_params;
use crate::plan::Plan;

/// Most combinations a grid may span (a guard against a typo such as `1..1000000:1` on four axes).
pub const MAX_COMBINATIONS: usize = 10_000_000;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum GridError {
    #[error("no --grid given: a sweep needs at least one parameter to vary")]
    Empty,
    #[error("--grid {spec}: expected NAME=START..END:STEP or NAME=V1,V2,...")]
    Syntax { spec: String },
    #[error("--grid {spec}: '{value}' is not a number")]
    Number { spec: String, value: String },
    #[error("--grid {spec}: the step must be positive, got {step}")]
    Step { spec: String, step: String },
    #[error("--grid {spec}: the range is reversed ({start} > {end}); write it from low to high")]
    Reversed { spec: String, start: String, end: String },
    #[error("--grid {spec}: unknown param '{name}'{hint}; the strategy's params: {known}")]
    UnknownParam { spec: String, name: String, hint: String, known: String },
    #[error("--grid {name}: given twice")]
    Duplicate { name: String },
    #[error("--grid {spec}: {detail}")]
    Invalid { spec: String, detail: String },
    #[error("the grid spans {count} combinations, more than the {MAX_COMBINATIONS} a sweep allows")]
    TooLarge { count: u128 },
    #[error("--where leaves no combination to run")]
    NothingLeft,
}

/// One parameter's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub name: String,
    /// Index of the param in the plan.
    pub param: usize,
    pub values: Vec<f64>,
    /// The spec as given, for the sweep's manifest.
    pub spec: String,
}

/// The axes of a sweep, with the constraint that prunes their product.
#[derive(Debug, Clone)]
pub struct Grid {
    pub axes: Vec<Axis>,
    pub condition: Option<Condition>,
}

/// One combination: its number in the grid's order and every param's value (defaults for params not swept).
#[derive(Debug, Clone, PartialEq)]
pub struct Combo {
    pub index: usize,
    pub params: Vec<f64>,
}

impl fmt::Display for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let specs: Vec<&str> = self.axes.iter().map(|a| a.spec.as_str()).collect();
        write!(f, "{}", specs.join(" "))?;
        if let Some(c) = &self.condition {
            write!(f, " where {}", c.text())?;
        }
        Ok(())
    }
}

fn number(spec: &str, s: &str) -> Result<f64, GridError> {
    s.trim()
        .replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| GridError::Number { spec: spec.into(), value: s.trim().into() })
}

/// Decimal places written in a number (`0.25` → 2), to round range values to.
fn decimals(s: &str) -> i32 {
    let s = s.trim();
    if s.contains(['e', 'E']) {
        return 12;
    }
    s.split_once('.').map_or(0, |(_, frac)| frac.len() as i32)
}

/// Parses one `--grid` spec against `plan`'s params.
pub fn parse_axis(plan: &Plan, spec: &str) -> Result<Axis, GridError> {
    let Some((name, values)) = spec.split_once('=') else {
        return Err(GridError::Syntax { spec: spec.into() });
    };
    let name = name.trim();
    let Some(param) = plan.param_index(name) else {
        let names: Vec<&str> = plan.params.iter().map(|p| p.name.as_str()).collect();
        return Err(GridError::UnknownParam {
            spec: spec.into(),
            name: name.into(),
            hint: crate::suggest::hint(name, names.iter().copied()),
            known: if names.is_empty() { "none".into() } else { names.join(", ") },
        });
    };
    let values = values.trim();
    let range = values.split_once("..").and_then(|(a, rest)| rest.split_once(':').map(|(b, s)| ((a, b), s)));
    let list = if let Some((range, step)) = range {
        let ((a, b), s) = (range, step);
        let (start, end, step) = (number(spec, a)?, number(spec, b)?, number(spec, s)?);
        if step <= 0.0 {
            return Err(GridError::Step { spec: spec.into(), step: s.trim().into() });
        }
        if start > end {
            return Err(GridError::Reversed { spec: spec.into(), start: a.trim().into(), end: b.trim().into() });
        }
        let count = ((end - start) / step + 1e-9).floor() as u128 + 1;
        if count > MAX_COMBINATIONS as u128 {
            return Err(GridError::TooLarge { count });
        }
        let scale = 10f64.powi(decimals(a).max(decimals(s)));
        (0..count as usize).map(|k| ((start + k as f64 * step) * scale).round() / scale).collect()
    } else if values.contains("..") {
        return Err(GridError::Syntax { spec: spec.into() });
    } else {
        let list = values.split(',').map(|v| number(spec, v)).collect::<Result<Vec<f64>, _>>()?;
        if list.is_empty() {
            return Err(GridError::Syntax { spec: spec.into() });
        }
        list
    };
    // Each value must be one the param accepts (its type and declared range).
    let mut probe = plan.default_params();
    for &v in &list {
        probe[param] = v;
        check_params(plan, &probe).map_err(|e| GridError::Invalid { spec: spec.into(), detail: e.to_string() })?;
    }
    Ok(Axis { name: name.into(), param, values: list, spec: spec.trim().into() })
}

impl Grid {
    /// The grid of `specs` (at least one) and an optional `--where` condition over the params; `base` holds the
    /// values of the params not swept.
    pub fn parse(plan: &Plan, base: &[f64], specs: &[String], condition: Option<&str>) -> Result<Grid, GridError> {
        if specs.is_empty() {
            return Err(GridError::Empty);
        }
        let mut axes: Vec<Axis> = Vec::new();
        for spec in specs {
            let axis = parse_axis(plan, spec)?;
            if axes.iter().any(|a| a.param == axis.param) {
                return Err(GridError::Duplicate { name: axis.name });
            }
            axes.push(axis);
        }
        let count: u128 = axes.iter().map(|a| a.values.len() as u128).product();
        if count > MAX_COMBINATIONS as u128 {
            return Err(GridError::TooLarge { count });
        }
        let condition = condition
            .map(|c| Condition::parse(c, plan))
            .transpose()
            .map_err(|e| GridError::Invalid { spec: "--where".into(), detail: e.to_string() })?;
        let grid = Grid { axes, condition };
        if grid.combos(base).is_empty() {
            return Err(GridError::NothingLeft);
        }
        Ok(grid)
    }

    /// Every combination the condition keeps, numbered in the grid's order (0, 1, ... over the kept ones), the
    /// params not swept at their `base` values.
    pub fn combos(&self, base: &[f64]) -> Vec<Combo> {
        let total: usize = self.axes.iter().map(|a| a.values.len()).product();
        let mut out = Vec::new();
        for k in 0..total {
            let mut params = base.to_vec();
            let mut rest = k;
            for axis in self.axes.iter().rev() {
                let n = axis.values.len();
                params[axis.param] = axis.values[rest % n];
                rest /= n;
            }
            if self.condition.as_ref().is_none_or(|c| c.holds(&params)) {
                out.push(Combo { index: out.len(), params });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let json = r#"{"name":"t","params":[
            {"name":"fast","ty":"Int","default":10,"range":{"min":2,"max":200,"step":1},"at":{"line":1,"col":1}},
            {"name":"slow","ty":"Int","default":30,"range":null,"at":{"line":2,"col":1}},
            {"name":"k","ty":"Float","default":2.0,"range":null,"at":{"line":3,"col":1}}],
            "vars":[],"nodes":[],"program":[],"source":"t.strat"}"#;
        serde_json::from_str(json).expect("plan")
    }

    fn specs(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn ranges_lists_and_order() {
        let p = plan();
        let g = Grid::parse(&p, &p.default_params(), &specs(&["fast=5..15:5", "k=0.1..0.3:0.1"]), None).unwrap();
        assert_eq!(g.axes[0].values, vec![5.0, 10.0, 15.0]);
        assert_eq!(g.axes[1].values, vec![0.1, 0.2, 0.3], "rounded to the step's decimals");
        let c = g.combos(&p.default_params());
        assert_eq!(c.len(), 9);
        // The last axis moves fastest; params not swept keep their defaults.
        assert_eq!(c[0].params, vec![5.0, 30.0, 0.1]);
        assert_eq!(c[1].params, vec![5.0, 30.0, 0.2]);
        assert_eq!(c[3].params, vec![10.0, 30.0, 0.1]);
        let g = Grid::parse(&p, &p.default_params(), &specs(&["slow=50,20,30"]), None).unwrap();
        assert_eq!(g.axes[0].values, vec![50.0, 20.0, 30.0], "a list keeps its order");
        // An end the step does not land on is left out.
        assert_eq!(parse_axis(&p, "fast=5..12:5").unwrap().values, vec![5.0, 10.0]);
    }

    #[test]
    fn where_prunes_and_renumbers() {
        let p = plan();
        let g = Grid::parse(&p, &p.default_params(), &specs(&["fast=5..50:5", "slow=20..200:10"]), Some("fast < slow"))
            .unwrap();
        let c = g.combos(&p.default_params());
        // fast 5..50 (10 values) × slow 20..200 (19 values) = 190, all with fast < slow except fast=... none here
        // since the largest fast (50) is below slow 60: pairs with slow <= fast are (fast=20..50, slow=20..50).
        let kept = (1..=10).flat_map(|f| (2..=20).map(move |s| (f * 5, s * 10))).filter(|(f, s)| f < s).count();
        assert_eq!(c.len(), kept);
        assert!(c.iter().enumerate().all(|(i, x)| x.index == i && x.params[0] < x.params[1]));
    }

    #[test]
    fn bad_grids_are_refused_with_reasons() {
        let p = plan();
        let err =
            |s: &[&str], w: Option<&str>| Grid::parse(&p, &p.default_params(), &specs(s), w).unwrap_err().to_string();
        assert_eq!(err(&[], None), "no --grid given: a sweep needs at least one parameter to vary");
        assert!(err(&["fats=1..3:1"], None).contains("unknown param 'fats' — did you mean 'fast'?"));
        assert!(err(&["fast=5..50:0"], None).contains("the step must be positive, got 0"));
        assert!(err(&["fast=50..5:5"], None).contains("the range is reversed (50 > 5)"));
        assert!(err(&["fast=5..x:5"], None).contains("'x' is not a number"));
        assert!(err(&["fast"], None).contains("expected NAME=START..END:STEP"));
        assert!(err(&["fast=1..5"], None).contains("expected NAME=START..END:STEP"));
        assert!(err(&["fast=1..3:1"], None).contains("must be between 2 and 200, got 1"));
        assert!(err(&["fast=2.5"], None).contains("takes whole numbers"));
        assert!(err(&["fast=5", "fast=6"], None).contains("given twice"));
        assert_eq!(err(&["fast=5..10:5", "slow=2,3"], Some("fast < slow")), "--where leaves no combination to run");
    }
}
