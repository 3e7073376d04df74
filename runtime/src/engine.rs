//! The engine: steps a bound plan one bar at a time and emits order intents.
//!
//! Design choice: the plan's DAG is flattened once into a list of steps over a flat array of `f64` slots (NaN =
//! undefined), so a bar is one pass over that list — O(1) per node, no allocation, no hashing. Nodes that read a
//! `var` change while the program runs, so they are not steps: they are evaluated where the program reads them.
//! The engine does no I/O and never reads a clock; it knows time only from the bars it is given.

use std::sync::Arc;

mod columns;
mod frames;

pub use columns::Columns;
use frames::{Completion, Frame};

use strata_stdlib::ring::Ring;
use strata_stdlib::{BarField, Indicator, registry};

use crate::bar::{AccountView, Bar};
use crate::bind::{BindError, Bound, Stage, bind, frames_read, is_frame, statement_frames, statement_warmup};
use crate::decide::{BarContext, DecideError, Decider, OrderPad};
use crate::order::{Action, Exits, Level, OrderIntent, OrderType, Quantity, Rejection, TimeInForce};
use crate::plan::{
    AccountField, BinOp, CrossFn, LevelExpr, MathFn, NodeId, Op, OrderAction, OrderTerms, Plan, Pos, SizeUnit, Stmt,
    TifExpr, ValueType,
};

/// Most series inputs any indicator takes.
const MAX_INPUTS: usize = 8;

/// Index of a value slot: an engine has at most `SLOTS` of them, as many as its plan needs.
type Slot = u16;
const SLOTS: usize = 1 << 16;

enum Step {
    Neg {
        dst: Slot,
        a: Slot,
    },
    Not {
        dst: Slot,
        a: Slot,
    },
    Bin {
        dst: Slot,
        op: BinOp,
        a: Slot,
        b: Slot,
    },
    // The most common binary operators get their own steps: one dispatch instead of two.
    Gt {
        dst: Slot,
        a: Slot,
        b: Slot,
    },
    Lt {
        dst: Slot,
        a: Slot,
        b: Slot,
    },
    Eq {
        dst: Slot,
        a: Slot,
        b: Slot,
    },
    And {
        dst: Slot,
        a: Slot,
        b: Slot,
    },
    Select {
        dst: Slot,
        c: Slot,
        a: Slot,
        b: Slot,
    },
    Math {
        dst: Slot,
        f: MathFn,
        a: Slot,
        b: Slot,
    },
    History {
        dst: Slot,
        src: Slot,
        ring: Ring,
        offset: usize,
    },
    /// A past value of a var-dependent series, recorded at the end of earlier bars.
    LateHistory {
        dst: Slot,
        late: usize,
        offset: usize,
    },
    /// An indicator of one series with one output (the common case).
    Indicator1 {
        dst: Slot,
        src: Slot,
        ind: Box<dyn Indicator>,
    },
    /// An indicator of two series with one output (crossover, ...).
    Indicator2 {
        dst: Slot,
        a: Slot,
        b: Slot,
        ind: Box<dyn Indicator>,
    },
    Indicator {
        dst: Slot,
        n_out: usize,
        inputs: Box<[Slot]>,
        ind: Box<dyn Indicator>,
    },
    /// An indicator computed ahead of the run (once for a whole sweep): its outputs read from columns by bar.
    Feed {
        dst: Slot,
        cols: Feed,
    },
}

/// Precomputed output columns of one indicator node over the bars an engine will see, in order.
pub type Feed = std::sync::Arc<Vec<Vec<f64>>>;

/// History of a var-dependent node: pushed at the end of each bar.
struct Late {
    src: NodeId,
    ring: Ring,
}

/// How a var-dependent node is computed on demand.
#[derive(Clone, PartialEq)]
enum RuleOp {
    Slot(Slot),
    Var(usize),
    Neg(NodeId),
    Not(NodeId),
    Bin(BinOp, NodeId, NodeId),
    Select(NodeId, NodeId, NodeId),
    Math(MathFn, NodeId, NodeId),
}

/// The program, flattened into a list of instructions with jumps (no recursion, no allocation per bar).
#[derive(PartialEq)]
enum Exec {
    /// A `when`: before its warm-up, or when its condition is undefined, jump to `end`; when false, to
    /// `otherwise`; when true, fall through into its block.
    When {
        cond: NodeId,
        warmup: usize,
        gate: Gate,
        otherwise: usize,
        end: usize,
    },
    Jump {
        to: usize,
    },
    Assign {
        var: usize,
        value: NodeId,
        boolean: bool,
        warmup: usize,
        gate: Gate,
    },
    Order {
        action: OrderAction,
        terms: Box<OrderTerms>,
        warmup: usize,
        gate: Gate,
        at: Pos,
    },
}

/// Index of a statement's wait for longer timeframes in [`State::gates`]; [`NO_GATE`] for a statement that reads
/// none.
type Gate = u32;
const NO_GATE: Gate = u32::MAX;

