//! Name resolution, type checking and lowering: the AST → a [`Plan`].
//!
//! Design choice: one pass over the file, top to bottom, that resolves, checks and emits at once — each
//! expression becomes a node in the plan's DAG, interned so that the same computation written twice is one node.
//! Errors do not stop the pass: an expression that failed lowers to an "error" value that silences the errors it
//! would cause downstream, so the user sees every independent mistake of a file at once.

use std::collections::HashMap;

use strata_runtime::bind::{BindError, bind};
use strata_runtime::plan::{
    AccountField, BinOp, Const, CrossFn, LevelExpr, MathFn, Node, NodeId, Op, OrderAction, OrderTerms, ParamDecl,
    ParamRange, ParamType, Plan, PlanOutput, Pos, SizeExpr, SizeUnit as PlanSize, Stmt as PlanStmt, TifExpr, ValueType,
    VarDecl,
};
use strata_runtime::suggest;
use strata_stdlib::registry::{self, IndicatorSpec, ParamKind};
use strata_stdlib::{BarField, ValueKind};

use super::ast::*;
use super::diagnostic::{Diagnostic, Source};

/// A successful compilation.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub plan: Plan,
    pub warnings: Vec<Diagnostic>,
}

#[derive(Debug, Clone)]
enum Val {
    Series {
        node: NodeId,
        ty: ValueType,
    },
    /// An indicator with several outputs; pick one with `.name`.
    Multi {
        node: NodeId,
        spec: &'static IndicatorSpec,
    },
    /// Already reported.
    Error,
}

#[derive(Debug, Clone)]
enum Binding {
    Param {
        index: usize,
    },
    /// `expr` is kept to compute the same series on a longer timeframe (`name@1d`).
    Let {
        val: Val,
        konst: Option<Const>,
        expr: Box<Expr>,
    },
    Var {
        index: usize,
        ty: ValueType,
    },
}

#[derive(Debug, Clone)]
struct Declared {
    binding: Binding,
    span: Span,
    used: bool,
    kind: &'static str,
}

const ACCOUNT_NAMES: [(&str, AccountField); 5] = [
    ("position", AccountField::Position),
    ("equity", AccountField::Equity),
    ("cash", AccountField::Cash),
    ("entry_price", AccountField::EntryPrice),
    ("bars_in_trade", AccountField::BarsInTrade),
];

struct Lowerer<'a> {
    src: &'a Source<'a>,
    /// False when compiling bare expressions (`strata ta`): there is no account to read.
    account: bool,
    params: Vec<ParamDecl>,
    vars: Vec<VarDecl>,
    nodes: Vec<Node>,
    interned: HashMap<String, NodeId>,
    /// Per node: the var it depends on, if any (such nodes change while the program runs).
    var_dep: Vec<Option<usize>>,
    scope: HashMap<String, Declared>,
    /// Declared names in order, for suggestions (deterministic).
    order: Vec<String>,
    /// Every name declared anywhere in the file, with where (for "used before its declaration").
    all_decls: HashMap<String, Span>,
    diags: Vec<Diagnostic>,
    /// Order names, in order of first use; and those an order was placed under (`as NAME`).
    order_names: Vec<String>,
    /// The universe declared with `symbols`, upper case, and where.
    symbols: Vec<String>,
    symbols_span: Option<Span>,
    named_orders: Vec<bool>,
    /// `cancel NAME`s, checked once every `as NAME` is known.
    cancels: Vec<Ident>,
    pyramiding: Option<(u32, Span)>,
    /// While lowering `x@1h`'s `x`: the timeframe's period (ms) and where it was written. Bar fields read there —
    /// named or read implicitly by an indicator — are that timeframe's.
    frame: Option<(i64, Span)>,
}

/// Compiles a `.strat` source. `label` names the file in diagnostics and in the plan.
pub fn compile(label: &str, text: &str) -> Result<Compiled, Vec<Diagnostic>> {
    let file = super::parse::parse_file(text).map_err(|d| vec![d])?;
    let src = Source::new(label, text);
    let mut l = Lowerer::new(&src);
    for item in &file.items {
        if let Item::Param { name, .. } | Item::Let { name, .. } | Item::Var { name, .. } = item {
            l.all_decls.entry(name.name.clone()).or_insert(name.span);
        }
    }
    let mut program = Vec::new();
    for item in &file.items {
        match item {
            Item::Param { name, default, range, .. } => l.param(name, default, range.as_ref()),
            Item::Let { name, value, .. } => l.let_decl(name, value),
            Item::Var { name, init, .. } => l.var_decl(name, init),
            Item::Pyramiding { value, span } => l.pyramiding_decl(value, *span),
            Item::Symbols { names, span } => l.symbols_decl(names, *span),
            Item::Stmt(s) => {
                if let Some(s) = l.stmt(s) {
                    program.push(s);
                }
            }
        }
    }
    l.check_cancels();
    // Unused-name warnings only help once the file compiles; with errors they are noise.
    if !l.has_errors() {
        l.unused_warnings();
    }
    if program.is_empty() && !l.has_errors() {
        l.diags.push(Diagnostic::warning(
            Span::new(0, 0),
            "the strategy has no rules: it will never trade (add `when CONDITION { buy 100% }`)",
        ));
    }
    let name = file.header.map(|(n, _)| n).unwrap_or_else(|| file_stem(label));
    let plan = Plan {
        name,
        source: label.to_string(),
        params: l.params,
        vars: l.vars,
        nodes: l.nodes,
        program,
        outputs: vec![],
        script: None,
        pyramiding: l.pyramiding.map(|(n, _)| n),
        order_names: l.order_names,
        symbols: l.symbols,
    };
    let mut diags = l.diags;
    if !diags.iter().any(|d| d.severity == super::diagnostic::Severity::Error) {
        // Safety net: the plan must bind with its defaults (every check above should have caught problems first).
        if let Err(e) = bind(&plan, &plan.default_params()) {
            let span = match &e {
                BindError::Indicator { at, .. } | BindError::BadOffset { at, .. } => span_of_pos(&src, *at),
                _ => Span::new(0, 0),
            };
            diags.push(Diagnostic::error(span, e.to_string()));
        }
    }
    if diags.iter().any(|d| d.severity == super::diagnostic::Severity::Error) {
        return Err(diags);
    }
    Ok(Compiled { plan, warnings: diags })
}

