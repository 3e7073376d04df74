//! The compiled tier of `on_bar`: the common, statically typed part of Rhai lowered to a typed tree that runs without
//! Rhai's interpreter.
//!
//! Design choice: *all or nothing, decided once, meaning unchanged.* When the script is loaded, `on_bar` is lowered
//! if every statement and expression in it falls in a subset whose types are known before the first bar — numbers
//! and booleans in locals and in the state fields `state(...)` declared, the bar's fields and series, `param(..)`,
//! the account and order functions, a few math functions, operators, `if`/`else`, `return` — and otherwise the
//! whole function runs in Rhai's interpreter, with the reason kept for `strata explain`. Lowered code computes
//! exactly what Rhai computes (IEEE float operations, Rhai's checked integer arithmetic and its error messages, the
//! sandbox's exact float comparisons, the same order validation); anything whose meaning depends on a value's type
//! at run time (a variable that changes type, a field added on the fly, a call to a script function, a loop) is not
//! in the subset. A loop-free body runs a bounded number of operations, so it is only lowered when that bound is
//! within the `operations` limit, and the other sandbox limits (sizes, call depth) cannot be reached by numbers.
//! Which tier ran is invisible in results: a differential test runs generated scripts through both.

use rhai::{ASTFlags, Expr, FnCallExpr, Stmt, StmtBlock};
use rhai::{Dynamic, EvalAltResult, FLOAT, INT, Position};
use strata_runtime::decide::BarContext;
use strata_runtime::order::Action;
use strata_runtime::plan::ParamType;

use super::api::MakeOrder as Make;

/// Why `on_bar` runs in the interpreter: the first construct outside the compiled subset, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    pub reason: String,
    pub pos: Position,
}

type Lowered<T> = Result<T, Fallback>;

fn fallback<T>(reason: impl Into<String>, pos: Position) -> Lowered<T> {
    Err(Fallback { reason: reason.into(), pos })
}

type Fault = Box<EvalAltResult>;

fn arithmetic(msg: String, pos: Position) -> Fault {
    Box::new(EvalAltResult::ErrorArithmetic(msg, pos))
}

/// A value's type, fixed when lowering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Float,
    Bool,
}

impl Ty {
    fn of(v: &Dynamic) -> Option<Self> {
        if v.is_int() {
            Some(Ty::Int)
        } else if v.is_float() {
            Some(Ty::Float)
        } else if v.is_bool() {
            Some(Ty::Bool)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Float => "a float",
            Ty::Bool => "a boolean",
        }
    }
}

/// Where a variable lives: a local of this call or a field of the script's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Local(u16),
    State(u16),
}

#[derive(Debug, Clone, Copy)]
enum BarField {
    Open,
    High,
    Low,
    Close,
    Volume,
}