/// A statement that reads series of longer timeframes waits until all of them are defined — how many of the
/// data's bars that takes depends on the data's gaps, so it is watched, not counted — and from then on runs.
struct Wait {
    nodes: Vec<NodeId>,
    open: bool,
}

/// What the program reads and writes while it runs (kept apart from the program itself, which it only reads).
struct State {
    /// One value per node output; NaN = undefined. Sized to the plan: a universe runs one engine per symbol, and
    /// thousands of small arrays cost little where fixed large ones would cost memory and, all placed alike,
    /// evict each other from the processor's cache.
    slots: Box<[f64]>,
    /// Per node: how to read it while the program runs (shared by engines of one plan: [`Engine::share_code`]).
    read: Arc<[RuleOp]>,
    vars: Vec<f64>,
    bar_index: usize,
    seq: u64,
    gates: Vec<Wait>,
}

/// A plan ready to run.
pub struct Engine {
    state: State,
    bar_inputs: Arc<[(Slot, BarField)]>,
    account_inputs: Arc<[(Slot, AccountField)]>,
    steps: Vec<Step>,
    late: Vec<Late>,
    program: Arc<[Exec]>,
    warmup: usize,
    reads_volume: bool,
    /// The plan decides in a script: `decider` must be plugged in before the first bar.
    scripted: bool,
    /// The wait of a script for the longer-timeframe series it declared.
    script_gate: Gate,
    /// The plan's `pyramiding N`.
    pyramiding: Option<u32>,
    decider: Option<Box<dyn Decider>>,
    /// The nodes a decider reads (the plan's `outputs`), and a buffer for their values.
    outputs: Vec<NodeId>,
    output_values: Vec<f64>,
    params: Vec<f64>,
    /// Slots `0..slots_used` hold every node's value.
    slots_used: usize,
    /// The longer timeframes the plan reads (`close@1h`), each with the steps of its series.
    frames: Vec<Frame>,
    /// Per timeframe (shortest first): the most of its bars any series needs before it is defined.
    frame_warmup: Vec<(i64, usize)>,
    /// The data's bar interval (ms), which the timeframes are built from ([`Engine::set_bar_interval`]).
    interval: Option<i64>,
    /// The timeframe bars the current bar completes (reused from bar to bar).
    completions: Vec<Completion>,
    /// The bar after which every timeframe had completed the bars its series need.
    frames_ready_at: Option<usize>,
    /// The plan's cross-sectional functions (`rank(x)`), computed across a universe between the two halves of a
    /// bar ([`Engine::begin_bar`], [`Engine::end_bar`]); and the steps that read them, run in the second half.
    cross: Vec<CrossSlot>,
    post_steps: Vec<Step>,
}

/// A cross-sectional function's place: the slot it is written to and the slot of the series it reads.
#[derive(Debug, Clone, Copy)]
pub struct CrossSlot {
    pub f: CrossFn,
    /// `top`/`bottom`'s count.
    pub count: f64,
    dst: Slot,
    src: Slot,
}

impl AsMut<Engine> for Engine {
    fn as_mut(&mut self) -> &mut Engine {
        self
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("steps", &self.steps.len()).field("warmup", &self.warmup).finish()
    }
}

impl Engine {
    /// Binds `plan` to `params` and builds its steps.
    pub fn new(plan: &Plan, params: &[f64]) -> Result<Engine, BindError> {
        let bound = bind(plan, params)?;
        Self::from_bound(plan, &bound)
    }

    /// [`Engine::new`] with some indicator nodes fed from precomputed columns instead of computed (a sweep's
    /// shared work): each `(node, columns)` must hold that node's outputs over exactly the bars this engine will be
    /// stepped through, from the first — then the run is bit for bit the run without feeds.
    pub fn with_feeds(plan: &Plan, params: &[f64], feeds: &[(NodeId, Feed)]) -> Result<Engine, BindError> {
        let bound = bind(plan, params)?;
        Self::build(plan, &bound, feeds)
    }

    /// Builds the engine from an already bound plan.
    pub fn from_bound(plan: &Plan, b: &Bound) -> Result<Engine, BindError> {
        Self::build(plan, b, &[])
    }