/// A named expression to compute (`strata ta NAME=EXPR`).
#[derive(Debug, Clone)]
pub struct NamedExpr {
    /// The output's name.
    pub name: String,
    /// How diagnostics name the expression (e.g. `expression 'fast'`).
    pub label: String,
    pub text: String,
}

/// Compiles named expressions into one plan with no rules whose `outputs` are the expressions, computations shared
/// between them. On failure, the diagnostics of each failing expression (by index).
pub fn compile_expressions(exprs: &[NamedExpr]) -> Result<Plan, Vec<(usize, Vec<Diagnostic>)>> {
    let sources: Vec<Source> = exprs.iter().map(|e| Source::new(&e.label, &e.text)).collect();
    let Some(first) = sources.first() else {
        return Ok(Plan {
            name: "expressions".into(),
            source: String::new(),
            params: vec![],
            vars: vec![],
            nodes: vec![],
            program: vec![],
            outputs: vec![],
            script: None,
            pyramiding: None,
            order_names: vec![],
            symbols: vec![],
        });
    };
    let mut l = Lowerer::new(first);
    l.account = false;
    let mut failed = Vec::new();
    let mut outputs = Vec::new();
    for (i, (e, src)) in exprs.iter().zip(&sources).enumerate() {
        l.src = src;
        let before = l.diags.len();
        let node = match super::parse::parse_expression(&e.text) {
            Err(d) => {
                l.diags.push(d);
                None
            }
            Ok(ast) => match l.expr(&ast) {
                Val::Series { node, .. } => Some(node),
                Val::Multi { spec, .. } => {
                    l.multi_misuse(ast.span(), spec);
                    None
                }
                Val::Error => None,
            },
        };
        let diags: Vec<Diagnostic> = l.diags.drain(before..).collect();
        match node {
            Some(node) if diags.is_empty() => outputs.push(PlanOutput { name: e.name.clone(), node }),
            _ => failed.push((i, diags)),
        }
    }
    if !failed.is_empty() {
        return Err(failed);
    }
    let plan = Plan {
        name: "expressions".into(),
        source: String::new(),
        params: l.params,
        vars: l.vars,
        nodes: l.nodes,
        program: vec![],
        outputs,
        script: None,
        pyramiding: None,
        order_names: vec![],
        symbols: vec![],
    };
    if let Err(e) = bind(&plan, &[]) {
        return Err(vec![(0, vec![Diagnostic::error(Span::new(0, 0), e.to_string())])]);
    }
    Ok(plan)
}

/// A declaration of a strategy whose rules are a script (Rhai): a param or a named series, with where the script
/// declares it. The series become the plan's `outputs`, which the script reads on every bar.
#[derive(Debug, Clone)]
pub enum Declaration {
    Param {
        name: String,
        default: f64,
        whole: bool,
        range: Option<ParamRange>,
        at: Span,
    },
    Series {
        name: String,
        /// The expression, in the `.strat` expression language.
        expr: String,
        at: Span,
        /// Byte offset of the expression's text in the script, when the script writes it literally (so that a
        /// diagnostic can point inside it); otherwise diagnostics point at `at`.
        expr_at: Option<usize>,
    },
}

/// Compiles the declarations of a scripted strategy (`label`, source `text`) into a plan with no program: its
/// params, and its series as named `outputs`, computed natively. `script` says which language decides.
pub fn compile_declarations(
    label: &str,
    text: &str,
    name: &str,
    decls: &[Declaration],
    script: strata_runtime::plan::ScriptInfo,
) -> Result<Plan, Vec<Diagnostic>> {
    let src = Source::new(label, text);
    let mut l = Lowerer::new(&src);
    let mut outputs = Vec::new();
    for d in decls {
        match d {
            Declaration::Param { name, default, whole, range, at } => {
                let lit = |value: f64, whole: bool| Literal { value, whole, span: *at };
                let range = range.map(|r| Range {
                    min: lit(r.min, r.min.fract() == 0.0),
                    max: lit(r.max, r.max.fract() == 0.0),
                    step: r.step.map(|s| lit(s, s.fract() == 0.0)),
                    span: *at,
                });
                l.param(&Ident { name: name.clone(), span: *at }, &lit(*default, *whole), range.as_ref());
            }
            Declaration::Series { name, expr, at, expr_at } => {
                let parsed = match expr_at {
                    Some(offset) => super::parse::parse_expression_at(expr, *offset),
                    None => super::parse::parse_expression(expr)
                        .map(|e| super::parse::map_spans(e, &|_| *at))
                        .map_err(|d| Diagnostic { span: *at, ..d }),
                };
                let ast = match parsed {
                    Ok(ast) => ast,
                    Err(d) => {
                        l.diags.push(d);
                        continue;
                    }
                };
                let before = l.diags.len();
                let ident = Ident { name: name.clone(), span: *at };
                l.let_decl(&ident, &ast);
                if l.diags.len() > before {
                    continue;
                }
                match l.scope.get(name).map(|d| &d.binding) {
                    Some(Binding::Let { val: Val::Series { node, .. }, .. }) => {
                        outputs.push(PlanOutput { name: name.clone(), node: *node })
                    }
                    Some(Binding::Let { val: Val::Multi { spec, .. }, .. }) => {
                        let spec = *spec;
                        l.multi_misuse(ast.span(), spec);
                    }
                    _ => {}
                }
            }
        }
    }
    if l.has_errors() {
        return Err(l.diags);
    }
    let plan = Plan {
        name: name.to_string(),
        source: label.to_string(),
        params: l.params,
        vars: l.vars,
        nodes: l.nodes,
        program: vec![],
        outputs,
        script: Some(script),
        pyramiding: None,
        order_names: vec![],
        symbols: vec![],
    };
    if let Err(e) = bind(&plan, &plan.default_params()) {
        let span = match &e {
            BindError::Indicator { at, .. } | BindError::BadOffset { at, .. } => span_of_pos(&src, *at),
            _ => Span::new(0, 0),
        };
        return Err(vec![Diagnostic::error(span, e.to_string())]);
    }
    Ok(plan)
}

fn file_stem(label: &str) -> String {
    std::path::Path::new(label).file_stem().map_or_else(|| label.to_string(), |s| s.to_string_lossy().into_owned())
}

fn span_of_pos(src: &Source, pos: Pos) -> Span {
    let mut offset = 0;
    for (i, line) in src.text.split_inclusive('\n').enumerate() {
        if i + 1 == pos.line as usize {
            let col: usize = line.chars().take(pos.col as usize - 1).map(char::len_utf8).sum();
            return Span::new(offset + col, offset + col + 1);
        }
        offset += line.len();
    }
    Span::new(0, 0)
}

