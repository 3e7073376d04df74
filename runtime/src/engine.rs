//! The engine: steps a bound plan one bar at a time and emits order intents.
//!
//! Design choice: the plan's DAG is flattened once into a list of steps over a flat array of `f64` slots (NaN =
//! undefined), so a bar is one pass over that list — O(1) per node, no allocation, no hashing. Nodes that read a
//! `var` change while the program runs, so they are not steps: they are evaluated where the program reads them.
//! The engine does no I/O and never reads a clock; it knows time only from the bars it is given.

use strata_stdlib::ring::Ring;
use strata_stdlib::{BarField, Indicator, registry};

use crate::bar::{AccountView, Bar};
use crate::bind::{Bound, Stage, bind, statement_warmup};
use crate::order::{Action, OrderIntent, Quantity, Rejection};
use crate::plan::{AccountField, BinOp, MathFn, NodeId, Op, OrderAction, Plan, Pos, SizeUnit, Stmt, ValueType};

/// Most series inputs any indicator takes.
const MAX_INPUTS: usize = 8;

enum Step {
    Neg {
        dst: usize,
        a: usize,
    },
    Not {
        dst: usize,
        a: usize,
    },
    Bin {
        dst: usize,
        op: BinOp,
        a: usize,
        b: usize,
    },
    Select {
        dst: usize,
        c: usize,
        a: usize,
        b: usize,
    },
    Math {
        dst: usize,
        f: MathFn,
        a: usize,
        b: usize,
    },
    History {
        dst: usize,
        src: usize,
        ring: Ring,
        offset: usize,
    },
    /// A past value of a var-dependent series, recorded at the end of earlier bars.
    LateHistory {
        dst: usize,
        late: usize,
        offset: usize,
    },
    Indicator {
        dst: usize,
        n_out: usize,
        inputs: Box<[usize]>,
        ind: Box<dyn Indicator>,
    },
}

/// History of a var-dependent node: pushed at the end of each bar.
struct Late {
    src: NodeId,
    ring: Ring,
}

/// How a var-dependent node is computed on demand.
#[derive(Clone)]
enum RuleOp {
    Slot(usize),
    Var(usize),
    Neg(NodeId),
    Not(NodeId),
    Bin(BinOp, NodeId, NodeId),
    Select(NodeId, NodeId, NodeId),
    Math(MathFn, NodeId, NodeId),
}

enum Exec {
    When { cond: NodeId, then: Vec<Exec>, otherwise: Vec<Exec>, warmup: usize },
    Assign { var: usize, value: NodeId, boolean: bool, warmup: usize },
    Order { action: OrderAction, warmup: usize, at: Pos },
}

/// A plan ready to run.
pub struct Engine {
    slots: Vec<f64>,
    bar_inputs: Vec<(usize, BarField)>,
    account_inputs: Vec<(usize, AccountField)>,
    steps: Vec<Step>,
    late: Vec<Late>,
    /// Per node: how to read it while the program runs.
    read: Vec<RuleOp>,
    vars: Vec<f64>,
    program: Vec<Exec>,
    warmup: usize,
    bar_index: usize,
    seq: u64,
    reads_volume: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("steps", &self.steps.len()).field("warmup", &self.warmup).finish()
    }
}

impl Engine {
    /// Binds `plan` to `params` and builds its steps.
    pub fn new(plan: &Plan, params: &[f64]) -> Result<Engine, crate::bind::BindError> {
        let bound = bind(plan, params)?;
        Ok(Self::from_bound(plan, &bound))
    }