#[derive(Debug, Clone, Copy)]
enum AccountRead {
    Position,
    Equity,
    Cash,
    EntryPrice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

impl Arith {
    fn parse(op: &str) -> Option<Self> {
        Some(match op {
            "+" => Arith::Add,
            "-" => Arith::Sub,
            "*" => Arith::Mul,
            "/" => Arith::Div,
            "%" => Arith::Rem,
            "**" => Arith::Pow,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn parse(op: &str) -> Option<Self> {
        Some(match op {
            "==" => Cmp::Eq,
            "!=" => Cmp::Ne,
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            ">" => Cmp::Gt,
            ">=" => Cmp::Ge,
            _ => return None,
        })
    }

    #[inline]
    fn test<T: PartialOrd>(self, x: T, y: T) -> bool {
        match self {
            Cmp::Eq => x == y,
            Cmp::Ne => x != y,
            Cmp::Lt => x < y,
            Cmp::Le => x <= y,
            Cmp::Gt => x > y,
            Cmp::Ge => x >= y,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Math1 {
    Abs,
    Sqrt,
    Exp,
    Ln,
    Floor,
    Ceiling,
    Round,
}

impl Math1 {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "abs" => Math1::Abs,
            "sqrt" => Math1::Sqrt,
            "exp" => Math1::Exp,
            "ln" => Math1::Ln,
            "floor" => Math1::Floor,
            "ceiling" => Math1::Ceiling,
            "round" => Math1::Round,
            _ => return None,
        })
    }

    #[inline]
    fn apply(self, x: f64) -> f64 {
        match self {
            Math1::Abs => x.abs(),
            Math1::Sqrt => x.sqrt(),
            Math1::Exp => x.exp(),
            Math1::Ln => x.ln(),
            Math1::Floor => x.floor(),
            Math1::Ceiling => x.ceil(),
            Math1::Round => x.round(),
        }
    }
}

/// A float-valued expression.
#[derive(Debug, Clone)]
enum F {
    Const(f64),
    Var(Slot),
    Series(u16),
    Bar(BarField),
    Account(AccountRead),
    Param(u16),
    FromInt(Box<I>),
    Neg(Box<F>),
    Arith(Arith, Box<F>, Box<F>),
    Math(Math1, Box<F>),
    Max(Box<F>, Box<F>),
    Min(Box<F>, Box<F>),
}

/// An integer-valued expression; arithmetic is checked, as Rhai's is.
#[derive(Debug, Clone)]
enum I {
    Const(INT),
    Var(Slot),
    Time,
    Index,
    BarsInTrade,
    Param(u16),
    Neg(Box<I>, Position),
    Abs(Box<I>, Position),
    Arith(Arith, Box<I>, Box<I>, Position),
    Max(Box<I>, Box<I>),
    Min(Box<I>, Box<I>),
}

/// A boolean expression.
#[derive(Debug, Clone)]
enum B {
    Const(bool),
    Var(Slot),
    Not(Box<B>),
    And(Vec<B>),
    Or(Vec<B>),
    Floats(Cmp, Box<F>, Box<F>),
    Ints(Cmp, Box<I>, Box<I>),
    /// Equal (true) or not equal (false).
    Bools(bool, Box<B>, Box<B>),
}

/// A lowered expression of a known type.
#[derive(Debug, Clone)]
enum Typed {
    F(F),
    I(I),
    B(B),
}

impl Typed {
    fn ty(&self) -> Ty {
        match self {
            Typed::F(_) => Ty::Float,
            Typed::I(_) => Ty::Int,
            Typed::B(_) => Ty::Bool,
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    SetF(Slot, F),
    SetI(Slot, I),
    SetB(Slot, B),
    If(B, Vec<Op>, Vec<Op>),
    Order {
        name: &'static str,
        make: Make,
        size: Typed,
        pos: Position,
    },
    Exit,
    /// Evaluated for its errors, its value unused.
    Discard(Typed),
    Return(Option<Typed>),
}

/// How a block ended.
enum Flow {
    Next,
    Return,
}

/// What lowering needs to know besides the function itself.
pub struct Inputs<'a> {
    /// The declared series, in plan-output order (`bar.NAME`).
    pub series: &'a [String],
    /// The declared params, in plan order (`param("name")`).
    pub params: &'a [(String, ParamType)],
    /// The state's initial value (`this`).
    pub state: &'a Dynamic,
    /// Names of the script's own functions (a call to one, or a name they shadow, is not lowered).
    pub script_fns: &'a [String],
    /// The sandbox's `operations` limit.
    pub max_operations: u64,
}

/// A lowered `on_bar`, and the state and locals it runs on.
#[derive(Debug, Clone)]
pub struct Compiled {
    body: Vec<Op>,
    locals_f: Vec<f64>,
    locals_i: Vec<INT>,
    locals_b: Vec<bool>,
    state_f: Vec<f64>,
    state_i: Vec<INT>,
    state_b: Vec<bool>,
    orders: Vec<Action>,
}

/// Lowers `on_bar` (parameter `bar_name`, body `body`) or says why it cannot be.
pub fn lower(bar_name: &str, body: &[Stmt], inputs: &Inputs<'_>) -> Result<Compiled, Fallback> {
    let mut l = Lower::new(bar_name, inputs)?;
    let ops = l.stmts(body)?;
    if l.nodes > inputs.max_operations {
        return fallback(
            format!(
                "on_bar has {} operations, more than the sandbox's operations limit of {}",
                l.nodes, inputs.max_operations
            ),
            Position::NONE,
        );
    }
    let (state_f, state_i, state_b) = l.initial;
    Ok(Compiled {
        body: ops,
        locals_f: vec![0.0; l.locals[0] as usize],
        locals_i: vec![0; l.locals[1] as usize],
        locals_b: vec![false; l.locals[2] as usize],
        state_f,
        state_i,
        state_b,
        orders: Vec::new(),
    })
}

struct Local {
    name: String,
    ty: Ty,
    slot: Slot,
    constant: bool,
}

struct Lower<'a> {
    inputs: &'a Inputs<'a>,
    bar: &'a str,
    /// State fields of a number or boolean type: name, type, slot.
    state: Vec<(String, Ty, Slot)>,
    /// Their initial values, by slot.
    initial: (Vec<f64>, Vec<INT>, Vec<bool>),
    scopes: Vec<Vec<Local>>,
    /// Local slots used per type (float, int, bool).
    locals: [u16; 3],
    /// Nodes lowered: an upper bound on the operations a call runs (there are no loops).
    nodes: u64,
}

fn type_index(ty: Ty) -> usize {
    match ty {
        Ty::Float => 0,
        Ty::Int => 1,
        Ty::Bool => 2,
    }
}

impl<'a> Lower<'a> {
    fn new(bar: &'a str, inputs: &'a Inputs<'a>) -> Lowered<Self> {
        let mut l = Lower {
            inputs,
            bar,
            state: Vec::new(),
            initial: Default::default(),
            scopes: vec![Vec::new()],
            locals: [0; 3],
            nodes: 0,
        };
        let Ok(map) = inputs.state.as_map_ref() else {
            return fallback("the state is not an object map", Position::NONE);
        };
        // A map iterates in key order: slots are deterministic.
        for (name, value) in map.iter() {
            let (f, i, b) = &mut l.initial;
            let (ty, slot) = if let Ok(x) = value.as_float() {
                f.push(x);
                (Ty::Float, f.len() - 1)
            } else if let Ok(x) = value.as_int() {
                i.push(x);
                (Ty::Int, i.len() - 1)
            } else if let Ok(x) = value.as_bool() {
                b.push(x);
                (Ty::Bool, b.len() - 1)
            } else {
                continue;
            };
            l.state.push((name.to_string(), ty, Slot::State(slot as u16)));
        }
        Ok(l)
    }

    fn count(&mut self) {
        self.nodes += 1;
    }

    fn find_local(&self, name: &str) -> Option<&Local> {
        self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|l| l.name == name)
    }

    fn state_field(&self, name: &str, pos: Position) -> Lowered<(Ty, Slot)> {
        match self.state.iter().find(|(n, _, _)| n == name) {
            Some((_, ty, slot)) => Ok((*ty, *slot)),
            None => {
                let what = match self.inputs.state.as_map_ref().ok().and_then(|m| m.get(name).cloned()) {
                    Some(v) => format!("state field '{name}' holds {} (only numbers and booleans)", v.type_name()),
                    None => format!("state field '{name}' is not in the initial state"),
                };
                fallback(what, pos)
            }
        }
    }

    fn block(&mut self, block: &StmtBlock) -> Lowered<Vec<Op>> {
        self.stmts(block.statements())
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> Lowered<Vec<Op>> {
        self.scopes.push(Vec::new());
        let mut ops = Vec::with_capacity(stmts.len());
        for stmt in stmts {
            if let Some(op) = self.stmt(stmt)? {
                ops.push(op);
            }
        }
        self.scopes.pop();
        Ok(ops)
    }

    fn stmt(&mut self, stmt: &Stmt) -> Lowered<Option<Op>> {
        self.count();
        Ok(Some(match stmt {
            Stmt::Noop(_) => return Ok(None),
            Stmt::Var(x, flags, pos) => {
                let (ident, expr, _) = &**x;
                if flags.contains(ASTFlags::EXPORTED) {
                    return fallback("an exported variable", *pos);
                }
                let value = self.expr(expr)?;
                let ty = value.ty();
                let k = type_index(ty);
                let slot = Slot::Local(self.locals[k]);
                self.locals[k] += 1;
                let constant = flags.contains(ASTFlags::CONSTANT);
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push(Local { name: ident.name.to_string(), ty, slot, constant });
                }
                set(slot, value)
            }
            Stmt::Assignment(x) => {
                let (op, bin) = &**x;
                let (target_ty, slot, pos) = self.place(&bin.lhs)?;
                let rhs = self.expr(&bin.rhs)?;
                let value = match op.get_op_assignment_info() {
                    None => rhs,
                    Some((.., syntax)) => {
                        let Some(arith) = Arith::parse(syntax) else {
                            return fallback(format!("the '{syntax}=' assignment"), op.position());
                        };
                        self.count();
                        self.arith(arith, read(target_ty, slot), rhs, op.position())?
                    }
                };
                if value.ty() != target_ty {
                    return fallback(
                        format!("assigning {} to {} (a value that changes type)", value.ty().name(), target_ty.name()),
                        pos,
                    );
                }
                set(slot, value)
            }
            Stmt::If(x, _) => {
                let cond = self.boolean(&x.expr)?;
                let then = self.block(&x.body)?;
                let otherwise = self.block(&x.branch)?;
                Op::If(cond, then, otherwise)
            }
            Stmt::FnCall(call, pos) => self.call_stmt(call, *pos)?,
            Stmt::Expr(e) => match &**e {
                Expr::FnCall(call, pos) => self.call_stmt(call, *pos)?,
                other => Op::Discard(self.expr(other)?),
            },
            Stmt::Block(b) => {
                let ops = self.block(b)?;
                Op::If(B::Const(true), ops, Vec::new())
            }
            Stmt::Return(value, flags, pos) => {
                if flags.contains(ASTFlags::BREAK) {
                    return fallback("`throw`", *pos);
                }
                Op::Return(value.as_deref().map(|e| self.expr(e)).transpose()?)
            }
            Stmt::While(_, pos) | Stmt::Do(_, _, pos) => return fallback("a loop", *pos),
            Stmt::For(_, pos) => return fallback("a `for` loop", *pos),
            Stmt::Switch(_, pos) => return fallback("`switch`", *pos),
            Stmt::TryCatch(_, pos) => return fallback("`try`/`catch`", *pos),
            Stmt::BreakLoop(_, _, pos) => return fallback("`break`/`continue`", *pos),
            other => return fallback("this statement", other.position()),
        }))
    }

    /// An assignable place: a local variable or a state field.
    fn place(&mut self, lhs: &Expr) -> Lowered<(Ty, Slot, Position)> {
        match lhs {
            Expr::Variable(x, _, pos) => {
                let name = x.1.as_str();
                match self.find_local(name) {
                    Some(l) if l.constant => fallback(format!("assigning to the constant '{name}'"), *pos),
                    Some(l) => Ok((l.ty, l.slot, *pos)),
                    None => fallback(format!("assigning to '{name}'"), *pos),
                }
            }
            Expr::Dot(x, flags, pos) if !flags.contains(ASTFlags::NEGATED) => match (&x.lhs, &x.rhs) {
                (Expr::ThisPtr(_), Expr::Property(p, ppos)) => {
                    let (ty, slot) = self.state_field(p.2.as_str(), *ppos)?;
                    Ok((ty, slot, *pos))
                }
                _ => fallback("assigning to this kind of place", *pos),
            },
            other => fallback("assigning to this kind of place", other.position()),
        }
    }

    fn call_stmt(&mut self, call: &FnCallExpr, pos: Position) -> Lowered<Op> {
        let name = call.name.as_str();
        if !call.is_operator_call() && call.namespace.is_empty() && !self.shadowed(name) {
            if let Some((name, make)) = super::api::ORDERS.iter().find(|(n, _)| *n == name)
                && call.args.len() == 1
            {
                let size = self.expr(&call.args[0])?;
                if size.ty() == Ty::Bool {
                    return fallback(format!("{name}() with a boolean"), pos);
                }
                return Ok(Op::Order { name, make: *make, size, pos });
            }
            if name == "exit" && call.args.is_empty() {
                return Ok(Op::Exit);
            }
        }
        Ok(Op::Discard(self.call(call, pos)?))
    }

    fn shadowed(&self, name: &str) -> bool {
        self.inputs.script_fns.iter().any(|f| f == name)
    }

    fn boolean(&mut self, e: &Expr) -> Lowered<B> {
        match self.expr(e)? {
            Typed::B(b) => Ok(b),
            other => fallback(format!("a condition that is {}", other.ty().name()), e.start_position()),
        }
    }

    fn expr(&mut self, e: &Expr) -> Lowered<Typed> {
        self.count();
        Ok(match e {
            Expr::BoolConstant(b, _) => Typed::B(B::Const(*b)),
            Expr::IntegerConstant(i, _) => Typed::I(I::Const(*i)),
            Expr::FloatConstant(f, _) => Typed::F(F::Const(**f)),
            Expr::DynamicConstant(v, pos) => match Ty::of(v) {
                Some(Ty::Float) => Typed::F(F::Const(v.as_float().unwrap_or(f64::NAN))),
                Some(Ty::Int) => Typed::I(I::Const(v.as_int().unwrap_or(0))),
                Some(Ty::Bool) => Typed::B(B::Const(v.as_bool().unwrap_or(false))),
                None => return fallback(format!("a constant of type {}", v.type_name()), *pos),
            },
            Expr::Variable(x, _, pos) => {
                let name = x.1.as_str();
                if !x.2.is_empty() {
                    return fallback("a namespaced variable", *pos);
                }
                match self.find_local(name) {
                    Some(l) => read(l.ty, l.slot),
                    None if name == self.bar => {
                        return fallback(format!("'{name}' used other than as bar.FIELD"), *pos);
                    }
                    None => return fallback(format!("the variable '{name}'"), *pos),
                }
            }
            Expr::Dot(x, flags, pos) if !flags.contains(ASTFlags::NEGATED) => match (&x.lhs, &x.rhs) {
                (Expr::ThisPtr(_), Expr::Property(p, ppos)) => {
                    let (ty, slot) = self.state_field(p.2.as_str(), *ppos)?;
                    read(ty, slot)
                }
                (Expr::Variable(v, _, _), Expr::Property(p, ppos))
                    if v.1.as_str() == self.bar && self.find_local(self.bar).is_none() =>
                {
                    self.bar_field(p.2.as_str(), *ppos)?
                }
                _ => return fallback(describe(e), *pos),
            },
            Expr::And(xs, _) | Expr::Or(xs, _) => {
                let parts = xs.iter().map(|x| self.boolean(x)).collect::<Lowered<Vec<_>>>()?;
                Typed::B(if matches!(e, Expr::And(..)) { B::And(parts) } else { B::Or(parts) })
            }
            Expr::FnCall(call, pos) => self.call(call, *pos)?,
            other => return fallback(describe(other), other.start_position()),
        })
    }

    fn bar_field(&mut self, name: &str, pos: Position) -> Lowered<Typed> {
        Ok(match name {
            "open" => Typed::F(F::Bar(BarField::Open)),
            "high" => Typed::F(F::Bar(BarField::High)),
            "low" => Typed::F(F::Bar(BarField::Low)),
            "close" => Typed::F(F::Bar(BarField::Close)),
            "volume" => Typed::F(F::Bar(BarField::Volume)),
            "time" => Typed::I(I::Time),
            "index" => Typed::I(I::Index),
            _ => match self.inputs.series.iter().position(|s| s == name) {
                Some(i) => Typed::F(F::Series(i as u16)),
                // The interpreter reports it, with the declared names.
                None => return fallback(format!("bar.{name}, which is not declared"), pos),
            },
        })
    }

    fn call(&mut self, call: &FnCallExpr, pos: Position) -> Lowered<Typed> {
        let name = call.name.as_str();
        if !call.namespace.is_empty() {
            return fallback("a namespaced call", pos);
        }
        if self.shadowed(name) {
            return fallback(format!("a call to the script function {name}()"), pos);
        }
        let argc = call.args.len();
        if name == "param" && argc == 1 && !call.is_operator_call() {
            let Some(Expr::StringConstant(p, _)) = call.args.first() else {
                return fallback("param() with a name that is not a literal string", pos);
            };
            return match self.inputs.params.iter().position(|(n, _)| n == p.as_str()) {
                Some(i) => Ok(match self.inputs.params[i].1 {
                    ParamType::Int => Typed::I(I::Param(i as u16)),
                    ParamType::Float => Typed::F(F::Param(i as u16)),
                }),
                None => fallback(format!("param(\"{p}\"), which is not declared"), pos),
            };
        }
        let args = call.args.iter().map(|a| self.expr(a)).collect::<Lowered<Vec<_>>>()?;
        let mut args = args.into_iter();
        match (name, argc) {
            (op, 2) if Arith::parse(op).is_some() && call.is_operator_call() => {
                let (Some(x), Some(y)) = (args.next(), args.next()) else { unreachable!() };
                self.arith(Arith::parse(op).unwrap_or(Arith::Add), x, y, pos)
            }
            (op, 2) if Cmp::parse(op).is_some() && call.is_operator_call() => {
                let (Some(x), Some(y)) = (args.next(), args.next()) else { unreachable!() };
                compare(Cmp::parse(op).unwrap_or(Cmp::Eq), x, y, pos)
            }
            ("-", 1) | ("+", 1) | ("!", 1) if call.is_operator_call() => {
                let Some(x) = args.next() else { unreachable!() };
                Ok(match (name, x) {
                    ("-", Typed::F(f)) => Typed::F(F::Neg(Box::new(f))),
                    ("-", Typed::I(i)) => Typed::I(I::Neg(Box::new(i), pos)),
                    ("+", x @ (Typed::F(_) | Typed::I(_))) => x,
                    ("!", Typed::B(b)) => Typed::B(B::Not(Box::new(b))),
                    (_, x) => return fallback(format!("unary '{name}' on {}", x.ty().name()), pos),
                })
            }
            _ if call.is_operator_call() => fallback(format!("the operator '{name}'"), pos),
            ("position" | "equity" | "cash" | "entry_price", 0) => Ok(Typed::F(F::Account(match name {
                "position" => AccountRead::Position,
                "equity" => AccountRead::Equity,
                "cash" => AccountRead::Cash,
                _ => AccountRead::EntryPrice,
            }))),
            ("bars_in_trade", 0) => Ok(Typed::I(I::BarsInTrade)),
            (m, 1) if Math1::parse(m).is_some() => match args.next() {
                Some(Typed::I(i)) if m == "abs" => Ok(Typed::I(I::Abs(Box::new(i), pos))),
                // Rhai's rounding functions take floats only.
                Some(Typed::F(f)) => Ok(Typed::F(F::Math(Math1::parse(m).unwrap_or(Math1::Abs), Box::new(f)))),
                Some(x) => fallback(format!("{m}() of {}", x.ty().name()), pos),
                None => unreachable!(),
            },
            ("max" | "min", 2) => {
                let (Some(x), Some(y)) = (args.next(), args.next()) else { unreachable!() };
                let max = name == "max";
                Ok(match (x, y) {
                    (Typed::I(a), Typed::I(b)) => {
                        Typed::I(if max { I::Max(Box::new(a), Box::new(b)) } else { I::Min(Box::new(a), Box::new(b)) })
                    }
                    (a, b) => {
                        let (a, b) = (float(a, pos)?, float(b, pos)?);
                        Typed::F(if max { F::Max(Box::new(a), Box::new(b)) } else { F::Min(Box::new(a), Box::new(b)) })
                    }
                })
            }
            _ => fallback(format!("a call to {name}() with {argc} argument(s)"), pos),
        }
    }

    fn arith(&mut self, op: Arith, x: Typed, y: Typed, pos: Position) -> Lowered<Typed> {
        Ok(match (x, y) {
            (Typed::I(a), Typed::I(b)) => {
                if op == Arith::Pow {
                    return fallback("integer '**'", pos);
                }
                Typed::I(I::Arith(op, Box::new(a), Box::new(b), pos))
            }
            (a, b) => {
                if op == Arith::Pow && (a.ty() != Ty::Float || b.ty() != Ty::Float) {
                    return fallback("'**' with an integer", pos);
                }
                Typed::F(F::Arith(op, Box::new(float(a, pos)?), Box::new(float(b, pos)?)))
            }
        })
    }
}

/// What an expression outside the subset is, for the reason shown by `strata explain`.
fn describe(e: &Expr) -> &'static str {
    match e {
        Expr::StringConstant(..) | Expr::InterpolatedString(..) | Expr::CharConstant(..) => "a string",
        Expr::Array(..) => "an array",
        Expr::Map(..) => "an object map",
        Expr::Unit(..) => "`()`",
        Expr::ThisPtr(..) => "`this` used other than as this.FIELD",
        Expr::MethodCall(..) => "a method call",
        Expr::Dot(x, ..) | Expr::Index(x, ..) if chain_calls(&x.rhs) => "a method call",
        Expr::Dot(x, ..) if matches!(x.rhs, Expr::Dot(..) | Expr::Index(..)) => "a nested property or index",
        Expr::Dot(..) => "this property access",
        Expr::Index(..) => "indexing",
        Expr::Stmt(..) => "a block or `if` used as a value",
        Expr::Coalesce(..) => "`??`",
        _ => "this expression",
    }
}

/// Whether a property chain calls a method somewhere along it.
fn chain_calls(e: &Expr) -> bool {
    match e {
        Expr::MethodCall(..) => true,
        Expr::Dot(x, ..) | Expr::Index(x, ..) => chain_calls(&x.lhs) || chain_calls(&x.rhs),
        _ => false,
    }
}

fn read(ty: Ty, slot: Slot) -> Typed {
    match ty {
        Ty::Float => Typed::F(F::Var(slot)),
        Ty::Int => Typed::I(I::Var(slot)),
        Ty::Bool => Typed::B(B::Var(slot)),
    }
}

fn set(slot: Slot, value: Typed) -> Op {
    match value {
        Typed::F(f) => Op::SetF(slot, f),
        Typed::I(i) => Op::SetI(slot, i),
        Typed::B(b) => Op::SetB(slot, b),
    }
}

/// A number as a float (an integer converts, as Rhai's mixed operators do).
fn float(x: Typed, pos: Position) -> Lowered<F> {
    match x {
        Typed::F(f) => Ok(f),
        Typed::I(i) => Ok(F::FromInt(Box::new(i))),
        Typed::B(_) => fallback("arithmetic on a boolean", pos),
    }
}

fn compare(op: Cmp, x: Typed, y: Typed, pos: Position) -> Lowered<Typed> {
    Ok(Typed::B(match (x, y) {
        (Typed::I(a), Typed::I(b)) => B::Ints(op, Box::new(a), Box::new(b)),
        (Typed::B(a), Typed::B(b)) => match op {
            Cmp::Eq => B::Bools(true, Box::new(a), Box::new(b)),
            Cmp::Ne => B::Bools(false, Box::new(a), Box::new(b)),
            _ => return fallback("ordering booleans", pos),
        },
        (a, b) => B::Floats(op, Box::new(float(a, pos)?), Box::new(float(b, pos)?)),
    }))
}

/// One call's view: the bar and the compiled program's storage.
struct Run<'c, 'b> {
    ctx: &'c BarContext<'b>,
    lf: &'c mut [f64],
    li: &'c mut [INT],
    lb: &'c mut [bool],
    sf: &'c mut [f64],
    si: &'c mut [INT],
    sb: &'c mut [bool],
    orders: &'c mut Vec<Action>,
}

impl Compiled {
    /// Runs `on_bar` for one bar; the orders it placed, in order, or the error that stopped it.
    pub fn call(&mut self, ctx: &BarContext<'_>) -> Result<std::vec::Drain<'_, Action>, Fault> {
        self.orders.clear();
        let mut run = Run {
            ctx,
            lf: &mut self.locals_f,
            li: &mut self.locals_i,
            lb: &mut self.locals_b,
            sf: &mut self.state_f,
            si: &mut self.state_i,
            sb: &mut self.state_b,
            orders: &mut self.orders,
        };
        run.block(&self.body)?;
        Ok(self.orders.drain(..))
    }
}

impl Run<'_, '_> {
    fn block(&mut self, ops: &[Op]) -> Result<Flow, Fault> {
        for op in ops {
            match op {
                Op::SetF(slot, e) => {
                    let v = self.f(e)?;
                    match *slot {
                        Slot::Local(i) => self.lf[i as usize] = v,
                        Slot::State(i) => self.sf[i as usize] = v,
                    }
                }
                Op::SetI(slot, e) => {
                    let v = self.i(e)?;
                    match *slot {
                        Slot::Local(i) => self.li[i as usize] = v,
                        Slot::State(i) => self.si[i as usize] = v,
                    }
                }
                Op::SetB(slot, e) => {
                    let v = self.b(e)?;
                    match *slot {
                        Slot::Local(i) => self.lb[i as usize] = v,
                        Slot::State(i) => self.sb[i as usize] = v,
                    }
                }
                Op::If(cond, then, otherwise) => {
                    let branch = if self.b(cond)? { then } else { otherwise };
                    if let Flow::Return = self.block(branch)? {
                        return Ok(Flow::Return);
                    }
                }
                Op::Order { name, make, size, pos } => {
                    let q = match size {
                        Typed::I(i) => self.i(i)? as FLOAT,
                        Typed::F(f) => self.f(f)?,
                        Typed::B(_) => f64::NAN,
                    };
                    let q = super::api::check_size(name, q)
                        .map_err(|msg| Box::new(EvalAltResult::ErrorRuntime(msg.into(), *pos)))?;
                    self.orders.push(make(q));
                }
                Op::Exit => self.orders.push(Action::Close),
                Op::Discard(e) => {
                    self.typed(e)?;
                }
                Op::Return(e) => {
                    if let Some(e) = e {
                        self.typed(e)?;
                    }
                    return Ok(Flow::Return);
                }
            }
        }
        Ok(Flow::Next)
    }