    fn build(plan: &Plan, b: &Bound, feeds: &[(NodeId, Feed)]) -> Result<Engine, BindError> {
        let n = plan.nodes.len();
        // Slots: one per node, plus extra outputs for multi-output indicators.
        let mut node_slot: Vec<Slot> = vec![0; n];
        let mut next = 0usize;
        for (id, node) in plan.nodes.iter().enumerate() {
            let (slot, width) = match &node.op {
                Op::Output { of, index } => (node_slot[*of] as usize + index, 0),
                Op::Indicator { name, .. } => (next, registry::lookup(name).map_or(1, |s| s.outputs.len().max(1))),
                _ => (next, 1),
            };
            if slot + width > SLOTS {
                return Err(BindError::Invalid(format!("the plan needs more than {SLOTS} values per bar")));
            }
            node_slot[id] = slot as Slot;
            next += width;
        }
        let slots = vec![f64::NAN; next.max(1)].into_boxed_slice();
        let mut e = Engine {
            state: State {
                slots,
                read: Arc::new([]),
                vars: b.var_init.clone(),
                bar_index: 0,
                seq: 0,
                gates: Vec::new(),
            },
            bar_inputs: Arc::new([]),
            account_inputs: Arc::new([]),
            steps: Vec::new(),
            late: Vec::new(),
            program: Arc::new([]),
            warmup: b.warmup,
            reads_volume: false,
            scripted: plan.script.is_some(),
            script_gate: NO_GATE,
            pyramiding: plan.pyramiding,
            decider: None,
            outputs: plan.outputs.iter().map(|o| o.node).collect(),
            output_values: vec![f64::NAN; plan.outputs.len()],
            params: b.params.clone(),
            slots_used: next,
            frames: Vec::new(),
            frame_warmup: b.frames.clone(),
            interval: None,
            completions: Vec::new(),
            frames_ready_at: None,
            cross: Vec::new(),
            post_steps: Vec::new(),
        };
        // Per node: whether it reads a cross-sectional function (then it is computed in the bar's second half).
        let mut post = vec![false; n];
        let (mut reads, mut bar_inputs, mut account_inputs) = (Vec::with_capacity(n), Vec::new(), Vec::new());
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
            reads.push(read);
            post[id] = node.op.inputs().iter().any(|&i| post[i] || matches!(plan.nodes[i].op, Op::Cross { .. }));
            if rule {
                continue;
            }
            if let Op::Cross { f, of, .. } = &node.op {
                let count = b.indicator_params[id].first().copied().unwrap_or(0.0);
                e.cross.push(CrossSlot { f: *f, count, dst, src: node_slot[*of] });
                continue;
            }
            if post[id] {
                // bind() has put every series that reads a cross-section on the data's clock.
                match &node.op {
                    Op::History { of, .. } => {
                        let offset = b.offsets[id];
                        e.post_steps.push(Step::History { dst, src: s(*of), ring: Ring::new(offset + 1), offset });
                    }
                    Op::Indicator { name, inputs, .. } => {
                        e.post_steps.extend(indicator_step(name, inputs, &b.indicator_params[id], dst, &node_slot))
                    }
                    op => e.post_steps.extend(pure_step(op, dst, &node_slot)),
                }
                continue;
            }
            let clock = b.clock[id];
            if is_frame(clock) {
                let k = match e.frames.iter().position(|f| f.period == clock) {
                    Some(k) => k,
                    None => {
                        e.frames.push(Frame::new(clock, node.at));
                        e.frames.len() - 1
                    }
                };
                let frame = &mut e.frames[k];
                match &node.op {
                    Op::Higher { field, .. } => {
                        frame.fields.push((dst, *field));
                        e.reads_volume |= *field == BarField::Volume;
                    }
                    Op::History { of, .. } => {
                        let offset = b.offsets[id];
                        frame.steps.push(Step::History { dst, src: s(*of), ring: Ring::new(offset + 1), offset });
                    }
                    Op::Indicator { name, inputs, .. } => {
                        if let Some(step) = indicator_step(name, inputs, &b.indicator_params[id], dst, &node_slot) {
                            frame.steps.push(step);
                        }
                    }
                    op => {
                        // A pure step runs with its timeframe, for the series on it, and again with every bar of
                        // the data, so whatever reads it there sees the latest of each of its inputs.
                        if let Some(step) = pure_step(op, dst, &node_slot) {
                            frame.steps.push(step);
                        }
                        e.steps.extend(pure_step(op, dst, &node_slot));
                    }
                }
                continue;
            }
            match &node.op {
                Op::Bar(f) => {
                    bar_inputs.push((dst, *f));
                    e.reads_volume |= *f == BarField::Volume;
                }
                Op::Higher { .. } => {}
                Op::Account(f) => account_inputs.push((dst, *f)),
                Op::Const(v) => e.state.slots[dst as usize] = *v,
                Op::Param(i) => e.state.slots[dst as usize] = b.params[*i],
                Op::Var(_) => {}
                op @ (Op::Neg(_) | Op::Not(_) | Op::Binary(..) | Op::Select(..) | Op::Math(..)) => {
                    e.steps.extend(pure_step(op, dst, &node_slot))
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
                Op::Indicator { .. } if feeds.iter().any(|(n, _)| *n == id) => {
                    if let Some((_, cols)) = feeds.iter().find(|(n, _)| *n == id) {
                        e.steps.push(Step::Feed { dst, cols: cols.clone() });
                    }
                }
                Op::Indicator { name, inputs, .. } => {
                    e.steps.extend(indicator_step(name, inputs, &b.indicator_params[id], dst, &node_slot))
                }
                Op::Output { .. } | Op::Cross { .. } => {}
            }
        }
        let mut program = Vec::new();
        compile(plan, &plan.program, b, &mut program, &mut e.state.gates);
        (e.program, e.state.read) = (program.into(), reads.into());
        (e.bar_inputs, e.account_inputs) = (bar_inputs.into(), account_inputs.into());
        if e.scripted {
            // A script is called once every series it declared is defined, longer timeframes' included.
            let waits = frames_read(plan, b, e.outputs.clone());
            if !waits.is_empty() {
                e.state.gates.push(Wait { nodes: waits, open: false });
                e.script_gate = (e.state.gates.len() - 1) as Gate;
            }
        }
        Ok(e)
    }

