//! The plan: the serializable description of a strategy that every front-end emits and the engine runs.
//!
//! Design choice: a plan is data, not code — parameters, persistent variables, a DAG of series nodes in
//! topological order (each distinct computation once), and a program of rules over them. Indicator lengths and
//! other constants are small expressions over the parameters ([`Const`]), so one plan serves every `--set` and
//! every point of a sweep; binding them ([`crate::bind`]) checks the values and computes the warm-up.

use serde::{Deserialize, Serialize};
use strata_stdlib::BarField;

/// Index of a node in [`Plan::nodes`].
pub type NodeId = usize;

/// A position in the strategy's source, for messages that point back at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A compiled strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The strategy's name (`strategy "..."`, else the file stem).
    pub name: String,
    /// The file it was compiled from, as given.
    pub source: String,
    pub params: Vec<ParamDecl>,
    pub vars: Vec<VarDecl>,
    /// Series nodes; every node's inputs come before it.
    pub nodes: Vec<Node>,
    /// Statements run in order on every bar's close.
    pub program: Vec<Stmt>,
    /// Named series to report on every bar (`strata ta NAME=EXPR`); empty for a strategy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<PlanOutput>,
    /// Set when a script decides instead of `program` (a Rhai strategy): its `outputs` are the series it declared,
    /// and on every bar after their warm-up the engine hands them to a [`crate::decide::Decider`] the front-end
    /// plugs in. The runtime knows only that one must be there, not what language it speaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<ScriptInfo>,
    /// Most entries in one direction while a position is open (`pyramiding N`); none: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pyramiding: Option<u32>,
    /// The names orders are placed under (`as NAME`); an order's tag indexes this.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_names: Vec<String>,
    /// The universe the strategy trades (`symbols NVDA, ORCL`), upper case; empty: whatever the data holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<String>,
}

/// What a plan's deciding script is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptInfo {
    /// The language (`rhai`).
    pub language: String,
    /// The function called on each bar (`on_bar`).
    pub entry: String,
    /// How the front-end runs it, in words (`compiled`, or `interpreted: why`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tier: String,
}

/// A named series a plan reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOutput {
    pub name: String,
    pub node: NodeId,
}

/// The type of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueType {
    Number,
    Bool,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Number => "number",
            ValueType::Bool => "bool",
        }
    }
}

/// Whether a parameter takes whole numbers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamType {
    Int,
    Float,
}

/// `param NAME = DEFAULT [in MIN..MAX [step STEP]]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDecl {
    pub name: String,
    pub ty: ParamType,
    pub default: f64,
    pub range: Option<ParamRange>,
    pub at: Pos,
}

/// The values a parameter may take (inclusive), and the step a sweep walks it by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParamRange {
    pub min: f64,
    pub max: f64,
    pub step: Option<f64>,
}

/// `var NAME = INIT`: a value that persists across bars and changes only by `:=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarDecl {
    pub name: String,
    pub ty: ValueType,
    pub init: Const,
    pub at: Pos,
}

/// An account value, read at the bar's close (after that bar's fills).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AccountField {
    // Explicit: the engine indexes `[position, equity, cash, entry_price, bars_in_trade]` by these.
    /// Signed quantity held.
    Position = 0,
    /// Cash plus position marked at the close.
    Equity = 1,
    Cash = 2,
    /// Average entry price of the open position; undefined when flat.
    EntryPrice = 3,
    /// Bars since the open position was entered (0 on the entry bar); 0 when flat.
    BarsInTrade = 4,
}

impl AccountField {
    pub const ALL: [AccountField; 5] = [
        AccountField::Position,
        AccountField::Equity,
        AccountField::Cash,
        AccountField::EntryPrice,
        AccountField::BarsInTrade,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AccountField::Position => "position",
            AccountField::Equity => "equity",
            AccountField::Cash => "cash",
            AccountField::EntryPrice => "entry_price",
            AccountField::BarsInTrade => "bars_in_trade",
        }
    }
}