    fn typed(&mut self, e: &Typed) -> Result<(), Fault> {
        match e {
            Typed::F(f) => self.f(f).map(drop),
            Typed::I(i) => self.i(i).map(drop),
            Typed::B(b) => self.b(b).map(drop),
        }
    }

    fn f(&self, e: &F) -> Result<f64, Fault> {
        Ok(match e {
            F::Const(x) => *x,
            F::Var(Slot::Local(i)) => self.lf[*i as usize],
            F::Var(Slot::State(i)) => self.sf[*i as usize],
            F::Series(i) => self.ctx.values.get(*i as usize).copied().unwrap_or(f64::NAN),
            F::Bar(field) => {
                let b = self.ctx.bar;
                match field {
                    BarField::Open => b.open,
                    BarField::High => b.high,
                    BarField::Low => b.low,
                    BarField::Close => b.close,
                    BarField::Volume => b.volume,
                }
            }
            F::Account(read) => {
                let a = self.ctx.account;
                match read {
                    AccountRead::Position => a.position,
                    AccountRead::Equity => a.equity,
                    AccountRead::Cash => a.cash,
                    AccountRead::EntryPrice => a.entry_price,
                }
            }
            F::Param(i) => self.ctx.params.get(*i as usize).copied().unwrap_or(f64::NAN),
            F::FromInt(i) => self.i(i)? as FLOAT,
            F::Neg(x) => -self.f(x)?,
            F::Arith(op, x, y) => {
                let (x, y) = (self.f(x)?, self.f(y)?);
                match op {
                    Arith::Add => x + y,
                    Arith::Sub => x - y,
                    Arith::Mul => x * y,
                    Arith::Div => x / y,
                    Arith::Rem => x % y,
                    Arith::Pow => x.powf(y),
                }
            }
            F::Math(m, x) => m.apply(self.f(x)?),
            F::Max(x, y) => {
                let (x, y) = (self.f(x)?, self.f(y)?);
                if x >= y { x } else { y }
            }
            F::Min(x, y) => {
                let (x, y) = (self.f(x)?, self.f(y)?);
                if x <= y { x } else { y }
            }
        })
    }