    /// Builds the engine from an already bound plan.
    pub fn from_bound(plan: &Plan, b: &Bound) -> Engine {
        let n = plan.nodes.len();
        // Slots: one per node, plus extra outputs for multi-output indicators.
        let mut node_slot = vec![0usize; n];
        let mut next = 0usize;
        for (id, node) in plan.nodes.iter().enumerate() {
            match &node.op {
                Op::Output { of, index } => node_slot[id] = node_slot[*of] + index,
                Op::Indicator { name, .. } => {
                    node_slot[id] = next;
                    next += registry::lookup(name).map_or(1, |s| s.outputs.len().max(1));
                }
                _ => {
                    node_slot[id] = next;
                    next += 1;
                }
            }
        }
        let mut slots = vec![f64::NAN; next];
        let mut e = Engine {
            slots: Vec::new(),
            bar_inputs: Vec::new(),
            account_inputs: Vec::new(),
            steps: Vec::new(),
            late: Vec::new(),
            read: Vec::with_capacity(n),
            vars: b.var_init.clone(),
            program: Vec::new(),
            warmup: b.warmup,
            bar_index: 0,
            seq: 0,
            reads_volume: false,
        };
        for (id, node) in plan.nodes.iter().enumerate() {
            let dst = node_slot[id];
            let s = |i: NodeId| node_slot[i];
            let rule = b.stage[id] == Stage::Rule;
            let read = if rule {
                match &node.op {
                    Op::Var(v) => RuleOp::Var(*v),
                    Op::Neg(a) => RuleOp::Neg(*a),
                    Op::Not(a) => RuleOp::Not(*a),
                    Op::Binary(op, a, b) => RuleOp::Bin(*op, *a, *b),
                    Op::Select(c, a, b) => RuleOp::Select(*c, *a, *b),
                    Op::Math(f, args) => RuleOp::Math(*f, args[0], *args.last().unwrap_or(&args[0])),
                    // bind() refuses stateful nodes over vars; History over one is a bar-stage node.
                    _ => RuleOp::Slot(dst),
                }
            } else {
                RuleOp::Slot(dst)
            };
            e.read.push(read);
            if rule {
                continue;
            }
            match &node.op {
                Op::Bar(f) => {
                    e.bar_inputs.push((dst, *f));
                    e.reads_volume |= *f == BarField::Volume;
                }
                Op::Account(f) => e.account_inputs.push((dst, *f)),
                Op::Const(v) => slots[dst] = *v,
                Op::Param(i) => slots[dst] = b.params[*i],
                Op::Var(_) => {}
                Op::Neg(a) => e.steps.push(Step::Neg { dst, a: s(*a) }),
                Op::Not(a) => e.steps.push(Step::Not { dst, a: s(*a) }),
                Op::Binary(op, a, bb) => e.steps.push(Step::Bin { dst, op: *op, a: s(*a), b: s(*bb) }),
                Op::Select(c, a, bb) => e.steps.push(Step::Select { dst, c: s(*c), a: s(*a), b: s(*bb) }),
                Op::Math(f, args) => {
                    let a = s(args[0]);
                    let bb = args.get(1).map_or(a, |&x| s(x));
                    e.steps.push(Step::Math { dst, f: *f, a, b: bb });
                }
                Op::History { of, .. } => {
                    let offset = b.offsets[id];
                    if b.stage[*of] == Stage::Rule {
                        e.late.push(Late { src: *of, ring: Ring::new(offset) });
                        e.steps.push(Step::LateHistory { dst, late: e.late.len() - 1, offset });
                    } else {
                        e.steps.push(Step::History { dst, src: s(*of), ring: Ring::new(offset + 1), offset });
                    }
                }
                Op::Indicator { name, inputs, .. } => {
                    let Some(spec) = registry::lookup(name) else {
                        continue;
                    };
                    // bind() has checked the parameters, so building cannot fail here.
                    let Ok(ind) = (spec.build)(&b.indicator_params[id]) else {
                        continue;
                    };
                    debug_assert!(inputs.len() <= MAX_INPUTS);
                    e.steps.push(Step::Indicator {
                        dst,
                        n_out: spec.outputs.len(),
                        inputs: inputs.iter().map(|&i| s(i)).collect(),
                        ind,
                    });
                }
                Op::Output { .. } => {}
            }
        }
        e.slots = slots;
        e.program = compile(plan, &plan.program, b);
        e
    }

    /// Bars before any rule can act.
    pub fn warmup(&self) -> usize {
        self.warmup
    }

    /// Bars seen so far.
    pub fn bars_seen(&self) -> usize {
        self.bar_index
    }

    /// True when the plan reads the bar's volume.
    pub fn reads_volume(&self) -> bool {
        self.reads_volume
    }

    /// Steps one closed bar: updates every series, runs the program, and appends the orders it places to `out`
    /// (orders whose size is undefined or not positive go to `rejected` instead).
    pub fn on_bar(
        &mut self,
        bar: &Bar,
        account: &AccountView,
        out: &mut Vec<OrderIntent>,
        rejected: &mut Vec<Rejection>,
    ) {
        for &(slot, f) in &self.bar_inputs {
            self.slots[slot] = bar.field(f);
        }
        for &(slot, f) in &self.account_inputs {
            self.slots[slot] = account.field(f);
        }
        self.update_series();
        let program = std::mem::take(&mut self.program);
        self.run(&program, bar.ts, out, rejected);
        self.program = program;
        for i in 0..self.late.len() {
            let v = self.value(self.late[i].src);
            self.late[i].ring.push(v);
        }
        self.bar_index += 1;
    }

