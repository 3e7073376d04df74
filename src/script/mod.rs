//! The Rhai front-end: a `.rhai` strategy → a [`Plan`] (its params and series) and a [`Decider`] that runs its
//! `on_bar` on every bar.
//!
//! Design choice: a script *declares* what it reads and *decides* what to do, and only the second part is Rhai at
//! run time. The top level runs once, when the script is loaded, and may only declare (`strategy`, `param`,
//! `series` in the `.strat` expression language, `state`); the declarations compile through the `.strat` lowering
//! into ordinary plan nodes, computed natively by the engine exactly as a `.strat` file's are. Then, per bar, the
//! engine calls `on_bar(bar)` with those values, and the orders it places become the same intents, filled by the
//! same fill model. Every error — parse, declaration, runtime, a sandbox limit — is a compiler-style diagnostic
//! pointing into the script.

pub mod api;
pub mod compiled;
pub mod sandbox;

use std::fmt::Write;
use std::rc::Rc;

use rhai::{CallFnOptions, Dynamic, EvalAltResult, ParseError, ParseErrorType, Position, Scope};
use strata_runtime::Plan;
use strata_runtime::decide::{BarContext, DecideError, Decider, OrderPad};
use strata_runtime::plan::ScriptInfo;
use strata_runtime::time::format_ts;

use self::api::{Host, Phase, Shared};
pub use self::sandbox::Limits;
use crate::dsl::ast::Span;
use crate::dsl::{Diagnostic, Source};

/// The function the engine calls on every bar.
pub const ENTRY: &str = "on_bar";

/// A loaded script: its compiled form, the engine it runs in, and what its top level declared.
pub struct Script {
    label: String,
    text: Rc<str>,
    engine: rhai::Engine,
    ast: rhai::AST,
    host: Shared,
    initial_state: Dynamic,
    limits: Limits,
    /// `on_bar` lowered to the compiled tier, or why it runs in the interpreter.
    tier: Result<compiled::Compiled, compiled::Fallback>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script").field("label", &self.label).field("limits", &self.limits).finish_non_exhaustive()
    }
}

/// Compiles the Rhai strategy `text` (from `label`) under `limits`: runs its top level to collect the declarations
/// and compiles them into a plan. On failure, the diagnostics (spans into `text`).
pub fn compile(label: &str, text: &str, limits: &Limits) -> Result<(Plan, Rc<Script>), Vec<Diagnostic>> {
    let host: Shared = Rc::new(std::cell::RefCell::new(Host::default()));
    let shared_text: Rc<str> = Rc::from(text);
    let mut engine = sandbox::engine(limits);
    api::register(&mut engine, &host, &shared_text);
    let (h, l) = (host.clone(), label.to_string());
    engine.on_print(move |s| eprintln!("{l}{}: {s}", bar_note(&h)));
    let (h, l) = (host.clone(), label.to_string());
    engine.on_debug(move |s, _, pos| {
        let at = pos.line().map(|line| format!(":{line}")).unwrap_or_default();
        eprintln!("{l}{at}{}: {s}", bar_note(&h));
    });

    let ast = engine.compile(text).map_err(|e| vec![parse_diagnostic(text, &e, limits)])?;
    check_entry(&ast, text)?;
    // The top level: declarations, once.
    engine.run_ast(&ast).map_err(|e| vec![runtime_diagnostic(text, *e, limits, None, &script_fns(&ast))])?;

    let (name, decls, state, pyramiding, symbols) = {
        let mut h = host.borrow_mut();
        (h.name.take(), std::mem::take(&mut h.decls), h.state.take(), h.pyramiding, h.symbols.take())
    };
    let name = name.unwrap_or_else(|| {
        std::path::Path::new(label).file_stem().map_or_else(|| label.to_string(), |s| s.to_string_lossy().into_owned())
    });
    let info = ScriptInfo { language: "rhai".into(), entry: ENTRY.into(), tier: String::new() };
    let mut plan = crate::dsl::compile_declarations(label, text, &name, &decls, info)?;
    plan.pyramiding = pyramiding;
    plan.symbols = symbols.unwrap_or_default();
    let (series, params) = {
        let mut h = host.borrow_mut();
        h.series = plan.outputs.iter().map(|o| o.name.clone()).collect();
        h.params = plan.params.iter().map(|p| (p.name.clone(), p.ty)).collect();
        h.phase = Phase::Bar;
        (h.series.clone(), h.params.clone())
    };
    let initial_state = state.unwrap_or_else(|| Dynamic::from_map(rhai::Map::new()));
    let inputs = compiled::Inputs {
        series: &series,
        params: &params,
        state: &initial_state,
        script_fns: &script_fns(&ast),
        max_operations: limits.operations,
    };
    let tier = lower_entry(&ast, &inputs);
    if let Some(info) = plan.script.as_mut() {
        info.tier = tier_note(&tier);
    }
    let script =
        Script { label: label.to_string(), text: shared_text, engine, ast, host, initial_state, limits: *limits, tier };
    Ok((plan, Rc::new(script)))
}

