//! Binding a plan to parameter values: validation, constant folding of lengths and offsets, and warm-ups.
//!
//! Design choice: a plan stays parameter-generic; binding is the one place where `--set` values meet it. It checks
//! every value (type, declared range, each indicator's own parameter rules) and reports problems against the
//! source position that wrote them, then computes each node's and each statement's warm-up — the number of bars
//! before everything it reads is defined — so the engine never evaluates a rule on a partial window.
//! It also re-checks the plan's structure, so a plan from any front-end (or from JSON) is safe to run.

use thiserror::Error;

use crate::plan::{NodeId, Op, ParamType, Plan, Pos, Stmt, ValueType};
use strata_stdlib::registry;

/// A plan that cannot be run with the given parameter values.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BindError {
    #[error("unknown param '{name}'{}", did_you_mean(.suggestion))]
    UnknownParam { name: String, suggestion: Option<String> },
    #[error("param '{name}': cannot parse '{value}' as a number")]
    Unparsable { name: String, value: String },
    #[error("param '{name}' takes whole numbers, got {value}")]
    NotInteger { name: String, value: f64 },
    #[error("param '{name}' must be between {min} and {max}, got {value}")]
    OutOfRange { name: String, value: f64, min: f64, max: f64 },
    #[error("{at}: {indicator}: {message}")]
    Indicator { at: Pos, indicator: String, message: String },
    #[error("{at}: history offset must be a whole number ≥ 0, got {value}")]
    BadOffset { at: Pos, value: f64 },
    /// A timeframe the data's bars cannot build (`close@90s` on minute bars).
    #[error("{at}: {message}")]
    Timeframe { at: Pos, message: String },
    #[error("invalid plan: {0}")]
    Invalid(String),
}

fn did_you_mean(s: &Option<String>) -> String {
    s.as_ref().map(|s| format!(" — did you mean '{s}'?")).unwrap_or_default()
}

/// Whether a node can be computed when the bar arrives, or only while the program runs (it reads a `var`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Bar,
    Rule,
}

/// The clock of a series read on the data's own bars ([`Bound::clock`]).
pub const BASE_CLOCK: i64 = 0;
/// The clock of a constant: it never changes, so it takes the clock of whatever reads it.
pub const NO_CLOCK: i64 = i64::MAX;

/// True for a clock of a longer timeframe (a period in milliseconds).
pub fn is_frame(clock: i64) -> bool {
    clock != BASE_CLOCK && clock != NO_CLOCK
}

/// A plan with concrete parameter values.
#[derive(Debug, Clone)]
pub struct Bound {
    pub params: Vec<f64>,
    /// Per node: indicator parameters (defaults filled in) for `Op::Indicator`, else empty.
    pub indicator_params: Vec<Vec<f64>>,
    /// Per node: the history offset for `Op::History`, else 0.
    pub offsets: Vec<usize>,
    /// Per node: bars of its clock before it is first defined (inputs on another clock count as defined).
    pub node_warmup: Vec<usize>,
    /// Per node: the bars it updates on — [`BASE_CLOCK`] (the data's), a longer timeframe's period in ms (it reads
    /// only that timeframe's bars and longer ones that nest in it), or [`NO_CLOCK`] (a constant).
    pub clock: Vec<i64>,
    /// Each longer timeframe the plan reads, shortest first, with the most of its bars any series needs before
    /// it is defined.
    pub frames: Vec<(i64, usize)>,
    pub stage: Vec<Stage>,
    /// Initial value of each var.
    pub var_init: Vec<f64>,
    /// Bars before any statement of the program can act: the plan's warm-up.
    pub warmup: usize,
}