/// Binary operators on series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// Evaluates on numbers, NaN meaning undefined. Comparisons of an undefined value are undefined; `and`/`or`
    /// follow three-valued logic (false and undefined = false, true or undefined = true); `x / 0` is undefined.
    #[inline(always)]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        fn truth(c: bool) -> f64 {
            if c { 1.0 } else { 0.0 }
        }
        let undefined = a.is_nan() || b.is_nan();
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => {
                if b == 0.0 {
                    f64::NAN
                } else {
                    a / b
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne if undefined => f64::NAN,
            BinOp::Lt => truth(a < b),
            BinOp::Le => truth(a <= b),
            BinOp::Gt => truth(a > b),
            BinOp::Ge => truth(a >= b),
            BinOp::Eq => truth(a == b),
            BinOp::Ne => truth(a != b),
            BinOp::And => {
                if a == 0.0 || b == 0.0 {
                    0.0
                } else if undefined {
                    f64::NAN
                } else {
                    1.0
                }
            }
            BinOp::Or => {
                if a == 1.0 || b == 1.0 {
                    1.0
                } else if undefined {
                    f64::NAN
                } else {
                    0.0
                }
            }
        }
    }
}

/// Pure functions of numbers (no state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MathFn {
    Abs,
    Sqrt,
    Log,
    Exp,
    Floor,
    Ceil,
    Round,
    Sign,
    Min,
    Max,
    Pow,
    /// `nz(x, fallback)`: `x`, or `fallback` where `x` is undefined.
    Nz,
    /// `na(x)`: true where `x` is undefined.
    Na,
}

impl MathFn {
    pub const ALL: [MathFn; 13] = [
        MathFn::Abs,
        MathFn::Sqrt,
        MathFn::Log,
        MathFn::Exp,
        MathFn::Floor,
        MathFn::Ceil,
        MathFn::Round,
        MathFn::Sign,
        MathFn::Min,
        MathFn::Max,
        MathFn::Pow,
        MathFn::Nz,
        MathFn::Na,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MathFn::Abs => "abs",
            MathFn::Sqrt => "sqrt",
            MathFn::Log => "log",
            MathFn::Exp => "exp",
            MathFn::Floor => "floor",
            MathFn::Ceil => "ceil",
            MathFn::Round => "round",
            MathFn::Sign => "sign",
            MathFn::Min => "min",
            MathFn::Max => "max",
            MathFn::Pow => "pow",
            MathFn::Nz => "nz",
            MathFn::Na => "na",
        }
    }

    pub fn from_name(name: &str) -> Option<MathFn> {
        MathFn::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            MathFn::Min | MathFn::Max | MathFn::Pow | MathFn::Nz => 2,
            _ => 1,
        }
    }

    /// The type of the result.
    pub fn result(self) -> ValueType {
        match self {
            MathFn::Na => ValueType::Bool,
            _ => ValueType::Number,
        }
    }

    /// Evaluates; out-of-domain arguments (`sqrt(-1)`, `log(0)`) give undefined.
    #[inline]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        let v = match self {
            MathFn::Abs => a.abs(),
            MathFn::Sqrt => a.sqrt(),
            MathFn::Log => {
                if a > 0.0 {
                    a.ln()
                } else {
                    f64::NAN
                }
            }
            MathFn::Exp => a.exp(),
            MathFn::Floor => a.floor(),
            MathFn::Ceil => a.ceil(),
            MathFn::Round => a.round(),
            MathFn::Sign => {
                if a.is_nan() {
                    f64::NAN
                } else if a > 0.0 {
                    1.0
                } else if a < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            MathFn::Min => {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.min(b)
                }
            }
            MathFn::Max => {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.max(b)
                }
            }
            MathFn::Pow => a.powf(b),
            MathFn::Nz => {
                if a.is_nan() {
                    b
                } else {
                    a
                }
            }
            MathFn::Na => {
                if a.is_nan() {
                    1.0
                } else {
                    0.0
                }
            }
        };
        if v.is_finite() || self == MathFn::Nz { v } else { f64::NAN }
    }
}