    /// Tells the engine how far apart the data's bars are (ms), which its longer timeframes are built from; an
    /// error names a timeframe those bars cannot build. Required before the first bar when the plan reads a
    /// longer timeframe ([`Engine::needs_bar_interval`]).
    pub fn set_bar_interval(&mut self, interval: i64) -> Result<(), BindError> {
        for f in &self.frames {
            if let Some(message) = f.misfit(interval) {
                return Err(BindError::Timeframe { at: f.at, message });
            }
        }
        self.interval = Some(interval);
        Ok(())
    }

    /// [`Engine::set_bar_interval`] with the interval read off the data: the smallest step between the timestamps
    /// given (the data's first bars, say). Does nothing for a plan that reads no longer timeframe.
    pub fn fit_bar_interval(&mut self, ts: impl IntoIterator<Item = i64>) -> Result<(), BindError> {
        let Some(frame) = self.frames.first() else { return Ok(()) };
        let at = frame.at;
        let ts: Vec<i64> = ts.into_iter().collect();
        let interval = crate::data::smallest_step(&ts).ok_or_else(|| BindError::Timeframe {
            at,
            message: "the strategy reads a longer timeframe, and the data has too few bars to tell their interval"
                .into(),
        })?;
        self.set_bar_interval(interval)
    }

    /// True when the plan reads a longer timeframe, so it must be told the data's bar interval.
    pub fn needs_bar_interval(&self) -> bool {
        !self.frames.is_empty()
    }

    /// How many of the data's bars (`interval` ms apart, without gaps) warm every series up: the plan's own
    /// warm-up, or enough for each longer timeframe's — one period more than its bars, for a first period the
    /// data may begin inside. A live run fetches this much history.
    pub fn history_bars(&self, interval: i64) -> usize {
        let per = |period: i64| usize::try_from(period / interval.max(1)).unwrap_or(usize::MAX);
        self.frame_warmup
            .iter()
            .map(|&(period, w)| w.saturating_add(2).saturating_mul(per(period)))
            .fold(self.warmup, usize::max)
    }

    /// Bars before any rule can act.
    pub fn warmup(&self) -> usize {
        self.warmup
    }

    /// Bars before every series is defined, as the bars so far have shown: [`Engine::warmup`], or, for a plan
    /// that reads longer timeframes, the bars it took each of them to complete what its series need (all the bars
    /// seen, while they have not).
    pub fn warmed_up(&self) -> usize {
        match (self.frames.is_empty(), self.frames_ready_at) {
            (true, _) => self.warmup,
            (false, Some(at)) => self.warmup.max(at),
            (false, None) => self.warmup.max(self.state.bar_index),
        }
    }

    /// Bars seen so far.
    pub fn bars_seen(&self) -> usize {
        self.state.bar_index
    }

    /// Most entries in one direction while a position is open (`pyramiding N`).
    pub fn pyramiding(&self) -> Option<u32> {
        self.pyramiding
    }

    /// True when the plan reads the bar's volume.
    pub fn reads_volume(&self) -> bool {
        self.reads_volume
    }

    /// True when the plan decides in a script, so a [`Decider`] must be plugged in ([`Engine::set_decider`]).
    pub fn is_scripted(&self) -> bool {
        self.scripted
    }

    /// Plugs in the decider of a scripted plan: called on every bar from the warm-up on.
    pub fn set_decider(&mut self, decider: Box<dyn Decider>) {
        self.decider = Some(decider);
    }

    /// Steps one closed bar: updates every series, runs the program (or the decider), and appends the orders it
    /// places to `out` (orders whose size is undefined or not positive go to `rejected` instead). An error means
    /// the decider failed; the run cannot go on.
    pub fn on_bar(
        &mut self,
        bar: &Bar,
        account: &AccountView,
        out: &mut Vec<OrderIntent>,
        rejected: &mut Vec<Rejection>,
    ) -> Result<(), DecideError> {
        self.begin_bar(bar, account)?;
        if !self.cross.is_empty() {
            // Alone, a symbol is its own cross-section.
            for k in 0..self.cross.len() {
                let c = self.cross[k];
                let mut v = [0.0];
                crate::cross::cross_section(c.f, c.count, &[self.state.slots[c.src as usize]], &mut v);
                self.state.slots[c.dst as usize] = v[0];
            }
        }
        self.end_bar(bar, account, out, rejected)
    }