/// Lowers `on_bar` to the compiled tier, if it is all in the compiled subset.
fn lower_entry(ast: &rhai::AST, inputs: &compiled::Inputs<'_>) -> Result<compiled::Compiled, compiled::Fallback> {
    let Some(bar) = ast.iter_fn_def().find(|f| f.name == ENTRY && f.params.len() == 1).map(|f| f.params[0].clone())
    else {
        return Err(compiled::Fallback { reason: "on_bar is not defined".into(), pos: Position::NONE });
    };
    // Rhai names no type for a function's body; a walk of an AST holding only on_bar visits the body's statements
    // at depth one, in order.
    // (`clone_functions_only_filtered` keeps every function when it starts from an empty module; `retain_functions`
    // filters.)
    let mut only = ast.clone_functions_only();
    only.retain_functions(|_, _, name, params| name == ENTRY && params == 1);
    if only.iter_fn_def().count() != 1 {
        return Err(compiled::Fallback { reason: "on_bar could not be isolated".into(), pos: Position::NONE });
    }
    let mut body = Vec::new();
    only.walk(&mut |path: &[rhai::ASTNode]| {
        if let [rhai::ASTNode::Stmt(s)] = path {
            body.push((*s).clone());
        }
        true
    });
    compiled::lower(&bar, &body, inputs)
}

/// How `on_bar` runs, in words, for `strata explain` and `strata check`.
fn tier_note(tier: &Result<compiled::Compiled, compiled::Fallback>) -> String {
    match tier {
        Ok(_) => "compiled".to_string(),
        Err(f) => {
            let at = match (f.pos.line(), f.pos.position()) {
                (Some(line), Some(col)) => format!(" at {line}:{col}"),
                (Some(line), None) => format!(" at line {line}"),
                _ => String::new(),
            };
            format!("interpreted: {}{at} is outside the compiled subset", f.reason)
        }
    }
}

fn bar_note(host: &Shared) -> String {
    match host.try_borrow().ok().and_then(|h| h.bar) {
        Some(bar) => format!(" [bar {}]", format_ts(bar.ts)),
        None => String::new(),
    }
}

fn script_fns(ast: &rhai::AST) -> Vec<String> {
    ast.iter_functions().map(|f| f.name.to_string()).collect()
}

/// The script must define `fn on_bar(bar)`.
fn check_entry(ast: &rhai::AST, text: &str) -> Result<(), Vec<Diagnostic>> {
    let found: Vec<usize> = ast.iter_functions().filter(|f| f.name == ENTRY).map(|f| f.params.len()).collect();
    if found.contains(&1) {
        return Ok(());
    }
    let at = entry_span(text);
    let msg = if found.is_empty() {
        "the script has no `fn on_bar(bar)`: a Rhai strategy decides in on_bar, which the engine calls on every bar"
            .to_string()
    } else {
        format!("on_bar must take one parameter, the bar: `fn on_bar(bar)`, found {} parameters", found[0])
    };
    Err(vec![Diagnostic::error(at, msg)])
}

/// Where `fn on_bar` is written (the start of the file if nowhere).
fn entry_span(text: &str) -> Span {
    let key = format!("fn {ENTRY}");
    text.find(&key).map_or(Span::new(0, 0), |i| Span::new(i, i + key.len()))
}

fn span_at(text: &str, pos: Position) -> Span {
    match api::offset_of(text, pos) {
        Some(start) => {
            let end = text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
            Span::new(start, end)
        }
        None => Span::new(0, 0),
    }
}

fn parse_diagnostic(text: &str, e: &ParseError, limits: &Limits) -> Diagnostic {
    let msg = match &*e.0 {
        ParseErrorType::ExprTooDeep => format!(
            "expressions nest deeper than the limit of {} (sandbox limit expr_depth: {})",
            limits.expr_depth,
            Limits::flag("expr_depth")
        ),
        ParseErrorType::VariableUndefined(name) => {
            format!("undefined variable '{name}' (a function sees only its parameters, its own variables and `this`)")
        }
        other => format!("syntax error: {other}"),
    };
    Diagnostic::error(span_at(text, e.1), msg)
}