/// Functions across a universe's symbols at one time (a cross-section): each symbol's value of a series, compared
/// with every other symbol's value at the same timestamp ([`crate::cross`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CrossFn {
    /// `rank(x)`: 1 for the symbol with the largest `x`, 2 for the next, … (ties by symbol order).
    Rank,
    /// `zscore(x)`: `x` less the mean over the symbols, over their (population) standard deviation.
    Zscore,
    /// `top(x, n)`: true for the `n` symbols with the largest `x` (`rank(x) <= n`).
    Top,
    /// `bottom(x, n)`: true for the `n` symbols with the smallest `x`.
    Bottom,
}

impl CrossFn {
    pub const ALL: [CrossFn; 4] = [CrossFn::Rank, CrossFn::Zscore, CrossFn::Top, CrossFn::Bottom];

    pub fn name(self) -> &'static str {
        match self {
            CrossFn::Rank => "rank",
            CrossFn::Zscore => "zscore",
            CrossFn::Top => "top",
            CrossFn::Bottom => "bottom",
        }
    }

    pub fn from_name(name: &str) -> Option<CrossFn> {
        CrossFn::ALL.into_iter().find(|f| f.name() == name)
    }

    /// True for the functions that take a count (`top(x, n)`).
    pub fn takes_count(self) -> bool {
        matches!(self, CrossFn::Top | CrossFn::Bottom)
    }

    pub fn result(self) -> ValueType {
        if self.takes_count() { ValueType::Bool } else { ValueType::Number }
    }
}

/// A constant expression over numbers and parameters: indicator lengths, history offsets, `var` initial values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Const {
    Num(f64),
    Param(usize),
    Neg(Box<Const>),
    Bin(BinOp, Box<Const>, Box<Const>),
}

impl Const {
    /// Evaluates with the given parameter values.
    pub fn eval(&self, params: &[f64]) -> f64 {
        match self {
            Const::Num(v) => *v,
            Const::Param(i) => params.get(*i).copied().unwrap_or(f64::NAN),
            Const::Neg(c) => -c.eval(params),
            Const::Bin(op, a, b) => op.apply(a.eval(params), b.eval(params)),
        }
    }

    /// Source-like text, naming parameters.
    pub fn render(&self, params: &[ParamDecl]) -> String {
        match self {
            Const::Num(v) => format_number(*v),
            Const::Param(i) => params.get(*i).map_or_else(|| format!("param#{i}"), |p| p.name.clone()),
            Const::Neg(c) => format!("-{}", c.render(params)),
            Const::Bin(op, a, b) => format!("({} {} {})", a.render(params), op.symbol(), b.render(params)),
        }
    }
}

/// A number as the language writes it (`10`, not `10.0`).
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

/// A series node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub op: Op,
    pub ty: ValueType,
    /// Where it was first written.
    pub at: Pos,
    /// The name the strategy gave it (`let f = ...`), if any: used when rendering expressions that read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a node computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    Bar(#[serde(with = "crate::serde_bar_field")] BarField),
    /// A field of the last completed bar of a longer timeframe built from the data's bars (`close@1h`): `period`
    /// milliseconds, aligned by [`crate::time::period_start`]. It changes only on the bar that completes a period.
    Higher {
        #[serde(with = "crate::serde_bar_field")]
        field: BarField,
        period: i64,
    },
    Account(AccountField),
    Const(f64),
    Param(usize),
    /// The current value of a `var` (changes while the program runs).
    Var(usize),
    Neg(NodeId),
    Not(NodeId),
    Binary(BinOp, NodeId, NodeId),
    /// `cond ? a : b`
    Select(NodeId, NodeId, NodeId),
    Math(MathFn, Vec<NodeId>),
    /// `of[offset]`: the value `offset` bars ago (offset ≥ 1 after constant folding of `[0]`).
    History {
        of: NodeId,
        offset: Const,
    },
    /// A stdlib indicator; its outputs are read through [`Op::Output`] (or directly when it has one).
    Indicator {
        name: String,
        inputs: Vec<NodeId>,
        params: Vec<Const>,
    },
    /// Output `index` of a multi-output indicator node.
    Output {
        of: NodeId,
        index: usize,
    },
    /// A function across the universe's symbols of series `of` at this timestamp (`count` for `top`/`bottom`).
    Cross {
        f: CrossFn,
        of: NodeId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<Const>,
    },
}