    /// The first half of [`Engine::on_bar`] for a universe: updates every series that does not read a
    /// cross-section. Then the universe reads [`Engine::cross_input`] of every symbol, computes each cross-section
    /// and hands this symbol's values back with [`Engine::set_cross`], and finishes with [`Engine::end_bar`].
    pub fn begin_bar(&mut self, bar: &Bar, account: &AccountView) -> Result<(), DecideError> {
        if !self.frames.is_empty() {
            self.step_frames(bar)?;
        }
        let slots = &mut self.state.slots;
        let fields = [bar.open, bar.high, bar.low, bar.close, bar.volume, bar.ts as f64];
        for &(slot, f) in self.bar_inputs.iter() {
            slots[slot as usize] = fields[f as usize];
        }
        let values = [account.position, account.equity, account.cash, account.entry_price, account.bars_in_trade];
        for &(slot, f) in self.account_inputs.iter() {
            slots[slot as usize] = values[f as usize];
        }
        self.update_series();
        Ok(())
    }

    /// Shares `other`'s program with this engine when the two are the same compiled plan — as a universe's engines,
    /// one per symbol, are. Each keeps its own state; the code they both read is then one copy in the processor's
    /// cache instead of one per symbol.
    pub fn share_code(&mut self, other: &Engine) {
        if *self.program == *other.program
            && *self.state.read == *other.state.read
            && *self.bar_inputs == *other.bar_inputs
            && *self.account_inputs == *other.account_inputs
        {
            self.program = Arc::clone(&other.program);
            self.state.read = Arc::clone(&other.state.read);
            self.bar_inputs = Arc::clone(&other.bar_inputs);
            self.account_inputs = Arc::clone(&other.account_inputs);
        }
    }

    /// The plan's cross-sectional functions, in plan order.
    pub fn cross_functions(&self) -> &[CrossSlot] {
        &self.cross
    }

    /// After [`Engine::begin_bar`]: this symbol's value of the series cross-sectional function `k` reads.
    pub fn cross_input(&self, k: usize) -> f64 {
        self.cross.get(k).map_or(f64::NAN, |c| self.state.slots[c.src as usize])
    }

    /// Sets this symbol's value of cross-sectional function `k` for the bar.
    pub fn set_cross(&mut self, k: usize, value: f64) {
        if let Some(c) = self.cross.get(k) {
            self.state.slots[c.dst as usize] = value;
        }
    }

    /// The second half of [`Engine::on_bar`]: the series that read cross-sections, then the rules (or the decider).
    pub fn end_bar(
        &mut self,
        bar: &Bar,
        account: &AccountView,
        out: &mut Vec<OrderIntent>,
        rejected: &mut Vec<Rejection>,
    ) -> Result<(), DecideError> {
        if !self.post_steps.is_empty() {
            run_steps(&mut self.post_steps, &mut self.state.slots, &self.late, self.state.bar_index);
        }
        run(&self.program, &mut self.state, bar.ts, out, rejected);
        if self.scripted && self.state.bar_index >= self.warmup && self.state.gate_open(self.script_gate) {
            self.decide(bar, account, out, rejected)?;
        }
        for late in &mut self.late {
            late.ring.push(self.state.value(late.src));
        }
        self.state.bar_index += 1;
        Ok(())
    }

    /// The call into a scripted plan's decider (every bar after warm-up; kept out of line for `.strat` plans).
    #[inline(never)]
    fn decide(
        &mut self,
        bar: &Bar,
        account: &AccountView,
        out: &mut Vec<OrderIntent>,
        rejected: &mut Vec<Rejection>,
    ) -> Result<(), DecideError> {
        let Some(decider) = self.decider.as_mut() else {
            return Err(DecideError {
                message: "the strategy decides in a script, but no script host was plugged into the engine".into(),
            });
        };
        for (v, &node) in self.output_values.iter_mut().zip(&self.outputs) {
            *v = self.state.value(node);
        }
        let ctx = BarContext {
            bar,
            bar_index: self.state.bar_index,
            account,
            values: &self.output_values,
            params: &self.params,
        };
        let mut pad = OrderPad { seq: &mut self.state.seq, ts: bar.ts, out, rejected };
        decider.on_bar(&ctx, &mut pad)
    }

    /// Builds the longer timeframes' bars from this bar and steps the series of each bar it completes, in the
    /// order their periods ended.
    #[inline(never)]
    fn step_frames(&mut self, bar: &Bar) -> Result<(), DecideError> {
        let Some(interval) = self.interval else {
            return Err(DecideError {
                message: "the strategy reads a longer timeframe, but the engine was not told the data's bar interval"
                    .into(),
            });
        };
        let mut done = std::mem::take(&mut self.completions);
        done.clear();
        for (k, f) in self.frames.iter_mut().enumerate() {
            f.offer(bar, interval, k, &mut done);
        }
        done.sort_by_key(|c| (c.end, std::cmp::Reverse(c.period)));
        for c in &done {
            let Some(f) = self.frames.get_mut(c.frame) else { continue };
            let b = c.bar;
            let fields = [b.open, b.high, b.low, b.close, b.volume, b.ts as f64];
            for &(slot, field) in &f.fields {
                self.state.slots[slot as usize] = fields[field as usize];
            }
            run_steps(&mut f.steps, &mut self.state.slots, &self.late, self.state.bar_index);
            f.ticks += 1;
        }
        self.completions = done;
        if self.frames_ready_at.is_none() {
            let ready = |f: &Frame| self.frame_warmup.iter().find(|w| w.0 == f.period).is_none_or(|w| f.ticks > w.1);
            if self.frames.iter().all(ready) {
                self.frames_ready_at = Some(self.state.bar_index);
            }
        }
        Ok(())
    }