    fn i(&self, e: &I) -> Result<INT, Fault> {
        Ok(match e {
            I::Const(x) => *x,
            I::Var(Slot::Local(i)) => self.li[*i as usize],
            I::Var(Slot::State(i)) => self.si[*i as usize],
            I::Time => self.ctx.bar.ts,
            I::Index => self.ctx.bar_index as INT,
            I::BarsInTrade => self.ctx.account.bars_in_trade as INT,
            I::Param(i) => self.ctx.params.get(*i as usize).copied().unwrap_or(f64::NAN) as INT,
            I::Neg(x, pos) => {
                let x = self.i(x)?;
                x.checked_neg().ok_or_else(|| arithmetic(format!("Negation overflow: -{x}"), *pos))?
            }
            I::Abs(x, pos) => {
                let x = self.i(x)?;
                x.checked_abs().ok_or_else(|| arithmetic(format!("Negation overflow: -{x}"), *pos))?
            }
            I::Arith(op, x, y, pos) => {
                let (x, y) = (self.i(x)?, self.i(y)?);
                let (result, msg) = match op {
                    Arith::Add => (x.checked_add(y), "Addition overflow: {x} + {y}"),
                    Arith::Sub => (x.checked_sub(y), "Subtraction overflow: {x} - {y}"),
                    Arith::Mul => (x.checked_mul(y), "Multiplication overflow: {x} * {y}"),
                    Arith::Div if y == 0 => (None, "Division by zero: {x} / {y}"),
                    Arith::Div => (x.checked_div(y), "Division overflow: {x} / {y}"),
                    Arith::Rem => (x.checked_rem(y), "Modulo division by zero or overflow: {x} % {y}"),
                    Arith::Pow => (None, "Exponential overflow: {x} ** {y}"),
                };
                result.ok_or_else(|| {
                    arithmetic(msg.replace("{x}", &x.to_string()).replace("{y}", &y.to_string()), *pos)
                })?
            }
            I::Max(x, y) => {
                let (x, y) = (self.i(x)?, self.i(y)?);
                if x >= y { x } else { y }
            }
            I::Min(x, y) => {
                let (x, y) = (self.i(x)?, self.i(y)?);
                if x <= y { x } else { y }
            }
        })
    }

    fn b(&self, e: &B) -> Result<bool, Fault> {
        Ok(match e {
            B::Const(x) => *x,
            B::Var(Slot::Local(i)) => self.lb[*i as usize],
            B::Var(Slot::State(i)) => self.sb[*i as usize],
            B::Not(x) => !self.b(x)?,
            B::And(xs) => {
                for x in xs {
                    if !self.b(x)? {
                        return Ok(false);
                    }
                }
                true
            }
            B::Or(xs) => {
                for x in xs {
                    if self.b(x)? {
                        return Ok(true);
                    }
                }
                false
            }
            B::Floats(op, x, y) => op.test(self.f(x)?, self.f(y)?),
            B::Ints(op, x, y) => op.test(self.i(x)?, self.i(y)?),
            B::Bools(eq, x, y) => (self.b(x)? == self.b(y)?) == *eq,
        })
    }
}