/// A runtime error as a diagnostic; `bar` is the timestamp of the bar it happened on (none at the top level).
fn runtime_diagnostic(text: &str, e: EvalAltResult, limits: &Limits, bar: Option<i64>, fns: &[String]) -> Diagnostic {
    // The innermost error says what happened and where; the calls around it say how it got there.
    let mut calls = Vec::new();
    let mut e = e;
    while let EvalAltResult::ErrorInFunctionCall(name, _, inner, pos) = e {
        if name != ENTRY {
            calls.push((name, pos));
        }
        e = *inner;
    }
    let mut pos = e.position();
    let when = bar.map(|ts| format!("on the bar of {}: ", format_ts(ts))).unwrap_or_default();
    let msg = match e {
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "{when}the script ran more than {} operations — an endless loop? (sandbox limit operations: {})",
            limits.operations,
            Limits::flag("operations")
        ),
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "{when}function calls nested deeper than {} — endless recursion? (sandbox limit call_depth: {})",
            limits.call_depth,
            Limits::flag("call_depth")
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let (noun, limit, name) = if what.contains("string") {
                ("a string", limits.string_size, "string_size")
            } else if what.contains("map") {
                ("an object map", limits.map_size, "map_size")
            } else {
                ("an array", limits.array_size, "array_size")
            };
            format!("{when}{noun} grew past its limit of {limit} (sandbox limit {name}: {})", Limits::flag(name))
        }
        EvalAltResult::ErrorTooManyModules(_) | EvalAltResult::ErrorModuleNotFound(..) => {
            format!("{when}scripts cannot import modules: a strategy is one self-contained file")
        }
        EvalAltResult::ErrorFunctionNotFound(sig, _) => {
            let name = sig.split([' ', '(']).next().unwrap_or(&sig).to_string();
            let known = api::API_NAMES.iter().copied().chain(fns.iter().map(String::as_str));
            if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                format!("{when}operator '{name}' does not apply to these operands: {sig}")
            } else if api::API_NAMES.contains(&name.as_str()) || fns.contains(&name) {
                format!("{when}{name}() cannot be called with these arguments: {sig}")
            } else {
                let hint = strata_runtime::suggest::hint(&name, known);
                format!("{when}unknown function '{name}'{hint} (called as {sig})")
            }
        }
        EvalAltResult::ErrorRuntime(v, _) => format!("{when}{v}"),
        mut other => {
            other.clear_position();
            format!("{when}{other}")
        }
    };
    if pos.is_none()
        && let Some((_, p)) = calls.last()
    {
        pos = *p;
    }
    // Limits hit inside the engine carry no position: point at the function that was running.
    let span = if pos.is_none() && bar.is_some() { entry_span(text) } else { span_at(text, pos) };
    let mut d = Diagnostic::error(span, msg);
    if !calls.is_empty() {
        let mut help = String::from("called from");
        for (name, p) in calls.iter().rev() {
            let _ = write!(help, " {name}() at line {}", p.line().unwrap_or(0));
        }
        d = d.with_help(help);
    }
    d
}

impl Script {
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Renders diagnostics against the script's text.
    pub fn render(&self, d: &Diagnostic) -> String {
        Source::new(&self.label, &self.text).render(d)
    }

    /// Whether `on_bar` runs compiled (see [`compiled`]).
    pub fn is_compiled(&self) -> bool {
        self.tier.is_ok()
    }

    /// A decider that runs this script's `on_bar` — compiled when it lowers, in Rhai's interpreter otherwise —
    /// with the script's state at its initial value.
    pub fn decider(self: &Rc<Self>) -> RhaiDecider {
        match &self.tier {
            Ok(c) => RhaiDecider { script: self.clone(), run: Tier::Compiled(Box::new(c.clone())) },
            Err(_) => self.interpreted_decider(),
        }
    }

    /// A decider that runs `on_bar` in Rhai's interpreter even when it compiles (to check one tier against the
    /// other).
    pub fn interpreted_decider(self: &Rc<Self>) -> RhaiDecider {
        RhaiDecider {
            script: self.clone(),
            run: Tier::Interpreted { this: self.initial_state.clone(), scope: Scope::new() },
        }
    }
}

/// Runs a script's `on_bar` on every bar; its state (`this`) lives as long as the decider.
pub struct RhaiDecider {
    script: Rc<Script>,
    run: Tier,
}