    #[inline]
    fn update_series(&mut self) {
        run_steps(&mut self.steps, &mut self.state.slots, &self.late, self.state.bar_index);
    }

    /// The value of node `id` after the last bar (NaN = undefined).
    pub fn value(&self, id: NodeId) -> f64 {
        self.state.value(id)
    }
}

/// One pure step of a node, if it is a pure operation.
fn pure_step(op: &Op, dst: Slot, node_slot: &[Slot]) -> Option<Step> {
    let s = |i: NodeId| node_slot[i];
    Some(match op {
        Op::Neg(a) => Step::Neg { dst, a: s(*a) },
        Op::Not(a) => Step::Not { dst, a: s(*a) },
        Op::Binary(op, a, bb) => {
            let (a, b) = (s(*a), s(*bb));
            match op {
                BinOp::Gt => Step::Gt { dst, a, b },
                BinOp::Lt => Step::Lt { dst, a, b },
                BinOp::Eq => Step::Eq { dst, a, b },
                BinOp::And => Step::And { dst, a, b },
                _ => Step::Bin { dst, op: *op, a, b },
            }
        }
        Op::Select(c, a, b) => Step::Select { dst, c: s(*c), a: s(*a), b: s(*b) },
        Op::Math(f, args) => {
            let a = s(*args.first()?);
            let b = args.get(1).map_or(a, |&x| s(x));
            Step::Math { dst, f: *f, a, b }
        }
        _ => return None,
    })
}

/// The step of an indicator node (bind() has checked its name and parameters, so this fails only on a plan that
/// did not pass it).
fn indicator_step(name: &str, inputs: &[NodeId], params: &[f64], dst: Slot, node_slot: &[Slot]) -> Option<Step> {
    let s = |i: NodeId| node_slot[i];
    let spec = registry::lookup(name)?;
    let ind = (spec.build)(params).ok()?;
    debug_assert!(inputs.len() <= MAX_INPUTS);
    let n_out = spec.outputs.len();
    Some(if let ([one], 1) = (inputs, n_out) {
        Step::Indicator1 { dst, src: s(*one), ind }
    } else if let ([a, b], 1) = (inputs, n_out) {
        Step::Indicator2 { dst, a: s(*a), b: s(*b), ind }
    } else {
        Step::Indicator { dst, n_out, inputs: inputs.iter().map(|&i| s(i)).collect(), ind }
    })
}

/// Runs `steps` over the slots, on the data's bar number `bar`.
#[inline]
fn run_steps(steps: &mut [Step], slots: &mut [f64], late: &[Late], bar: usize) {
    for step in steps.iter_mut() {
        // Every slot a step names was allocated for it (Engine::build): indexing cannot fail.
        match step {
            Step::Neg { dst, a } => slots[*dst as usize] = -slots[*a as usize],
            Step::Not { dst, a } => {
                let v = slots[*a as usize];
                slots[*dst as usize] = if v.is_nan() { v } else { 1.0 - truth(v) };
            }
            Step::Bin { dst, op, a, b } => slots[*dst as usize] = op.apply(slots[*a as usize], slots[*b as usize]),
            Step::Gt { dst, a, b } => slots[*dst as usize] = BinOp::Gt.apply(slots[*a as usize], slots[*b as usize]),
            Step::Lt { dst, a, b } => slots[*dst as usize] = BinOp::Lt.apply(slots[*a as usize], slots[*b as usize]),
            Step::Eq { dst, a, b } => slots[*dst as usize] = BinOp::Eq.apply(slots[*a as usize], slots[*b as usize]),
            Step::And { dst, a, b } => slots[*dst as usize] = BinOp::And.apply(slots[*a as usize], slots[*b as usize]),
            Step::Select { dst, c, a, b } => {
                slots[*dst as usize] = select(slots[*c as usize], slots[*a as usize], slots[*b as usize])
            }
            Step::Math { dst, f, a, b } => slots[*dst as usize] = f.apply(slots[*a as usize], slots[*b as usize]),
            Step::History { dst, src, ring, offset } => {
                ring.push(slots[*src as usize]);
                slots[*dst as usize] = ring.get_back(*offset).unwrap_or(f64::NAN);
            }
            Step::LateHistory { dst, late: i, offset } => {
                slots[*dst as usize] = late[*i].ring.get_back(*offset - 1).unwrap_or(f64::NAN);
            }
            Step::Indicator1 { dst, src, ind } => slots[*dst as usize] = ind.update1(slots[*src as usize]),
            Step::Indicator2 { dst, a, b, ind } => {
                slots[*dst as usize] = ind.update2(slots[*a as usize], slots[*b as usize])
            }
            Step::Indicator { dst, n_out, inputs, ind } => {
                let mut buf = [0.0f64; MAX_INPUTS];
                for (k, &s) in inputs.iter().enumerate() {
                    buf[k] = slots[s as usize];
                }
                let d = *dst as usize;
                ind.update(&buf[..inputs.len()], &mut slots[d..d + *n_out]);
            }
            Step::Feed { dst, cols } => {
                for (k, col) in cols.iter().enumerate() {
                    if let Some(slot) = slots.get_mut(*dst as usize + k) {
                        *slot = col.get(bar).copied().unwrap_or(f64::NAN);
                    }
                }
            }
        }
    }
}