impl<'a> Lowerer<'a> {
    fn new(src: &'a Source<'a>) -> Self {
        Self {
            src,
            account: true,
            params: Vec::new(),
            vars: Vec::new(),
            nodes: Vec::new(),
            interned: HashMap::new(),
            var_dep: Vec::new(),
            scope: HashMap::new(),
            order: Vec::new(),
            all_decls: HashMap::new(),
            diags: Vec::new(),
            order_names: Vec::new(),
            symbols: Vec::new(),
            symbols_span: None,
            named_orders: Vec::new(),
            cancels: Vec::new(),
            pyramiding: None,
            frame: None,
        }
    }

    fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.severity == super::diagnostic::Severity::Error)
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) -> Val {
        self.diags.push(Diagnostic::error(span, msg));
        Val::Error
    }

    fn pos(&self, span: Span) -> Pos {
        let (line, col) = self.src.line_col(span.start);
        Pos { line: line as u32, col: col as u32 }
    }

    fn line_of(&self, span: Span) -> usize {
        self.src.line_col(span.start).0
    }

    fn text(&self, span: Span) -> &str {
        &self.src.text[span.start..span.end]
    }

    // ---- nodes -------------------------------------------------------------------------------------------

    fn node(&mut self, op: Op, ty: ValueType, span: Span) -> NodeId {
        let key = format!("{op:?}|{ty:?}");
        if let Some(&id) = self.interned.get(&key) {
            return id;
        }
        let dep = match &op {
            Op::Var(v) => Some(*v),
            // A past value is known before the program runs.
            Op::History { .. } => None,
            other => other.inputs().iter().find_map(|&i| self.var_dep[i]),
        };
        let id = self.nodes.len();
        self.nodes.push(Node { op, ty, at: self.pos(span), name: None });
        self.var_dep.push(dep);
        self.interned.insert(key, id);
        id
    }

    fn series(&mut self, op: Op, ty: ValueType, span: Span) -> Val {
        Val::Series { node: self.node(op, ty, span), ty }
    }

    fn const_of(&self, node: NodeId) -> Option<f64> {
        match self.nodes[node].op {
            Op::Const(v) => Some(v),
            _ => None,
        }
    }

    // ---- declarations ------------------------------------------------------------------------------------

    fn reserved(&self, name: &str) -> Option<String> {
        if BarField::from_name(name).is_some() {
            return Some(format!("'{name}' is a built-in series (open, high, low, close, volume, time)"));
        }
        if ACCOUNT_NAMES.iter().any(|(n, _)| *n == name) {
            return Some(format!("'{name}' is a built-in account value"));
        }
        if registry::lookup(name).is_some() {
            return Some(format!("'{name}' is the name of an indicator"));
        }
        if MathFn::from_name(name).is_some() || CrossFn::from_name(name).is_some() {
            return Some(format!("'{name}' is the name of a function"));
        }
        None
    }

    /// Checks that `name` can be declared; reports and returns false if not.
    fn declarable(&mut self, name: &Ident) -> bool {
        if let Some(why) = self.reserved(&name.name) {
            self.error(name.span, format!("cannot declare '{}': {why}", name.name));
            return false;
        }
        if let Some(prev) = self.scope.get(&name.name) {
            let line = self.line_of(prev.span);
            let kind = prev.kind;
            self.error(name.span, format!("'{}' is already declared ({kind} on line {line})", name.name));
            return false;
        }
        true
    }

    fn declare(&mut self, name: &Ident, binding: Binding, kind: &'static str) {
        self.order.push(name.name.clone());
        self.scope.insert(name.name.clone(), Declared { binding, span: name.span, used: false, kind });
    }

    fn param(&mut self, name: &Ident, default: &Literal, range: Option<&Range>) {
        if !self.declarable(name) {
            return;
        }
        let mut whole = default.whole;
        let mut bad = false;
        let range = range.map(|r| {
            whole &= r.min.whole && r.max.whole && r.step.is_none_or(|s| s.whole);
            if r.min.value > r.max.value {
                self.error(r.span, format!("empty range: {} is above {}", r.min.value, r.max.value));
                bad = true;
            }
            if let Some(s) = r.step
                && s.value <= 0.0
            {
                self.error(s.span, "step must be positive");
                bad = true;
            }
            ParamRange { min: r.min.value, max: r.max.value, step: r.step.map(|s| s.value) }
        });
        if !default.value.is_finite() {
            self.error(default.span, "the default must be a finite number");
            bad = true;
        }
        if let Some(r) = range
            && !bad
            && (default.value < r.min || default.value > r.max)
        {
            self.error(default.span, format!("default {} is outside the range {}..{}", default.value, r.min, r.max));
        }
        let index = self.params.len();
        self.params.push(ParamDecl {
            name: name.name.clone(),
            ty: if whole { ParamType::Int } else { ParamType::Float },
            default: default.value,
            range,
            at: self.pos(name.span),
        });
        self.declare(name, Binding::Param { index }, "param");
    }

    fn let_decl(&mut self, name: &Ident, value: &Expr) {
        let ok = self.declarable(name);
        let konst = self.try_const(value);
        let val = self.expr(value);
        if let Val::Series { node, .. } | Val::Multi { node, .. } = val {
            let n = &mut self.nodes[node];
            let computed = !matches!(n.op, Op::Bar(_) | Op::Account(_) | Op::Const(_) | Op::Param(_) | Op::Var(_));
            if computed && n.name.is_none() {
                n.name = Some(name.name.clone());
            }
        }
        if ok {
            self.declare(name, Binding::Let { val, konst, expr: Box::new(value.clone()) }, "let");
        }
    }

    fn var_decl(&mut self, name: &Ident, init: &Expr) {
        let ok = self.declarable(name);
        let ty = match self.expr(init) {
            Val::Series { ty, .. } => Some(ty),
            Val::Multi { .. } => {
                self.error(init.span(), "a var holds one number or bool, not an indicator with several outputs");
                None
            }
            Val::Error => None,
        };
        let Some(ty) = ty else { return };
        let Some(konst) = self.try_const(init) else {
            self.error(
                init.span(),
                format!(
                    "a var's initial value must be a constant or a param, found '{}'; \
                     set it from a series with `{} := ...` in a rule",
                    self.text(init.span()),
                    name.name
                ),
            );
            return;
        };
        if !ok {
            return;
        }
        let index = self.vars.len();
        self.vars.push(VarDecl { name: name.name.clone(), ty, init: konst, at: self.pos(name.span) });
        self.declare(name, Binding::Var { index, ty }, "var");
    }

    fn unused_warnings(&mut self) {
        let mut unused: Vec<(Span, String, &'static str)> = self
            .scope
            .iter()
            .filter(|(_, d)| !d.used && !matches!(d.binding, Binding::Var { .. }))
            .map(|(n, d)| (d.span, n.clone(), d.kind))
            .collect();
        unused.sort_by_key(|(s, _, _)| s.start);
        for (span, name, kind) in unused {
            self.diags.push(Diagnostic::warning(span, format!("{kind} '{name}' is never used")));
        }
    }

    // ---- constants ---------------------------------------------------------------------------------------

    /// The expression as a constant over params, if it is one (no diagnostics).
    /// Names it reads count as used.
    fn try_const(&mut self, e: &Expr) -> Option<Const> {
        match e {
            Expr::Number { value, .. } => Some(Const::Num(*value)),
            Expr::Bool { value, .. } => Some(Const::Num(if *value { 1.0 } else { 0.0 })),
            Expr::Name(id) => {
                let d = self.scope.get_mut(&id.name)?;
                match &d.binding {
                    Binding::Param { index } => {
                        d.used = true;
                        Some(Const::Param(*index))
                    }
                    Binding::Let { konst, .. } => {
                        let k = konst.clone();
                        d.used |= k.is_some();
                        k
                    }
                    Binding::Var { .. } => None,
                }
            }
            Expr::Unary { op: UnaryOp::Neg, operand, .. } => Some(Const::Neg(Box::new(self.try_const(operand)?))),
            Expr::Binary { op, lhs, rhs, .. } if matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div) => {
                Some(Const::Bin(*op, Box::new(self.try_const(lhs)?), Box::new(self.try_const(rhs)?)))
            }
            _ => None,
        }
    }

    fn defaults(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.default).collect()
    }

    // ---- expressions -------------------------------------------------------------------------------------

    /// Lowers an expression that must be a single series of type `want` (reports otherwise).
    fn typed(&mut self, e: &Expr, want: ValueType, role: &str) -> Option<NodeId> {
        match self.expr(e) {
            Val::Series { node, ty } if ty == want => Some(node),
            Val::Series { ty, .. } => {
                let help = match want {
                    ValueType::Bool => "; compare it, e.g. `x > 0`",
                    ValueType::Number => "",
                };
                self.error(e.span(), format!("{role} must be a {}, found a {}{help}", want.name(), ty.name()));
                None
            }
            Val::Multi { spec, .. } => {
                self.multi_misuse(e.span(), spec);
                None
            }
            Val::Error => None,
        }
    }

    fn multi_misuse(&mut self, span: Span, spec: &IndicatorSpec) -> Val {
        let outs: Vec<&str> = spec.outputs.iter().map(|o| o.name).collect();
        let msg = format!(
            "{} has several outputs ({}): pick one, e.g. `{}.{}`",
            spec.name,
            outs.join(", "),
            self.text(span),
            outs[0]
        );
        self.error(span, msg)
    }

    fn expr(&mut self, e: &Expr) -> Val {
        match e {
            Expr::Number { value, span } => self.series(Op::Const(*value), ValueType::Number, *span),
            Expr::Bool { value, span } => {
                self.series(Op::Const(if *value { 1.0 } else { 0.0 }), ValueType::Bool, *span)
            }
            Expr::Name(id) => self.name(id),
            Expr::Call { name, args, span } => self.call(name, args, *span),
            Expr::Unary { op, operand, span } => self.unary(*op, operand, *span),
            Expr::Binary { op, lhs, rhs, span } => self.binary(*op, lhs, rhs, *span),
            Expr::Index { target, offset, span } => self.index(target, offset, *span),
            Expr::Member { target, name, span } => self.member(target, name, *span),
            Expr::Frame { target, frame, span } => self.timeframe(target, frame, *span),
            Expr::Conditional { cond, then, otherwise, span } => {
                let c = self.typed(cond, ValueType::Bool, "the condition of `? :`");
                let a = self.expr(then);
                let b = self.expr(otherwise);
                match (c, a, b) {
                    (Some(c), Val::Series { node: a, ty: ta }, Val::Series { node: b, ty: tb }) => {
                        if ta != tb {
                            return self.error(
                                *span,
                                format!(
                                    "both branches of `? :` must have the same type, found {} and {}",
                                    ta.name(),
                                    tb.name()
                                ),
                            );
                        }
                        self.series(Op::Select(c, a, b), ta, *span)
                    }
                    (_, Val::Multi { spec, .. }, _) => self.multi_misuse(then.span(), spec),
                    (_, _, Val::Multi { spec, .. }) => self.multi_misuse(otherwise.span(), spec),
                    _ => Val::Error,
                }
            }
        }
    }

    /// A bar field: the data's, or inside `x@1h` the timeframe's.
    fn bar_field(&mut self, field: BarField, span: Span) -> NodeId {
        match self.frame {
            Some((period, _)) => self.node(Op::Higher { field, period }, ValueType::Number, span),
            None => self.node(Op::Bar(field), ValueType::Number, span),
        }
    }

    /// `target@frame`: lowers `target` with its bar fields on the timeframe.
    fn timeframe(&mut self, target: &Expr, frame: &Ident, span: Span) -> Val {
        let period = match parse_timeframe(&frame.name) {
            Ok(p) => p,
            Err(msg) => {
                self.expr(target);
                self.diags.push(
                    Diagnostic::error(frame.span, msg)
                        .with_help("a timeframe is a whole number and a unit: 30s, 15m, 1h, 4h, 1d, 1w"),
                );
                return Val::Error;
            }
        };
        if let Some((outer, outer_span)) = self.frame
            && outer != period
        {
            self.expr(target);
            let outer_text = self.text(outer_span).to_string();
            return self.error(
                frame.span,
                format!(
                    "`{}` is inside `@{outer_text}`: one series cannot be on two timeframes; give each part its own, \
                     as in `close@1d - close@1h`",
                    self.text(span)
                ),
            );
        }
        let outer = self.frame.replace((period, frame.span));
        let v = self.expr(target);
        self.frame = outer;
        v
    }

    fn name(&mut self, id: &Ident) -> Val {
        if let Some(f) = BarField::from_name(&id.name) {
            let node = self.bar_field(f, id.span);
            return Val::Series { node, ty: ValueType::Number };
        }
        if let (Some((_, at)), true) = (self.frame, ACCOUNT_NAMES.iter().any(|(n, _)| *n == id.name)) {
            let tf = self.text(at).to_string();
            return self.error(
                id.span,
                format!(
                    "'{}' is an account value, known on the data's bars only: it has no @{tf}; read it outside the \
                     timeframe",
                    id.name
                ),
            );
        }
        if let Some((_, f)) = ACCOUNT_NAMES.iter().find(|(n, _)| *n == id.name) {
            if !self.account {
                return self.error(
                    id.span,
                    format!("'{}' is an account value: there is no account here, only the bars", id.name),
                );
            }
            return self.series(Op::Account(*f), ValueType::Number, id.span);
        }
        if let Some(d) = self.scope.get_mut(&id.name) {
            d.used = true;
            let binding = d.binding.clone();
            return match binding {
                Binding::Param { index } => self.series(Op::Param(index), ValueType::Number, id.span),
                // On a timeframe, a `let` is computed again from its expression, on that timeframe's bars.
                Binding::Let { val: Val::Error, .. } => Val::Error,
                Binding::Let { expr, .. } if self.frame.is_some() => self.expr(&expr),
                Binding::Let { val, .. } => val,
                Binding::Var { .. } if self.frame.is_some() => {
                    let tf = self.frame.map(|(_, at)| self.text(at).to_string()).unwrap_or_default();
                    self.error(
                        id.span,
                        format!(
                            "var '{}' changes while rules run on the data's bars: it has no @{tf}; read it outside \
                             the timeframe",
                            id.name
                        ),
                    )
                }
                Binding::Var { index, ty } => self.series(Op::Var(index), ty, id.span),
            };
        }
        if let Some(spec) = registry::lookup(&id.name) {
            return self
                .error(id.span, format!("'{}' is an indicator: call it, as in `{}`", id.name, spec.signature()));
        }
        if let Some(f) = MathFn::from_name(&id.name) {
            return self.error(id.span, format!("'{}' is a function: call it, as in `{}(x)`", id.name, f.name()));
        }
        if let Some(&later) = self.all_decls.get(&id.name) {
            let line = self.line_of(later);
            return self.error(id.span, format!("'{}' is used before its declaration on line {line}", id.name));
        }
        let mut candidates: Vec<&str> = BarField::ALL.iter().map(|f| f.name()).collect();
        candidates.extend(ACCOUNT_NAMES.iter().map(|(n, _)| *n));
        candidates.extend(self.order.iter().map(String::as_str));
        let msg = match suggest::closest(&id.name, candidates) {
            Some(s) => format!("unknown name '{}' — did you mean '{s}'?", id.name),
            None => format!("unknown name '{}'", id.name),
        };
        self.error(id.span, msg)
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span) -> Val {
        match op {
            UnaryOp::Neg => {
                let Some(a) = self.typed(operand, ValueType::Number, "the operand of '-'") else {
                    return Val::Error;
                };
                if let Some(v) = self.const_of(a) {
                    return self.series(Op::Const(-v), ValueType::Number, span);
                }
                self.series(Op::Neg(a), ValueType::Number, span)
            }
            UnaryOp::Not => {
                let Some(a) = self.typed(operand, ValueType::Bool, "the operand of 'not'") else {
                    return Val::Error;
                };
                self.series(Op::Not(a), ValueType::Bool, span)
            }
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, span: Span) -> Val {
        let (operand, result) = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => (Some(ValueType::Number), ValueType::Number),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (Some(ValueType::Number), ValueType::Bool),
            BinOp::Eq | BinOp::Ne => (None, ValueType::Bool),
            BinOp::And | BinOp::Or => (Some(ValueType::Bool), ValueType::Bool),
        };
        let (a, b) = match operand {
            Some(t) => {
                let role_l = format!("the left side of '{}'", op.symbol());
                let role_r = format!("the right side of '{}'", op.symbol());
                let a = self.typed(lhs, t, &role_l);
                let b = self.typed(rhs, t, &role_r);
                match (a, b) {
                    (Some(a), Some(b)) => (a, b),
                    _ => return Val::Error,
                }
            }
            None => {
                let a = self.expr(lhs);
                let b = self.expr(rhs);
                match (a, b) {
                    (Val::Series { node: a, ty: ta }, Val::Series { node: b, ty: tb }) => {
                        if ta != tb {
                            return self.error(
                                span,
                                format!("'{}' compares a {} with a {}", op.symbol(), ta.name(), tb.name()),
                            );
                        }
                        (a, b)
                    }
                    (Val::Multi { spec, .. }, _) => return self.multi_misuse(lhs.span(), spec),
                    (_, Val::Multi { spec, .. }) => return self.multi_misuse(rhs.span(), spec),
                    _ => return Val::Error,
                }
            }
        };
        if let (Some(x), Some(y)) = (self.const_of(a), self.const_of(b)) {
            return self.series(Op::Const(op.apply(x, y)), result, span);
        }
        self.series(Op::Binary(op, a, b), result, span)
    }

    fn index(&mut self, target: &Expr, offset: &Expr, span: Span) -> Val {
        let t = self.expr(target);
        let Some(c) = self.try_const(offset) else {
            // Lower it anyway to report errors inside it.
            if let Val::Error = self.expr(offset) {
                return Val::Error;
            }
            return self.error(
                offset.span(),
                format!("a history offset must be a constant or a param, found '{}'", self.text(offset.span())),
            );
        };
        let v = c.eval(&self.defaults());
        if v < 0.0 {
            return self.error(
                offset.span(),
                format!(
                    "negative history offset {}: `{}` would read the future; offsets count bars back and must be ≥ 0",
                    strata_runtime::fmt_num(v),
                    self.text(span)
                ),
            );
        }
        if !v.is_finite() || v.fract() != 0.0 {
            return self.error(
                offset.span(),
                format!("a history offset must be a whole number of bars, found {}", strata_runtime::fmt_num(v)),
            );
        }
        match t {
            Val::Series { node, ty } => {
                if v == 0.0 && matches!(c, Const::Num(_)) {
                    return Val::Series { node, ty };
                }
                self.series(Op::History { of: node, offset: c }, ty, span)
            }
            Val::Multi { spec, .. } => self.multi_misuse(target.span(), spec),
            Val::Error => Val::Error,
        }
    }

    fn member(&mut self, target: &Expr, name: &Ident, span: Span) -> Val {
        match self.expr(target) {
            Val::Multi { node, spec } => match spec.outputs.iter().position(|o| o.name == name.name) {
                Some(index) => {
                    let ty = value_type(spec.outputs[index].kind);
                    self.series(Op::Output { of: node, index }, ty, span)
                }
                None => {
                    let names: Vec<&str> = spec.outputs.iter().map(|o| o.name).collect();
                    let hint = suggest::hint(&name.name, names.iter().copied());
                    self.error(
                        name.span,
                        format!(
                            "{} has no output '{}'{hint} (its outputs: {})",
                            spec.name,
                            name.name,
                            names.join(", ")
                        ),
                    )
                }
            },
            Val::Series { .. } => self.error(
                name.span,
                format!(
                    "'.{}' picks an output of an indicator with several; `{}` has one",
                    name.name,
                    self.text(target.span())
                ),
            ),
            Val::Error => Val::Error,
        }
    }

    fn call(&mut self, name: &Ident, args: &[Expr], span: Span) -> Val {
        if let Some(f) = MathFn::from_name(&name.name) {
            return self.math(f, name, args, span);
        }
        if let Some(f) = CrossFn::from_name(&name.name) {
            return self.cross(f, args, span);
        }
        let Some(spec) = registry::lookup(&name.name) else {
            for a in args {
                self.expr(a);
            }
            if BarField::from_name(&name.name).is_some()
                || ACCOUNT_NAMES.iter().any(|(n, _)| *n == name.name)
                || self.scope.contains_key(&name.name)
            {
                return self
                    .error(name.span, format!("'{}' is a series, not a function; use it without `(...)`", name.name));
            }
            let mut candidates: Vec<&str> = registry::all().iter().map(|s| s.name).collect();
            candidates.extend(MathFn::ALL.iter().map(|f| f.name()));
            candidates.extend(CrossFn::ALL.iter().map(|f| f.name()));
            let msg = match suggest::closest(&name.name, candidates) {
                Some(s) => format!("unknown indicator '{}' — did you mean '{s}'?", name.name),
                None => format!("unknown indicator or function '{}'", name.name),
            };
            self.diags.push(Diagnostic::error(name.span, msg).with_help("`strata help indicators` lists them all"));
            return Val::Error;
        };
        self.indicator(spec, name, args, span)
    }

    /// True when `node` reads a cross-sectional function (or is one).
    fn reads_cross(&self, node: NodeId) -> bool {
        let op = &self.nodes[node].op;
        matches!(op, Op::Cross { .. }) || op.inputs().iter().any(|&i| self.reads_cross(i))
    }

    /// `rank(x)`, `zscore(x)`, `top(x, n)`, `bottom(x, n)`: across the universe's symbols at each timestamp.
    fn cross(&mut self, f: CrossFn, args: &[Expr], span: Span) -> Val {
        let want = if f.takes_count() { 2 } else { 1 };
        if args.len() != want {
            for a in args {
                self.expr(a);
            }
            let form = if f.takes_count() { format!("`{}(x, n)`", f.name()) } else { format!("`{}(x)`", f.name()) };
            return self.error(
                span,
                format!(
                    "{} takes {want} argument{} — {form} — found {}",
                    f.name(),
                    if want == 1 { "" } else { "s" },
                    args.len()
                ),
            );
        }
        let role = format!("the series of {}", f.name());
        let Some(x) = self.typed(&args[0], ValueType::Number, &role) else {
            return Val::Error;
        };
        if let Some(v) = self.var_dep[x] {
            let var = self.vars[v].name.clone();
            return self.error(
                args[0].span(),
                format!(
                    "{} cannot read '{}': it depends on var '{var}', which changes while rules run",
                    f.name(),
                    self.text(args[0].span())
                ),
            );
        }
        if self.reads_cross(x) {
            return self.error(
                args[0].span(),
                format!(
                    "{} cannot read '{}', itself a cross-section: rank or score the series it is computed from",
                    f.name(),
                    self.text(args[0].span())
                ),
            );
        }
        let count = match args.get(1) {
            None => None,
            Some(arg) => {
                let Some(c) = self.try_const(arg) else {
                    if !matches!(self.expr(arg), Val::Error) {
                        self.error(
                            arg.span(),
                            format!(
                                "the count of {} must be a constant or a param, found '{}'",
                                f.name(),
                                self.text(arg.span())
                            ),
                        );
                    }
                    return Val::Error;
                };
                let v = c.eval(&self.defaults());
                if !(v.is_finite() && v >= 1.0 && v.fract() == 0.0) {
                    return self.error(
                        arg.span(),
                        format!(
                            "the count of {} must be a whole number ≥ 1, found {}",
                            f.name(),
                            strata_runtime::fmt_num(v)
                        ),
                    );
                }
                Some(c)
            }
        };
        self.series(Op::Cross { f, of: x, count }, f.result(), span)
    }

    fn math(&mut self, f: MathFn, name: &Ident, args: &[Expr], span: Span) -> Val {
        if args.len() != f.arity() {
            for a in args {
                self.expr(a);
            }
            let plural = if f.arity() == 1 { "" } else { "s" };
            return self
                .error(span, format!("{} takes {} argument{plural}, found {}", name.name, f.arity(), args.len()));
        }
        let mut nodes = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let role = format!("argument {} of {}", i + 1, name.name);
            nodes.push(self.typed(a, ValueType::Number, &role));
        }
        let nodes: Option<Vec<NodeId>> = nodes.into_iter().collect();
        let Some(nodes) = nodes else {
            return Val::Error;
        };
        if f != MathFn::Na && nodes.iter().all(|&n| self.const_of(n).is_some()) {
            let x = self.const_of(nodes[0]).unwrap_or(f64::NAN);
            let y = nodes.get(1).and_then(|&n| self.const_of(n)).unwrap_or(f64::NAN);
            return self.series(Op::Const(f.apply(x, y)), f.result(), span);
        }
        self.series(Op::Math(f, nodes), f.result(), span)
    }

    fn indicator(&mut self, spec: &'static IndicatorSpec, name: &Ident, args: &[Expr], span: Span) -> Val {
        let n_inputs = spec.explicit_inputs().count();
        let min = n_inputs + spec.required_params();
        let max = n_inputs + spec.params.len();
        if args.len() < min || args.len() > max {
            for a in args {
                self.expr(a);
            }
            let want = if min == max { format!("{min}") } else { format!("{min} to {max}") };
            let plural = if max == 1 { "" } else { "s" };
            return self.error(
                span,
                format!("{} takes {want} argument{plural} — `{}` — found {}", spec.name, spec.signature(), args.len()),
            );
        }
        let mut ok = true;
        let mut inputs = Vec::new();
        let mut explicit = args[..n_inputs].iter();
        for input in spec.inputs {
            match input.implicit {
                Some(field) => inputs.push(self.bar_field(field, name.span)),
                None => {
                    let Some(arg) = explicit.next() else { continue };
                    let role = format!("the {} of {}", input.name, spec.name);
                    match self.typed(arg, value_type(input.kind), &role) {
                        Some(n) => {
                            if let Some(v) = self.var_dep[n] {
                                let var = self.vars[v].name.clone();
                                self.error(
                                    arg.span(),
                                    format!(
                                        "{} cannot read '{}': it depends on var '{var}', which changes while rules run; \
                                         use `{var}[1]` for its value on the previous bar",
                                        spec.name,
                                        self.text(arg.span())
                                    ),
                                );
                                ok = false;
                            }
                            inputs.push(n);
                        }
                        None => ok = false,
                    }
                }
            }
        }
        let mut params = Vec::new();
        for (arg, p) in args[n_inputs..].iter().zip(spec.params) {
            match self.try_const(arg) {
                Some(c) => {
                    let v = c.eval(&self.defaults());
                    let check = match p.kind {
                        ParamKind::Length { min } => strata_stdlib::indicator::length_param(p.name, v, min).map(|_| ()),
                        ParamKind::Real { min, max } => {
                            strata_stdlib::indicator::real_param(p.name, v, min, max).map(|_| ())
                        }
                    };
                    if let Err(e) = check {
                        self.error(arg.span(), format!("{}: {e}", spec.name));
                        ok = false;
                    }
                    params.push(c);
                }
                None => {
                    if !matches!(self.expr(arg), Val::Error) {
                        self.error(
                            arg.span(),
                            format!(
                                "the {} of {} must be a constant or a param, found '{}'",
                                p.name,
                                spec.name,
                                self.text(arg.span())
                            ),
                        );
                    }
                    ok = false;
                }
            }
        }
        if !ok {
            return Val::Error;
        }
        let node = self.node(Op::Indicator { name: spec.name.to_string(), inputs, params }, output_type(spec), span);
        if spec.outputs.len() == 1 { Val::Series { node, ty: output_type(spec) } } else { Val::Multi { node, spec } }
    }

    // ---- statements --------------------------------------------------------------------------------------

    fn stmts(&mut self, stmts: &[Stmt]) -> Vec<PlanStmt> {
        stmts.iter().filter_map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, s: &Stmt) -> Option<PlanStmt> {
        match s {
            Stmt::When { cond, then, otherwise, span } => {
                let c = self.typed(cond, ValueType::Bool, "a `when` condition");
                let then = self.stmts(then);
                let otherwise = self.stmts(otherwise);
                Some(PlanStmt::When { cond: c?, then, otherwise, at: self.pos(*span) })
            }
            Stmt::Assign { target, value, span } => {
                let binding = self.scope.get(&target.name).map(|d| (d.binding.clone(), d.kind));
                let (index, ty) = match binding {
                    Some((Binding::Var { index, ty }, _)) => (index, ty),
                    Some((_, kind)) => {
                        self.expr(value);
                        self.error(
                            target.span,
                            format!(
                                "cannot assign to '{}': it is a {kind}; only a var can change (declare `var {} = ...`)",
                                target.name, target.name
                            ),
                        );
                        return None;
                    }
                    None => {
                        self.expr(value);
                        let why =
                            self.reserved(&target.name).unwrap_or_else(|| format!("'{}' is not declared", target.name));
                        self.error(target.span, format!("cannot assign to '{}': {why}", target.name));
                        return None;
                    }
                };
                let role = format!("the value assigned to '{}'", target.name);
                let v = self.typed(value, ty, &role)?;
                Some(PlanStmt::Assign { var: index, value: v, at: self.pos(*span) })
            }
            Stmt::Order { verb, size, terms, span } => self.order(*verb, size, terms, *span),
            Stmt::Exit { span } => {
                Some(PlanStmt::Order { action: OrderAction::Exit, terms: OrderTerms::default(), at: self.pos(*span) })
            }
            Stmt::Cancel { name, span } => {
                let tag = self.order_name(&name.name, false);
                self.cancels.push(name.clone());
                Some(PlanStmt::Order {
                    action: OrderAction::Cancel(tag),
                    terms: OrderTerms::default(),
                    at: self.pos(*span),
                })
            }
        }
    }

    // ---- orders ------------------------------------------------------------------------------------------

    /// `pyramiding N`
    /// `symbols A, B, C`: the universe the strategy trades.
    fn symbols_decl(&mut self, names: &[Ident], span: Span) {
        if let Some(first) = self.symbols_span {
            let line = self.line_of(first);
            self.error(span, format!("`symbols` is declared twice (first on line {line})"));
            return;
        }
        self.symbols_span = Some(span);
        for n in names {
            let upper = n.name.to_ascii_uppercase();
            if self.symbols.contains(&upper) {
                self.error(n.span, format!("symbol '{}' is listed twice", n.name));
                continue;
            }
            self.symbols.push(upper);
        }
    }

    fn pyramiding_decl(&mut self, value: &Literal, span: Span) {
        if let Some((_, first)) = self.pyramiding {
            let line = self.line_of(first);
            self.error(span, format!("`pyramiding` is declared twice (first on line {line})"));
            return;
        }
        let v = value.value;
        if !(value.whole && v >= 1.0 && v <= u32::MAX as f64) {
            self.error(
                value.span,
                format!("`pyramiding` takes a whole number of entries ≥ 1, found {}", self.text(value.span)),
            );
            return;
        }
        self.pyramiding = Some((v as u32, span));
    }

    /// The index of an order name; `placed` when an order is placed under it.
    fn order_name(&mut self, name: &str, placed: bool) -> u32 {
        let i = match self.order_names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.order_names.push(name.to_string());
                self.named_orders.push(false);
                self.order_names.len() - 1
            }
        };
        if placed {
            self.named_orders[i] = true;
        }
        i as u32
    }

    /// Every `cancel NAME` must name orders some statement places `as NAME`.
    fn check_cancels(&mut self) {
        let placed: Vec<String> =
            self.order_names.iter().zip(&self.named_orders).filter(|(_, p)| **p).map(|(n, _)| n.clone()).collect();
        for name in std::mem::take(&mut self.cancels) {
            if placed.contains(&name.name) {
                continue;
            }
            let msg = match suggest::closest(&name.name, placed.iter().map(String::as_str)) {
                Some(s) => format!("no order is placed as '{}' — did you mean '{s}'?", name.name),
                None => format!(
                    "no order is placed as '{}' (`cancel` names orders placed with `as {}`)",
                    name.name, name.name
                ),
            };
            self.error(name.span, msg);
        }
    }

    /// A positive number an order reads (`what` names it in messages); a constant is checked now.
    fn order_value(&mut self, e: &Expr, what: &str) -> Option<NodeId> {
        let node = self.typed(e, ValueType::Number, what)?;
        if let Some(v) = self.const_of(node)
            && v <= 0.0
        {
            self.error(e.span(), format!("{what} must be positive, found {}", strata_runtime::fmt_num(v)));
            return None;
        }
        Some(node)
    }

    /// `buy` / `sell` / `short` / `cover` SIZE TERMS
    fn order(&mut self, verb: Verb, size: &Size, terms: &[Term], span: Span) -> Option<PlanStmt> {
        let entry = matches!(verb, Verb::Buy | Verb::Short);
        let mut ok = true;
        let amount = self.order_value(&size.amount, "an order size");
        ok &= amount.is_some();
        let mut t = OrderTerms::default();
        if size.unit == SizeUnit::Risk {
            if !entry {
                self.error(
                    span,
                    format!("`{}` cannot be sized by risk: risk sizing is for entries (`buy`, `short`)", verb.word()),
                );
                ok = false;
            }
            if let Some(stop) = &size.stop {
                let node = self.order_value(stop, "the stop of a risk size");
                ok &= node.is_some();
                t.stop_loss = node.map(|amount| LevelExpr { amount, percent: false });
            }
        }
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        for term in terms {
            let word = term.kind.word();
            if let Some((_, first)) = seen.iter().find(|(w, _)| *w == word) {
                let line = self.line_of(*first);
                self.error(term.span, format!("this order already has its {word} (line {line}); give it once"));
                ok = false;
                continue;
            }
            seen.push((word, term.span));
            let exit_on_exit =
                matches!(term.kind, TermKind::StopLoss(..) | TermKind::TakeProfit(..) | TermKind::Trail(..)) && !entry;
            if exit_on_exit {
                self.error(
                    term.span,
                    format!(
                        "`{word}` attaches an exit to an entry (`buy`, `short`), not to `{}`; to exit at a price, write `{} ... stop PRICE` or `limit PRICE`",
                        verb.word(),
                        verb.word()
                    ),
                );
                ok = false;
                continue;
            }
            let level = |l: &mut Self, e: &Expr, pct: bool, what: &str| {
                l.order_value(e, what).map(|amount| LevelExpr { amount, percent: pct })
            };
            match &term.kind {
                TermKind::Limit(e) => {
                    t.limit = self.order_value(e, "a limit price");
                    ok &= t.limit.is_some();
                }
                TermKind::Stop(e) => {
                    t.stop = self.order_value(e, "a stop price");
                    ok &= t.stop.is_some();
                }
                TermKind::StopLoss(e, pct) => {
                    if size.unit == SizeUnit::Risk {
                        self.error(
                            term.span,
                            "a risk-sized order's stop is its stop-loss: drop `stoploss`, or size it another way",
                        );
                        ok = false;
                        continue;
                    }
                    t.stop_loss = level(self, e, *pct, "a stop-loss");
                    ok &= t.stop_loss.is_some();
                }
                TermKind::TakeProfit(e, pct) => {
                    t.take_profit = level(self, e, *pct, "a take-profit");
                    ok &= t.take_profit.is_some();
                }
                TermKind::Trail(e, pct) => {
                    t.trail = level(self, e, *pct, "a trailing distance");
                    ok &= t.trail.is_some();
                }
                TermKind::Gtc => t.tif = TifExpr::Gtc,
                TermKind::Day => t.tif = TifExpr::Day,
                TermKind::Bars(e) => {
                    let Some(node) = self.order_value(e, "the bars an order works for") else {
                        ok = false;
                        continue;
                    };
                    if let Some(v) = self.const_of(node)
                        && v.fract() != 0.0
                    {
                        self.error(
                            e.span(),
                            format!(
                                "the bars an order works for must be a whole number, found {}",
                                strata_runtime::fmt_num(v)
                            ),
                        );
                        ok = false;
                    }
                    t.tif = TifExpr::Bars(node);
                }
                TermKind::Name(id) => t.tag = Some(self.order_name(&id.name, true)),
            }
        }
        if let Some((_, tif_span)) = seen.iter().find(|(w, _)| *w == "time in force")
            && !terms.iter().any(|x| matches!(x.kind, TermKind::Limit(_) | TermKind::Stop(_)))
        {
            self.error(
                *tif_span,
                "a time in force applies to limit and stop orders; a market order fills at the next open",
            );
            ok = false;
        }
        let amount = amount?;
        if !ok {
            return None;
        }
        let unit = match size.unit {
            SizeUnit::Units => PlanSize::Units,
            SizeUnit::Percent => PlanSize::Percent,
            SizeUnit::Cash => PlanSize::Cash,
            SizeUnit::Risk => PlanSize::Risk,
        };
        let size = SizeExpr { unit, amount };
        let action = match verb {
            Verb::Buy => OrderAction::Buy(size),
            Verb::Sell => OrderAction::Sell(size),
            Verb::Short => OrderAction::Short(size),
            Verb::Cover => OrderAction::Cover(size),
        };
        Some(PlanStmt::Order { action, terms: t, at: self.pos(span) })
    }
}

/// The period (ms) of a timeframe as written after `@`: `30s`, `15m`, `1h`, `4h`, `1d`, `1w`.
fn parse_timeframe(text: &str) -> Result<i64, String> {
    use strata_runtime::data::aggregate::BarSpec;
    match BarSpec::parse(text) {
        Ok(BarSpec::Time(ms)) => Ok(ms),
        Ok(_) => Err(format!("'{text}' is a bar of trades, not a timeframe: `@` takes a time")),
        Err(_) => Err(format!("'{text}' is not a timeframe")),
    }
}

fn value_type(k: ValueKind) -> ValueType {
    match k {
        ValueKind::Number => ValueType::Number,
        ValueKind::Bool => ValueType::Bool,
    }
}

fn output_type(spec: &IndicatorSpec) -> ValueType {
    spec.outputs.first().map_or(ValueType::Number, |o| value_type(o.kind))
}