    #[inline]
    fn update_series(&mut self) {
        let slots = &mut self.slots;
        let late = &self.late;
        for step in self.steps.iter_mut() {
            match step {
                Step::Neg { dst, a } => slots[*dst] = -slots[*a],
                Step::Not { dst, a } => {
                    let v = slots[*a];
                    slots[*dst] = if v.is_nan() { v } else { 1.0 - truth(v) };
                }
                Step::Bin { dst, op, a, b } => slots[*dst] = op.apply(slots[*a], slots[*b]),
                Step::Select { dst, c, a, b } => slots[*dst] = select(slots[*c], slots[*a], slots[*b]),
                Step::Math { dst, f, a, b } => slots[*dst] = f.apply(slots[*a], slots[*b]),
                Step::History { dst, src, ring, offset } => {
                    ring.push(slots[*src]);
                    slots[*dst] = ring.get_back(*offset).unwrap_or(f64::NAN);
                }
                Step::LateHistory { dst, late: i, offset } => {
                    slots[*dst] = late[*i].ring.get_back(*offset - 1).unwrap_or(f64::NAN);
                }
                Step::Indicator { dst, n_out, inputs, ind } => {
                    let mut buf = [0.0f64; MAX_INPUTS];
                    for (k, &s) in inputs.iter().enumerate() {
                        buf[k] = slots[s];
                    }
                    ind.update(&buf[..inputs.len()], &mut slots[*dst..*dst + *n_out]);
                }
            }
        }
    }

    /// The current value of a node (evaluating var-dependent nodes now).
    fn value(&self, id: NodeId) -> f64 {
        match self.read[id] {
            RuleOp::Slot(s) => self.slots[s],
            RuleOp::Var(v) => self.vars[v],
            RuleOp::Neg(a) => -self.value(a),
            RuleOp::Not(a) => {
                let v = self.value(a);
                if v.is_nan() { v } else { 1.0 - truth(v) }
            }
            RuleOp::Bin(op, a, b) => op.apply(self.value(a), self.value(b)),
            RuleOp::Select(c, a, b) => select(self.value(c), self.value(a), self.value(b)),
            RuleOp::Math(f, a, b) => f.apply(self.value(a), self.value(b)),
        }
    }

    fn run(&mut self, stmts: &[Exec], ts: i64, out: &mut Vec<OrderIntent>, rejected: &mut Vec<Rejection>) {
        for stmt in stmts {
            match stmt {
                Exec::When { cond, then, otherwise, warmup } => {
                    if self.bar_index < *warmup {
                        continue;
                    }
                    let c = self.value(*cond);
                    // An undefined condition runs neither branch.
                    if c == 1.0 {
                        self.run(then, ts, out, rejected);
                    } else if c == 0.0 {
                        self.run(otherwise, ts, out, rejected);
                    }
                }
                Exec::Assign { var, value, boolean, warmup } => {
                    if self.bar_index < *warmup {
                        continue;
                    }
                    let v = self.value(*value);
                    self.vars[*var] = if *boolean && !v.is_nan() { truth(v) } else { v };
                }
                Exec::Order { action, warmup, at } => {
                    if self.bar_index < *warmup {
                        continue;
                    }
                    self.seq += 1;
                    let seq = self.seq;
                    let (size, buy) = match action {
                        OrderAction::Exit => {
                            out.push(OrderIntent { seq, signal_ts: ts, action: Action::Close });
                            continue;
                        }
                        OrderAction::Buy(s) => (s, true),
                        OrderAction::Sell(s) => (s, false),
                    };
                    let amount = self.value(size.amount);
                    if !(amount.is_finite() && amount > 0.0) {
                        let what = if amount.is_nan() { "undefined".to_string() } else { crate::fmt_num(amount) };
                        rejected.push(Rejection {
                            ts,
                            order_seq: seq,
                            reason: format!("line {}: order size must be a positive number, got {what}", at.line),
                        });
                        continue;
                    }
                    let q = match size.unit {
                        SizeUnit::Units => Quantity::Units(amount),
                        SizeUnit::PercentOfEquity => Quantity::PercentOfEquity(amount),
                        SizeUnit::Cash => Quantity::Cash(amount),
                    };
                    let action = if buy { Action::Buy(q) } else { Action::Sell(q) };
                    out.push(OrderIntent { seq, signal_ts: ts, action });
                }
            }
        }
    }
}

#[inline]
fn truth(v: f64) -> f64 {
    if v != 0.0 { 1.0 } else { 0.0 }
}