impl State {
    /// True once every longer-timeframe series statement gate `g` waits for has been defined (then for good).
    #[inline]
    fn gate_open(&mut self, g: Gate) -> bool {
        let Some(wait) = self.gates.get(g as usize) else { return true };
        if wait.open {
            return true;
        }
        let open = wait.nodes.iter().all(|&n| !self.value(n).is_nan());
        if let Some(w) = self.gates.get_mut(g as usize) {
            w.open = open;
        }
        open
    }

    /// [`State::value`] with the common case — a node computed with the bar — inlined.
    #[inline(always)]
    fn read_fast(&self, id: NodeId) -> f64 {
        match self.read[id] {
            RuleOp::Slot(s) => self.slots[s as usize],
            _ => self.value(id),
        }
    }

    /// The current value of a node (evaluating var-dependent nodes now).
    fn value(&self, id: NodeId) -> f64 {
        match self.read[id] {
            RuleOp::Slot(s) => self.slots[s as usize],
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
}

/// Runs the program on one bar's close.
fn run(program: &[Exec], st: &mut State, ts: i64, out: &mut Vec<OrderIntent>, rejected: &mut Vec<Rejection>) {
    let mut pc = 0;
    while let Some(op) = program.get(pc) {
        pc += 1;
        match op {
            Exec::When { cond, warmup, gate, otherwise, end } => {
                if st.bar_index < *warmup || !st.gate_open(*gate) {
                    pc = *end;
                    continue;
                }
                let c = st.read_fast(*cond);
                // An undefined condition runs neither branch.
                if c == 0.0 {
                    pc = *otherwise;
                } else if c != 1.0 {
                    pc = *end;
                }
            }
            Exec::Jump { to } => pc = *to,
            Exec::Assign { var, value, boolean, warmup, gate } => {
                if st.bar_index < *warmup || !st.gate_open(*gate) {
                    continue;
                }
                let v = st.value(*value);
                st.vars[*var] = if *boolean && !v.is_nan() { truth(v) } else { v };
            }
            Exec::Order { action, terms, warmup, gate, at } => {
                if st.bar_index < *warmup || !st.gate_open(*gate) {
                    continue;
                }
                order(st, action, terms, *at, ts, out, rejected);
            }
        }
    }
}

fn order(
    st: &mut State,
    action: &OrderAction,
    terms: &OrderTerms,
    at: Pos,
    ts: i64,
    out: &mut Vec<OrderIntent>,
    rejected: &mut Vec<Rejection>,
) {
    st.seq += 1;
    let seq = st.seq;
    match placed(st, action, terms) {
        Ok(intent) => out.push(OrderIntent { seq, signal_ts: ts, ..intent }),
        Err(why) => rejected.push(Rejection { ts, order_seq: seq, reason: format!("line {}: {why}", at.line) }),
    }
}

/// The intent a statement places on this bar, its values read now; or why it cannot be placed.
fn placed(st: &State, action: &OrderAction, terms: &OrderTerms) -> Result<OrderIntent, String> {
    let positive = |node: NodeId, what: &str| -> Result<f64, String> {
        let v = st.value(node);
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            let got = if v.is_nan() { "undefined".to_string() } else { crate::fmt_num(v) };
            Err(format!("{what} must be a positive number, got {got}"))
        }
    };
    let level = |l: Option<LevelExpr>, what: &str| -> Result<Option<Level>, String> {
        let Some(l) = l else { return Ok(None) };
        let v = positive(l.amount, what)?;
        Ok(Some(if l.percent { Level::Percent(v) } else { Level::Price(v) }))
    };
    let action = match action {
        OrderAction::Exit => Action::Close,
        OrderAction::Cancel(tag) => Action::Cancel(*tag),
        OrderAction::Buy(s) | OrderAction::Sell(s) | OrderAction::Short(s) | OrderAction::Cover(s) => {
            let amount = positive(s.amount, "order size")?;
            let q = match s.unit {
                SizeUnit::Units => Quantity::Units(amount),
                SizeUnit::Percent => Quantity::Percent(amount),
                SizeUnit::Cash => Quantity::Cash(amount),
                SizeUnit::Risk => Quantity::Risk(amount),
            };
            match action {
                OrderAction::Buy(_) => Action::Buy(q),
                OrderAction::Sell(_) => Action::Sell(q),
                OrderAction::Short(_) => Action::Short(q),
                _ => Action::Cover(q),
            }
        }
    };
    if terms.is_plain() {
        return Ok(OrderIntent::market(0, 0, action));
    }
    let limit = terms.limit.map(|n| positive(n, "limit price")).transpose()?;
    let stop = terms.stop.map(|n| positive(n, "stop price")).transpose()?;
    let kind = match (stop, limit) {
        (None, None) => OrderType::Market,
        (None, Some(l)) => OrderType::Limit(l),
        (Some(s), None) => OrderType::Stop(s),
        (Some(stop), Some(limit)) => OrderType::StopLimit { stop, limit },
    };
    let tif = match terms.tif {
        TifExpr::Gtc => TimeInForce::Gtc,
        TifExpr::Day => TimeInForce::Day,
        TifExpr::Bars(n) => {
            let v = positive(n, "the bars an order works for")?;
            if v.fract() != 0.0 || v > u32::MAX as f64 {
                return Err(format!("the bars an order works for must be a whole number, got {}", crate::fmt_num(v)));
            }
            TimeInForce::Bars(v as u32)
        }
    };
    let exits = Exits {
        stop_loss: level(terms.stop_loss, "stop-loss")?,
        take_profit: level(terms.take_profit, "take-profit")?,
        trail: level(terms.trail, "trailing distance")?,
    };
    Ok(OrderIntent { kind, tif, exits, tag: terms.tag, ..OrderIntent::market(0, 0, action) })
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

/// Flattens statements into `out`, with their waits for longer timeframes in `gates`.
fn compile(plan: &Plan, stmts: &[Stmt], b: &Bound, out: &mut Vec<Exec>, gates: &mut Vec<Wait>) {
    for s in stmts {
        // bind() has validated every statement, so its warm-up is known.
        let warmup = statement_warmup(plan, s, b).unwrap_or(usize::MAX);
        let waits = statement_frames(plan, b, s);
        let gate = if waits.is_empty() {
            NO_GATE
        } else {
            gates.push(Wait { nodes: waits, open: false });
            (gates.len() - 1) as Gate
        };
        match s {
            Stmt::When { cond, then, otherwise, .. } => {
                let at = out.len();
                out.push(Exec::Jump { to: 0 }); // placeholder for the When
                compile(plan, then, b, out, gates);
                let (else_start, end) = if otherwise.is_empty() {
                    (out.len(), out.len())
                } else {
                    let jump = out.len();
                    out.push(Exec::Jump { to: 0 });
                    let else_start = out.len();
                    compile(plan, otherwise, b, out, gates);
                    out[jump] = Exec::Jump { to: out.len() };
                    (else_start, out.len())
                };
                out[at] = Exec::When { cond: *cond, warmup, gate, otherwise: else_start, end };
            }
            Stmt::Assign { var, value, .. } => out.push(Exec::Assign {
                var: *var,
                value: *value,
                boolean: plan.vars[*var].ty == ValueType::Bool,
                warmup,
                gate,
            }),
            Stmt::Order { action, terms, at } => {
                out.push(Exec::Order { action: action.clone(), terms: Box::new(terms.clone()), warmup, gate, at: *at })
            }
        }
    }
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
        e.on_bar(b, &AccountView::default(), &mut out, &mut rej).unwrap();
        out
    }

    /// `var count = 0; when close > close[1] { count := count + 1 }; when count[1] >= 2 { exit }`
    #[test]
    fn vars_persist_and_their_history_lags() {
        let plan = Plan {
            name: "t".into(),
            outputs: vec![],
            script: None,
            pyramiding: None,
            order_names: vec![],
            symbols: vec![],
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
                    then: vec![Stmt::Order {
                        action: OrderAction::Exit,
                        terms: OrderTerms::default(),
                        at: Pos::default(),
                    }],
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
        assert_eq!(e.state.vars[0], 3.0);

        // Two engines of the plan share its code and keep their own state: one stepped over other bars does not
        // move the other.
        let (mut a, mut b) = (Engine::new(&plan, &[]).unwrap(), Engine::new(&plan, &[]).unwrap());
        assert!(!Arc::ptr_eq(&a.program, &b.program));
        b.share_code(&a);
        assert!(Arc::ptr_eq(&a.program, &b.program) && Arc::ptr_eq(&a.state.read, &b.state.read));
        let up: Vec<bool> =
            closes.iter().enumerate().map(|(i, &c)| !step(&mut a, &bar(i as i64, c)).is_empty()).collect();
        let flat: Vec<bool> = (0..5).map(|i| !step(&mut b, &bar(i, 1.0)).is_empty()).collect();
        assert_eq!(up, fired);
        assert_eq!((flat, a.state.vars[0], b.state.vars[0]), (vec![false; 5], 3.0, 0.0));
    }

    #[test]
    fn multi_output_indicators_share_one_state() {
        let plan = Plan {
            name: "t".into(),
            outputs: vec![],
            script: None,
            pyramiding: None,
            order_names: vec![],
            symbols: vec![],
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