/// Parses `--set name=value` overrides onto the defaults. Values are numbers (`true`/`false` are 1/0).
pub fn resolve_params(plan: &Plan, overrides: &[(String, String)]) -> Result<Vec<f64>, BindError> {
    let mut values = plan.default_params();
    for (name, raw) in overrides {
        let Some(i) = plan.param_index(name) else {
            let suggestion = crate::suggest::closest(name, plan.params.iter().map(|p| p.name.as_str()));
            return Err(BindError::UnknownParam { name: name.clone(), suggestion });
        };
        let v = match raw.trim() {
            "true" => 1.0,
            "false" => 0.0,
            s => s
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| BindError::Unparsable { name: name.clone(), value: raw.clone() })?,
        };
        values[i] = v;
    }
    check_params(plan, &values)?;
    Ok(values)
}

/// Checks parameter values against their declared types and ranges.
pub fn check_params(plan: &Plan, values: &[f64]) -> Result<(), BindError> {
    if values.len() != plan.params.len() {
        return Err(BindError::Invalid(format!("{} param values for {} params", values.len(), plan.params.len())));
    }
    for (p, &v) in plan.params.iter().zip(values) {
        if p.ty == ParamType::Int && v.fract() != 0.0 {
            return Err(BindError::NotInteger { name: p.name.clone(), value: v });
        }
        if let Some(r) = p.range
            && (v < r.min || v > r.max)
        {
            return Err(BindError::OutOfRange { name: p.name.clone(), value: v, min: r.min, max: r.max });
        }
    }
    Ok(())
}