#[inline]
fn select(c: f64, a: f64, b: f64) -> f64 {
    if c.is_nan() {
        f64::NAN
    } else if c != 0.0 {
        a
    } else {
        b
    }
}

fn compile(plan: &Plan, stmts: &[Stmt], b: &Bound) -> Vec<Exec> {
    stmts
        .iter()
        .map(|s| {
            // bind() has validated every statement, so its warm-up is known.
            let warmup = statement_warmup(plan, s, b).unwrap_or(usize::MAX);
            match s {
                Stmt::When { cond, then, otherwise, .. } => Exec::When {
                    cond: *cond,
                    then: compile(plan, then, b),
                    otherwise: compile(plan, otherwise, b),
                    warmup,
                },
                Stmt::Assign { var, value, .. } => {
                    Exec::Assign { var: *var, value: *value, boolean: plan.vars[*var].ty == ValueType::Bool, warmup }
                }
                Stmt::Order { action, at } => Exec::Order { action: action.clone(), warmup, at: *at },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::*;

    fn n(op: Op) -> Node {
        Node { op, ty: ValueType::Number, at: Pos::default(), name: None }
    }

    fn bar(i: i64, close: f64) -> Bar {
        Bar { ts: i * 60_000, open: close, high: close, low: close, close, volume: 1.0 }
    }

    fn step(e: &mut Engine, b: &Bar) -> Vec<OrderIntent> {
        let mut out = vec![];
        let mut rej = vec![];
        e.on_bar(b, &AccountView::default(), &mut out, &mut rej);
        out
    }

    /// `var count = 0; when close > close[1] { count := count + 1 }; when count[1] >= 2 { exit }`
    #[test]
    fn vars_persist_and_their_history_lags() {
        let plan = Plan {
            name: "t".into(),
            source: "t".into(),
            params: vec![],
            vars: vec![VarDecl {
                name: "count".into(),
                ty: ValueType::Number,
                init: Const::Num(0.0),
                at: Pos::default(),
            }],
            nodes: vec![
                n(Op::Bar(BarField::Close)),                       // 0
                n(Op::History { of: 0, offset: Const::Num(1.0) }), // 1
                n(Op::Binary(BinOp::Gt, 0, 1)),                    // 2
                n(Op::Var(0)),                                     // 3
                n(Op::Const(1.0)),                                 // 4
                n(Op::Binary(BinOp::Add, 3, 4)),                   // 5
                n(Op::History { of: 3, offset: Const::Num(1.0) }), // 6
                n(Op::Const(2.0)),                                 // 7
                n(Op::Binary(BinOp::Ge, 6, 7)),                    // 8
            ],
            program: vec![
                Stmt::When {
                    cond: 2,
                    then: vec![Stmt::Assign { var: 0, value: 5, at: Pos::default() }],
                    otherwise: vec![],
                    at: Pos::default(),
                },
                Stmt::When {
                    cond: 8,
                    then: vec![Stmt::Order { action: OrderAction::Exit, at: Pos::default() }],
                    otherwise: vec![],
                    at: Pos::default(),
                },
            ],
        };
        let mut e = Engine::new(&plan, &[]).unwrap();
        assert_eq!(e.warmup(), 1);
        let closes = [1.0, 2.0, 3.0, 3.0, 4.0];
        let fired: Vec<bool> =
            closes.iter().enumerate().map(|(i, &c)| !step(&mut e, &bar(i as i64, c)).is_empty()).collect();
        // count after bars: 0,1,2,2,3; count[1] >= 2 first holds on bar 3.
        assert_eq!(fired, vec![false, false, false, true, true]);
        assert_eq!(e.vars[0], 3.0);
    }

    #[test]
    fn multi_output_indicators_share_one_state() {
        let plan = Plan {
            name: "t".into(),
            source: "t".into(),
            params: vec![],
            vars: vec![],
            nodes: vec![
                n(Op::Bar(BarField::Close)),
                n(Op::Indicator { name: "bbands".into(), inputs: vec![0], params: vec![Const::Num(2.0)] }),
                n(Op::Output { of: 1, index: 0 }),
                n(Op::Output { of: 1, index: 2 }),
                n(Op::Binary(BinOp::Sub, 2, 3)),
            ],
            program: vec![],
        };
        let mut e = Engine::new(&plan, &[]).unwrap();
        step(&mut e, &bar(0, 1.0));
        step(&mut e, &bar(1, 3.0));
        // mean 2, population sd 1, mult 2: upper 4, lower 0.
        let width = e.value(4);
        assert_eq!(width, 4.0);
    }
}