impl Op {
    /// The nodes this one reads.
    pub fn inputs(&self) -> Vec<NodeId> {
        match self {
            Op::Bar(_) | Op::Higher { .. } | Op::Account(_) | Op::Const(_) | Op::Param(_) | Op::Var(_) => vec![],
            Op::Neg(a) | Op::Not(a) => vec![*a],
            Op::Binary(_, a, b) => vec![*a, *b],
            Op::Select(c, a, b) => vec![*c, *a, *b],
            Op::Math(_, args) => args.clone(),
            Op::History { of, .. } => vec![*of],
            Op::Indicator { inputs, .. } => inputs.clone(),
            Op::Output { of, .. } | Op::Cross { of, .. } => vec![*of],
        }
    }
}

/// A statement of the program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Stmt {
    /// `when cond { then } else { otherwise }`; skipped until everything it reads is defined.
    When { cond: NodeId, then: Vec<Stmt>, otherwise: Vec<Stmt>, at: Pos },
    /// `var := value`
    Assign { var: usize, value: NodeId, at: Pos },
    /// `buy` / `sell` / `short` / `cover` / `exit` / `cancel`
    Order {
        action: OrderAction,
        #[serde(default, skip_serializing_if = "OrderTerms::is_plain")]
        terms: OrderTerms,
        at: Pos,
    },
}

/// An order a rule places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderAction {
    Buy(SizeExpr),
    /// Sells (part of) a long position.
    Sell(SizeExpr),
    /// Sells short.
    Short(SizeExpr),
    /// Buys back (part of) a short position.
    Cover(SizeExpr),
    /// Close the whole position.
    Exit,
    /// Cancel the working orders placed under this name (an index into [`Plan::order_names`]).
    Cancel(u32),
}

impl OrderAction {
    /// The size, for the actions that have one.
    pub fn size(&self) -> Option<&SizeExpr> {
        match self {
            OrderAction::Buy(s) | OrderAction::Sell(s) | OrderAction::Short(s) | OrderAction::Cover(s) => Some(s),
            OrderAction::Exit | OrderAction::Cancel(_) => None,
        }
    }

    /// The keyword that places it.
    pub fn verb(&self) -> &'static str {
        match self {
            OrderAction::Buy(_) => "buy",
            OrderAction::Sell(_) => "sell",
            OrderAction::Short(_) => "short",
            OrderAction::Cover(_) => "cover",
            OrderAction::Exit => "exit",
            OrderAction::Cancel(_) => "cancel",
        }
    }
}

/// What an order says besides its action and size: its price condition, time in force, attached exits and name.
/// Every value is a node evaluated when the order is placed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrderTerms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<NodeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<NodeId>,
    #[serde(default, skip_serializing_if = "TifExpr::is_gtc")]
    pub tif: TifExpr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_loss: Option<LevelExpr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_profit: Option<LevelExpr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<LevelExpr>,
    /// The name it is placed under (an index into [`Plan::order_names`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<u32>,
}

impl OrderTerms {
    /// A market order with nothing attached.
    pub fn is_plain(&self) -> bool {
        *self == OrderTerms::default()
    }