/// Binds `plan` to `params` (one value per declared param, as from [`resolve_params`]).
pub fn bind(plan: &Plan, params: &[f64]) -> Result<Bound, BindError> {
    check_params(plan, params)?;
    let n = plan.nodes.len();
    let mut b = Bound {
        params: params.to_vec(),
        indicator_params: vec![Vec::new(); n],
        offsets: vec![0; n],
        node_warmup: vec![0; n],
        clock: vec![BASE_CLOCK; n],
        frames: Vec::new(),
        stage: vec![Stage::Bar; n],
        var_init: Vec::with_capacity(plan.vars.len()),
        warmup: 0,
    };
    for v in &plan.vars {
        let x = v.init.eval(params);
        b.var_init.push(if v.ty == ValueType::Bool && !x.is_nan() { truth(x) } else { x });
    }
    let invalid = |msg: String| Err(BindError::Invalid(msg));
    // Per node: whether it reads (through its inputs) a cross-sectional function.
    let mut cross_input = vec![false; n];
    for (id, node) in plan.nodes.iter().enumerate() {
        let inputs = node.op.inputs();
        if let Some(&bad) = inputs.iter().find(|&&i| i >= id) {
            return invalid(format!("node {id} reads node {bad}, which does not come before it"));
        }
        cross_input[id] = inputs.iter().any(|&i| cross_input[i] || matches!(plan.nodes[i].op, Op::Cross { .. }));
        let clock = clock_of(&node.op, inputs.iter().map(|&i| b.clock[i]));
        // Warm-ups count bars of the node's own clock; a longer timeframe's series is waited for apart.
        let max_in = inputs.iter().filter(|&&i| b.clock[i] == clock).map(|&i| b.node_warmup[i]).max().unwrap_or(0);
        let any_rule = inputs.iter().any(|&i| b.stage[i] == Stage::Rule);
        let (warmup, stage) = match &node.op {
            Op::Bar(_) | Op::Account(_) | Op::Const(_) => (0, Stage::Bar),
            Op::Higher { period, .. } => {
                if *period <= 0 {
                    return invalid(format!("node {id}: a timeframe of {period} ms"));
                }
                (0, Stage::Bar)
            }
            Op::Param(i) => {
                if *i >= plan.params.len() {
                    return invalid(format!("node {id} reads param {i}, which does not exist"));
                }
                (0, Stage::Bar)
            }
            Op::Var(i) => {
                if *i >= plan.vars.len() {
                    return invalid(format!("node {id} reads var {i}, which does not exist"));
                }
                (0, Stage::Rule)
            }
            Op::Math(f, args) => {
                if args.len() != f.arity() {
                    return invalid(format!("node {id}: {} takes {} arguments", f.name(), f.arity()));
                }
                let w = match f {
                    crate::plan::MathFn::Na => 0,
                    crate::plan::MathFn::Nz if b.clock[args[1]] == clock => b.node_warmup[args[1]],
                    crate::plan::MathFn::Nz => 0,
                    _ => max_in,
                };
                (w, if any_rule { Stage::Rule } else { Stage::Bar })
            }
            Op::Neg(_) | Op::Not(_) | Op::Binary(..) | Op::Select(..) => {
                (max_in, if any_rule { Stage::Rule } else { Stage::Bar })
            }
            Op::History { offset, .. } => {
                let v = offset.eval(params);
                if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 10_000_000.0) {
                    return Err(BindError::BadOffset { at: node.at, value: v });
                }
                b.offsets[id] = v as usize;
                // A past value is known when the bar arrives, even if the series itself changes during the program.
                if any_rule && v == 0.0 {
                    return invalid(format!("node {id}: history offset 0 of a var must be folded away"));
                }
                (max_in + v as usize, Stage::Bar)
            }
            Op::Indicator { name, inputs, params: exprs } => {
                let Some(spec) = registry::lookup(name) else {
                    return invalid(format!("node {id}: unknown indicator '{name}'"));
                };
                if inputs.len() != spec.inputs.len() {
                    return invalid(format!("node {id}: {name} takes {} inputs", spec.inputs.len()));
                }
                if exprs.len() > spec.params.len() {
                    return invalid(format!("node {id}: {name} takes at most {} params", spec.params.len()));
                }
                if any_rule {
                    return invalid(format!("node {id}: {name} cannot read a var"));
                }
                let given: Vec<f64> = exprs.iter().map(|c| c.eval(params)).collect();
                let all = spec.fill_defaults(&given);
                spec.check(&all).map_err(|e| BindError::Indicator {
                    at: node.at,
                    indicator: name.clone(),
                    message: e.to_string(),
                })?;
                let w = max_in + (spec.warmup)(&all);
                b.indicator_params[id] = all;
                (w, Stage::Bar)
            }
            Op::Cross { f, count, .. } => {
                if any_rule {
                    return invalid(format!("node {id}: {} cannot read a var", f.name()));
                }
                if cross_input[id] {
                    return invalid(format!("node {id}: {} reads another cross-sectional function", f.name()));
                }
                match (f.takes_count(), count) {
                    (true, Some(c)) => {
                        let n = c.eval(params);
                        if !(n.is_finite() && n >= 1.0 && n.fract() == 0.0) {
                            return Err(BindError::Indicator {
                                at: node.at,
                                indicator: f.name().into(),
                                message: format!("the count must be a whole number ≥ 1, got {}", crate::fmt_num(n)),
                            });
                        }
                        b.indicator_params[id] = vec![n];
                    }
                    (false, None) => {}
                    _ => return invalid(format!("node {id}: {} with a wrong number of arguments", f.name())),
                }
                (max_in, Stage::Bar)
            }
            Op::Output { of, index } => {
                let Op::Indicator { name, .. } = &plan.nodes[*of].op else {
                    return invalid(format!("node {id}: output of a node that is not an indicator"));
                };
                let outputs = registry::lookup(name).map_or(0, |s| s.outputs.len());
                if *index >= outputs {
                    return invalid(format!("node {id}: {name} has no output {index}"));
                }
                (max_in, Stage::Bar)
            }
        };
        b.node_warmup[id] = warmup;
        b.stage[id] = stage;
        b.clock[id] = clock;
        if is_frame(clock) {
            match b.frames.iter_mut().find(|(p, _)| *p == clock) {
                Some((_, w)) => *w = (*w).max(warmup),
                None => b.frames.push((clock, warmup)),
            }
        }
    }
    b.frames.sort_unstable();
    b.warmup = statements_warmup(plan, &plan.program, &b)?;
    if plan.script.is_some() {
        // A script reads every series it declared: it starts once they are all defined.
        for o in &plan.outputs {
            let w = b
                .base_warmup(o.node)
                .ok_or_else(|| BindError::Invalid(format!("output '{}' reads missing node {}", o.name, o.node)))?;
            b.warmup = b.warmup.max(w);
        }
    }
    Ok(b)
}