enum Tier {
    Compiled(Box<compiled::Compiled>),
    Interpreted { this: Dynamic, scope: Scope<'static> },
}

impl Decider for RhaiDecider {
    fn on_bar(&mut self, ctx: &BarContext<'_>, pad: &mut OrderPad<'_>) -> Result<(), DecideError> {
        match &mut self.run {
            Tier::Compiled(c) => run_compiled(&self.script, c, ctx, pad),
            Tier::Interpreted { this, scope } => run_interpreted(&self.script, this, scope, ctx, pad),
        }
    }
}

fn bar_error(s: &Script, e: EvalAltResult, ts: i64) -> DecideError {
    let d = runtime_diagnostic(&s.text, e, &s.limits, Some(ts), &script_fns(&s.ast));
    DecideError { message: s.render(&d) }
}

fn run_compiled(
    s: &Script,
    c: &mut compiled::Compiled,
    ctx: &BarContext<'_>,
    pad: &mut OrderPad<'_>,
) -> Result<(), DecideError> {
    let orders = c.call(ctx).map_err(|e| bar_error(s, *e, ctx.bar.ts))?;
    for action in orders {
        pad.place(action);
    }
    Ok(())
}

fn run_interpreted(
    s: &Script,
    this: &mut Dynamic,
    scope: &mut Scope<'static>,
    ctx: &BarContext<'_>,
    pad: &mut OrderPad<'_>,
) -> Result<(), DecideError> {
    {
        let mut h = s.host.borrow_mut();
        h.values.clear();
        h.values.extend_from_slice(ctx.values);
        h.param_values.clear();
        h.param_values.extend_from_slice(ctx.params);
        h.bar = Some(*ctx.bar);
        h.bar_index = ctx.bar_index;
        h.account = *ctx.account;
        h.orders.clear();
    }
    let options = CallFnOptions::new().eval_ast(false).rewind_scope(true).bind_this_ptr(this);
    let bar = api::BarView(s.host.clone());
    // on_bar's value, if any, means nothing.
    let _value = s
        .engine
        .call_fn_with_options::<Dynamic>(options, scope, &s.ast, ENTRY, (bar,))
        .map_err(|e| bar_error(s, *e, ctx.bar.ts))?;
    // Rhai checks sizes as values are built, but not every way a map or array can grow (an indexed insert into
    // a map is not checked); the state is what lives from bar to bar, so it is measured here, after each bar.
    if let Some(d) = state_over_limit(this, &s.limits, &s.text, ctx.bar.ts) {
        return Err(DecideError { message: s.render(&d) });
    }
    let mut h = s.host.borrow_mut();
    for placed in h.orders.drain(..) {
        match placed {
            Ok(intent) => pad.place_intent(intent),
            Err(reason) => pad.reject(reason),
        };
    }
    Ok(())
}

/// Elements in arrays, entries in maps and bytes in strings, summed over a value and everything in it.
#[derive(Debug, Default)]
struct DataSize {
    array: usize,
    map: usize,
    string: usize,
}

impl DataSize {
    /// Adds `v`'s size; stops early (returns false) once any total is over its limit.
    fn add(&mut self, v: &Dynamic, limits: &Limits) -> bool {
        if let Ok(a) = v.as_array_ref() {
            self.array += a.len();
            return self.within(limits) && a.iter().all(|x| self.add(x, limits));
        }
        if let Ok(m) = v.as_map_ref() {
            self.map += m.len();
            return self.within(limits) && m.values().all(|x| self.add(x, limits));
        }
        if let Ok(text) = v.as_immutable_string_ref() {
            self.string += text.len();
        }
        self.within(limits)
    }

    fn within(&self, limits: &Limits) -> bool {
        self.array <= limits.array_size && self.map <= limits.map_size && self.string <= limits.string_size
    }
}

/// A diagnostic when the script's state (`this`) has grown past a sandbox limit.
fn state_over_limit(state: &Dynamic, limits: &Limits, text: &str, ts: i64) -> Option<Diagnostic> {
    let mut size = DataSize::default();
    if size.add(state, limits) {
        return None;
    }
    let (what, limit, name) = if size.map > limits.map_size {
        ("object map entries", limits.map_size, "map_size")
    } else if size.array > limits.array_size {
        ("array elements", limits.array_size, "array_size")
    } else {
        ("string bytes", limits.string_size, "string_size")
    };
    Some(Diagnostic::error(
        entry_span(text),
        format!(
            "on the bar of {}: the script's state (`this`) holds more than {limit} {what} — does it grow without \
             bound? (sandbox limit {name}: {})",
            format_ts(ts),
            Limits::flag(name)
        ),
    ))
}