    /// The nodes it reads.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = [self.limit, self.stop].into_iter().flatten().collect();
        if let TifExpr::Bars(n) = self.tif {
            v.push(n);
        }
        v.extend([self.stop_loss, self.take_profit, self.trail].into_iter().flatten().map(|l| l.amount));
        v
    }
}

/// How long a limit or stop order works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TifExpr {
    #[default]
    Gtc,
    Day,
    /// `for N bars`
    Bars(NodeId),
}

impl TifExpr {
    pub fn is_gtc(&self) -> bool {
        *self == TifExpr::Gtc
    }
}

/// An exit level: a price (for a trailing stop, a price distance), or with `%` a percent of the entry's fill price
/// (of the best price since the entry, for a trailing stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelExpr {
    pub amount: NodeId,
    pub percent: bool,
}

/// How big an order is: an expression and its unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeExpr {
    pub unit: SizeUnit,
    pub amount: NodeId,
}

/// The unit of an order size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SizeUnit {
    /// Units of the instrument (shares, coins).
    Units,
    /// `N%`: a buy spends N% of the cash (fee included); a sell sells N% of the position.
    Percent,
    /// An amount of cash (quote currency), fee included.
    Cash,
    /// `risk N% stop PRICE`: N% of the equity lost if the stop (the order's stop-loss) is hit.
    Risk,
}

impl Plan {
    /// A node as source-like text (`sma(close, fast)`, `close[1]`), for `explain` and messages. Named nodes it
    /// reads appear by name.
    pub fn render(&self, id: NodeId) -> String {
        self.render_prec(id, 0, true)
    }

    /// Like [`Plan::render`], but a named node renders as its name.
    pub fn render_ref(&self, id: NodeId) -> String {
        self.render_prec(id, 0, false)
    }