impl Bound {
    /// Bars of the data before node `id` is defined, as far as its own bars tell: a series of a longer timeframe
    /// counts 0 here (its bars are waited for apart, [`Bound::frames`]). `None` for a node that does not exist.
    pub fn base_warmup(&self, id: usize) -> Option<usize> {
        let w = *self.node_warmup.get(id)?;
        Some(if is_frame(self.clock[id]) { 0 } else { w })
    }
}

/// The clock a node updates on, from its inputs' clocks: the shortest timeframe among them when every longer one
/// nests in it (so `close@1h - close@1d` updates hourly), else the data's bars. A stateful node of constants (an
/// indicator or a history) steps with the data's bars.
fn clock_of(op: &Op, inputs: impl Iterator<Item = i64>) -> i64 {
    match op {
        Op::Bar(_) | Op::Account(_) | Op::Var(_) | Op::Cross { .. } => BASE_CLOCK,
        Op::Higher { period, .. } => *period,
        Op::Const(_) | Op::Param(_) => NO_CLOCK,
        _ => {
            let clocks: Vec<i64> = inputs.filter(|&c| c != NO_CLOCK).collect();
            let Some(&finest) = clocks.iter().min() else {
                return if matches!(op, Op::Indicator { .. } | Op::History { .. }) { BASE_CLOCK } else { NO_CLOCK };
            };
            if finest == BASE_CLOCK || clocks.iter().all(|&c| crate::time::periods_nest(c, finest)) {
                finest
            } else {
                BASE_CLOCK
            }
        }
    }
}

fn truth(x: f64) -> f64 {
    if x != 0.0 { 1.0 } else { 0.0 }
}

/// The warm-up of a list of statements: the largest warm-up of any series a statement reads.
pub fn statements_warmup(plan: &Plan, stmts: &[Stmt], b: &Bound) -> Result<usize, BindError> {
    let mut w = 0;
    for s in stmts {
        w = w.max(statement_warmup(plan, s, b)?);
    }
    Ok(w)
}

/// The warm-up of one statement, everything nested in it included.
pub fn statement_warmup(plan: &Plan, stmt: &Stmt, b: &Bound) -> Result<usize, BindError> {
    let node = |id: usize| -> Result<usize, BindError> {
        b.base_warmup(id).ok_or_else(|| BindError::Invalid(format!("statement reads missing node {id}")))
    };
    Ok(match stmt {
        Stmt::When { cond, then, otherwise, .. } => {
            node(*cond)?.max(statements_warmup(plan, then, b)?).max(statements_warmup(plan, otherwise, b)?)
        }
        Stmt::Assign { var, value, .. } => {
            if *var >= plan.vars.len() {
                return Err(BindError::Invalid(format!("assignment to missing var {var}")));
            }
            node(*value)?
        }
        Stmt::Order { action, terms, .. } => {
            let cancels = match action {
                crate::plan::OrderAction::Cancel(t) => Some(*t),
                _ => None,
            };
            if let Some(t) = [terms.tag, cancels].into_iter().flatten().find(|&t| t as usize >= plan.order_names.len())
            {
                return Err(BindError::Invalid(format!("order name {t} is not declared")));
            }
            let mut w = action.size().map(|s| node(s.amount)).transpose()?.unwrap_or(0);
            for n in terms.nodes() {
                w = w.max(node(n)?);
            }
            w
        }
    })
}

/// The series of longer timeframes a statement reads (nested statements included), directly or through series of
/// the data's bars: the first such node on every path from the statement.
pub fn statement_frames(plan: &Plan, b: &Bound, stmt: &Stmt) -> Vec<NodeId> {
    let mut roots = Vec::new();
    let mut stack = vec![stmt];
    while let Some(s) = stack.pop() {
        match s {
            Stmt::When { cond, then, otherwise, .. } => {
                roots.push(*cond);
                stack.extend(then.iter().chain(otherwise));
            }
            Stmt::Assign { value, .. } => roots.push(*value),
            Stmt::Order { action, terms, .. } => {
                roots.extend(action.size().map(|s| s.amount));
                roots.extend(terms.nodes());
            }
        }
    }
    frames_read(plan, b, roots)
}