    fn render_prec(&self, id: NodeId, outer: u8, top: bool) -> String {
        let Some(node) = self.nodes.get(id) else {
            return format!("#{id}");
        };
        if !top && let Some(name) = &node.name {
            return name.clone();
        }
        let prec = |op: BinOp| match op {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        };
        let wrap = |s: String, p: u8| if p < outer { format!("({s})") } else { s };
        match &node.op {
            Op::Bar(f) => f.name().to_string(),
            Op::Higher { field, period } => format!("{}@{}", field.name(), crate::time::format_period(*period)),
            Op::Account(f) => f.name().to_string(),
            Op::Const(v) if node.ty == ValueType::Bool => (if *v != 0.0 { "true" } else { "false" }).to_string(),
            Op::Const(v) => format_number(*v),
            Op::Param(i) => self.params.get(*i).map_or_else(|| format!("param#{i}"), |p| p.name.clone()),
            Op::Var(i) => self.vars.get(*i).map_or_else(|| format!("var#{i}"), |v| v.name.clone()),
            Op::Neg(a) => wrap(format!("-{}", self.render_prec(*a, 7, false)), 7),
            Op::Not(a) => wrap(format!("not {}", self.render_prec(*a, 3, false)), 3),
            Op::Binary(op, a, b) => {
                let p = prec(*op);
                wrap(
                    format!(
                        "{} {} {}",
                        self.render_prec(*a, p, false),
                        op.symbol(),
                        self.render_prec(*b, p + 1, false)
                    ),
                    p,
                )
            }
            Op::Select(c, a, b) => wrap(
                format!(
                    "{} ? {} : {}",
                    self.render_prec(*c, 1, false),
                    self.render_prec(*a, 1, false),
                    self.render_prec(*b, 0, false)
                ),
                0,
            ),
            Op::Math(f, args) => {
                format!("{}({})", f.name(), args.iter().map(|&a| self.render_ref(a)).collect::<Vec<_>>().join(", "))
            }
            Op::History { of, offset } => {
                format!("{}[{}]", self.render_prec(*of, 8, false), offset.render(&self.params))
            }
            Op::Indicator { name, inputs, params } => {
                let spec = strata_stdlib::registry::lookup(name);
                let mut args: Vec<String> = inputs
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| spec.is_none_or(|s| s.inputs.get(*k).is_none_or(|i| i.implicit.is_none())))
                    .map(|(_, &a)| self.render_ref(a))
                    .collect();
                args.extend(params.iter().map(|c| c.render(&self.params)));
                // The bar fields it reads implicitly come from a longer timeframe: `atr(14)@1d`.
                let frame = inputs.iter().find_map(|&i| match self.nodes.get(i).map(|n| &n.op) {
                    Some(Op::Higher { period, .. })
                        if spec.is_some_and(|s| {
                            s.inputs.iter().zip(inputs).any(|(inp, &n)| inp.implicit.is_some() && n == i)
                        }) =>
                    {
                        Some(format!("@{}", crate::time::format_period(*period)))
                    }
                    _ => None,
                });
                format!("{name}({}){}", args.join(", "), frame.unwrap_or_default())
            }
            Op::Cross { f, of, count } => match count {
                Some(n) => format!("{}({}, {})", f.name(), self.render_ref(*of), n.render(&self.params)),
                None => format!("{}({})", f.name(), self.render_ref(*of)),
            },
            Op::Output { of, index } => {
                let name = match &self.nodes.get(*of).map(|n| &n.op) {
                    Some(Op::Indicator { name, .. }) => strata_stdlib::registry::lookup(name)
                        .and_then(|s| s.outputs.get(*index))
                        .map_or_else(|| index.to_string(), |o| o.name.to_string()),
                    _ => index.to_string(),
                };
                format!("{}.{name}", self.render_prec(*of, 8, false))
            }
        }
    }

    /// The parameter values with every default.
    pub fn default_params(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.default).collect()
    }

    /// The index of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_valued_logic() {
        let n = f64::NAN;
        assert_eq!(BinOp::And.apply(0.0, n), 0.0);
        assert!(BinOp::And.apply(1.0, n).is_nan());
        assert_eq!(BinOp::Or.apply(n, 1.0), 1.0);
        assert!(BinOp::Or.apply(0.0, n).is_nan());
        assert!(BinOp::Gt.apply(n, 1.0).is_nan());
        assert!(BinOp::Div.apply(1.0, 0.0).is_nan());
    }

    #[test]
    fn const_expressions_evaluate_with_params() {
        let c = Const::Bin(BinOp::Mul, Box::new(Const::Param(1)), Box::new(Const::Num(2.0)));
        assert_eq!(c.eval(&[5.0, 7.0]), 14.0);
    }

    #[test]
    fn plan_round_trips_through_json() {
        let plan = Plan {
            name: "t".into(),
            source: "t.strat".into(),
            params: vec![ParamDecl {
                name: "n".into(),
                ty: ParamType::Int,
                default: 3.0,
                range: Some(ParamRange { min: 1.0, max: 9.0, step: Some(1.0) }),
                at: Pos { line: 1, col: 1 },
            }],
            vars: vec![],
            nodes: vec![
                Node { op: Op::Bar(BarField::Close), ty: ValueType::Number, at: Pos::default(), name: None },
                Node {
                    op: Op::Indicator { name: "sma".into(), inputs: vec![0], params: vec![Const::Param(0)] },
                    ty: ValueType::Number,
                    at: Pos::default(),
                    name: Some("avg".into()),
                },
            ],
            program: vec![Stmt::Order { action: OrderAction::Exit, terms: OrderTerms::default(), at: Pos::default() }],
            outputs: vec![PlanOutput { name: "avg".into(), node: 1 }],
            script: Some(ScriptInfo { language: "rhai".into(), entry: "on_bar".into(), tier: String::new() }),
            pyramiding: Some(2),
            order_names: vec!["dip".into()],
            symbols: vec![],
        };
        let json = serde_json::to_string(&plan).unwrap();
        let back: Plan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, plan);
    }
}