/// The series of longer timeframes that nodes `roots` read, directly or through series of the data's bars: the
/// first such node on every path from them.
pub fn frames_read(plan: &Plan, b: &Bound, mut roots: Vec<NodeId>) -> Vec<NodeId> {
    let mut seen = vec![false; plan.nodes.len()];
    let mut found = Vec::new();
    while let Some(id) = roots.pop() {
        if std::mem::replace(&mut seen[id], true) {
            continue;
        }
        if is_frame(b.clock[id]) {
            found.push(id);
        } else {
            roots.extend(plan.nodes[id].op.inputs());
        }
    }
    found.sort_unstable();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::*;
    use strata_stdlib::BarField;

    fn node(op: Op) -> Node {
        Node { op, ty: ValueType::Number, at: Pos { line: 3, col: 9 }, name: None }
    }

    fn sma_plan() -> Plan {
        Plan {
            name: "t".into(),
            outputs: vec![],
            script: None,
            pyramiding: None,
            order_names: vec![],
            symbols: vec![],
            source: "t.strat".into(),
            params: vec![ParamDecl {
                name: "fast".into(),
                ty: ParamType::Int,
                default: 10.0,
                range: Some(ParamRange { min: 1.0, max: 100.0, step: None }),
                at: Pos::default(),
            }],
            vars: vec![],
            nodes: vec![
                node(Op::Bar(BarField::Close)),
                node(Op::Indicator { name: "sma".into(), inputs: vec![0], params: vec![Const::Param(0)] }),
                node(Op::History { of: 1, offset: Const::Num(2.0) }),
                node(Op::Binary(BinOp::Gt, 1, 2)),
            ],
            program: vec![Stmt::When {
                cond: 3,
                then: vec![Stmt::Order { action: OrderAction::Exit, terms: OrderTerms::default(), at: Pos::default() }],
                otherwise: vec![],
                at: Pos::default(),
            }],
        }
    }

    #[test]
    fn warmups_follow_the_dag() {
        let plan = sma_plan();
        let b = bind(&plan, &[10.0]).unwrap();
        assert_eq!(b.node_warmup, vec![0, 9, 11, 11]);
        assert_eq!(b.warmup, 11);
        let b = bind(&plan, &[3.0]).unwrap();
        assert_eq!(b.warmup, 4);
    }

    #[test]
    fn overrides_are_checked() {
        let plan = sma_plan();
        let set = |k: &str, v: &str| resolve_params(&plan, &[(k.to_string(), v.to_string())]);
        assert_eq!(set("fast", "20").unwrap(), vec![20.0]);
        assert!(matches!(set("fats", "20"), Err(BindError::UnknownParam { suggestion: Some(s), .. }) if s == "fast"));
        assert!(matches!(set("fast", "abc"), Err(BindError::Unparsable { .. })));
        assert!(matches!(set("fast", "2.5"), Err(BindError::NotInteger { .. })));
        assert!(matches!(set("fast", "500"), Err(BindError::OutOfRange { .. })));
    }

    #[test]
    fn indicator_params_are_checked_at_their_source_position() {
        let mut plan = sma_plan();
        plan.params[0].range = None;
        let err = bind(&plan, &[0.0]).unwrap_err();
        assert_eq!(err.to_string(), "3:9: sma: length must be at least 1, got 0");
    }

    #[test]
    fn malformed_plans_are_refused() {
        let mut plan = sma_plan();
        plan.nodes[1] = node(Op::Indicator { name: "nope".into(), inputs: vec![0], params: vec![] });
        assert!(matches!(bind(&plan, &[10.0]), Err(BindError::Invalid(_))));
        let mut plan = sma_plan();
        plan.nodes[0] = node(Op::Neg(3));
        assert!(matches!(bind(&plan, &[10.0]), Err(BindError::Invalid(_))));
    }
}
