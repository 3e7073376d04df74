//! `strata check` and `strata explain`: compile a strategy and report on it, without running it.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use strata_runtime::bind::{Bound, Stage, bind, is_frame, resolve_params, statement_frames, statement_warmup};
use strata_runtime::plan::{OrderAction, OrderTerms, ParamType, Plan, SizeUnit, Stmt, TifExpr, ValueType};
use strata_runtime::time::format_period;

use super::backtest::load_strategy;
use super::parse_assignment;
use crate::script::Limits;
use crate::strategy::{self, LoadError};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Strategy files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The strategy file.
    pub file: PathBuf,
    /// Override a param before explaining (warm-ups depend on params).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(String, String)>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 when every file compiles (warnings allowed), 1 otherwise.
pub fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for path in &a.files {
        match strategy::load(path) {
            Ok(l) => {
                eprint!("{}", l.warnings);
                let bound = bind(&l.plan, &l.plan.default_params()).map_err(|e| anyhow::anyhow!("{e}"))?;
                let decides = match &l.plan.script {
                    Some(s) if s.tier.is_empty() => format!("decides in {}() ({})", s.entry, s.language),
                    Some(s) => format!("decides in {}() ({}, {})", s.entry, s.language, s.tier),
                    None => format!("{} rules", l.plan.program.len()),
                };
                println!(
                    "{}: ok — strategy \"{}\", {} params, {} nodes, {decides}, warm-up {} bars",
                    path.display(),
                    l.plan.name,
                    l.plan.params.len(),
                    l.plan.nodes.len(),
                    bound.warmup
                );
            }
            Err(LoadError::Diagnostics { rendered, .. }) => {
                eprint!("{rendered}");
                failed = true;
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

pub fn explain(a: ExplainArgs) -> anyhow::Result<ExitCode> {
    let plan = load_strategy(&a.file, &Limits::default())?.plan;
    let params = resolve_params(&plan, &a.set).map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    let bound = bind(&plan, &params).map_err(|e| anyhow::anyhow!("{}:{e}", a.file.display()))?;
    if a.json {
        let json = serde_json::json!({ "plan": &plan, "params": params, "warmup": bound.warmup,
            "node_warmup": &bound.node_warmup });
        println!("{}", serde_json::to_string_pretty(&json).context("encoding the plan")?);
    } else {
        print!("{}", render(&plan, &bound));
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan in words.
pub fn render(plan: &Plan, b: &Bound) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "strategy \"{}\"  ({})", plan.name, plan.source);
    let _ = writeln!(o, "\nparams");
    if plan.params.is_empty() {
        let _ = writeln!(o, "  (none)");
    }
    for (p, v) in plan.params.iter().zip(&b.params) {
        let ty = match p.ty {
            ParamType::Int => "int",
            ParamType::Float => "float",
        };
        let range = p.range.map_or(String::new(), |r| {
            let step = r.step.map_or(String::new(), |s| format!(" step {}", strata_runtime::fmt_num(s)));
            format!("  in {}..{}{step}", strata_runtime::fmt_num(r.min), strata_runtime::fmt_num(r.max))
        });
        let set =
            if *v != p.default { format!("  (default {})", strata_runtime::fmt_num(p.default)) } else { String::new() };
        let _ = writeln!(o, "  {:<12} {ty:<5} = {}{range}{set}", p.name, strata_runtime::fmt_num(*v));
    }
    if !plan.symbols.is_empty() {
        let _ =
            writeln!(o, "\nsymbols (the universe it trades; each symbol its own series and rules, one pool of cash)");
        let _ = writeln!(o, "  {}", plan.symbols.join(", "));
    }
    if !plan.vars.is_empty() {
        let _ = writeln!(o, "\nvars");
        for (v, init) in plan.vars.iter().zip(&b.var_init) {
            let value = match v.ty {
                ValueType::Bool => (if *init != 0.0 { "true" } else { "false" }).to_string(),
                ValueType::Number => strata_runtime::fmt_num(*init),
            };
            let _ = writeln!(o, "  {:<12} {:<6} = {value}", v.name, v.ty.name());
        }
    }
    let _ = writeln!(o, "\nseries ({} nodes; each computed once per bar)                warm-up", plan.nodes.len());
    for (id, n) in plan.nodes.iter().enumerate() {
        let stage = if b.stage[id] == Stage::Rule { "  (read while rules run)" } else { "" };
        let text = match &n.name {
            Some(name) => format!("{name} = {}", plan.render(id)),
            None => plan.render(id),
        };
        let warmup = match b.clock[id] {
            c if is_frame(c) => format!("{}@{}", b.node_warmup[id], format_period(c)),
            _ => b.node_warmup[id].to_string(),
        };
        let _ = writeln!(o, "  #{id:<3} {text:<55} {warmup:>6}  {}{stage}", n.ty.name());
    }
    if !b.frames.is_empty() {
        let _ = writeln!(
            o,
            "\ntimeframes (bars built from the data's; a series on one changes only on the bar that completes its \
             period)"
        );
        let _ = writeln!(o, "  {:<6} warm-up {} bars", "data", b.warmup);
        for &(period, w) in &b.frames {
            let tf = format_period(period);
            let _ = writeln!(o, "  {tf:<6} warm-up {w} bars: defined after {} {tf} bars have closed", w + 1);
        }
    }
    if let Some(script) = &plan.script {
        let names: Vec<&str> = plan.outputs.iter().map(|o| o.name.as_str()).collect();
        let _ = writeln!(
            o,
            "\ndecisions: {}() of the {} script{}, called on each bar's close from bar {} (after warm-up {} bars) with \
             bar.{}; orders fill at the next open",
            script.entry,
            script.language,
            if script.tier.is_empty() { String::new() } else { format!(" ({})", script.tier) },
            b.warmup + 1,
            b.warmup,
            if names.is_empty() { "open/high/low/close/volume".to_string() } else { names.join(", bar.") }
        );
        return o;
    }
    let _ = writeln!(o, "\nrules (run on each bar's close; orders fill from the next bar; warm-up {} bars)", b.warmup);
    if let Some(n) = plan.pyramiding {
        let _ = writeln!(o, "  pyramiding: at most {n} entries in one direction while a position is open");
    }
    if plan.program.is_empty() {
        let _ = writeln!(o, "  (none)");
    }
    for s in &plan.program {
        render_stmt(&mut o, plan, b, s, 1);
    }
    o
}

fn render_stmt(o: &mut String, plan: &Plan, b: &Bound, s: &Stmt, depth: usize) {
    let pad = "  ".repeat(depth);
    let from = statement_warmup(plan, s, b).unwrap_or(0);
    match s {
        Stmt::When { cond, then, otherwise, at } => {
            let _ = writeln!(
                o,
                "{pad}when {}   [line {}, acts from bar {}{}]",
                plan.render_ref(*cond),
                at.line,
                from + 1,
                frames_awaited(plan, b, s)
            );
            for t in then {
                render_stmt(o, plan, b, t, depth + 1);
            }
            if !otherwise.is_empty() {
                let _ = writeln!(o, "{pad}else");
                for t in otherwise {
                    render_stmt(o, plan, b, t, depth + 1);
                }
            }
        }
        Stmt::Assign { var, value, .. } => {
            let name = plan.vars.get(*var).map_or("?", |v| v.name.as_str());
            let _ = writeln!(o, "{pad}{name} := {}", plan.render_ref(*value));
        }
        Stmt::Order { action, terms, .. } => {
            let text = describe_order(plan, action, terms);
            let _ = writeln!(o, "{pad}{text}");
        }
    }
}

/// ` once 8 1h and 20 1d bars have closed`: the bars of each longer timeframe a statement waits for.
fn frames_awaited(plan: &Plan, b: &Bound, s: &Stmt) -> String {
    let mut need: Vec<(i64, usize)> = Vec::new();
    for n in statement_frames(plan, b, s) {
        let (c, w) = (b.clock[n], b.node_warmup[n] + 1);
        match need.iter_mut().find(|(p, _)| *p == c) {
            Some((_, most)) => *most = (*most).max(w),
            None => need.push((c, w)),
        }
    }
    need.sort_unstable();
    if need.is_empty() {
        return String::new();
    }
    let bars: Vec<String> = need.iter().map(|&(c, w)| format!("{w} {}", format_period(c))).collect();
    format!(" once {} bars have closed", bars.join(" and "))
}

/// An order statement in words, as `explain` shows it.
fn describe_order(plan: &Plan, action: &OrderAction, terms: &OrderTerms) -> String {
    let name = |tag: u32| plan.order_names.get(tag as usize).map_or("?", String::as_str).to_string();
    let verb = action.verb();
    let mut text = match action {
        OrderAction::Exit => return "exit (close the position)".to_string(),
        OrderAction::Cancel(tag) => return format!("cancel the orders placed as '{}'", name(*tag)),
        OrderAction::Buy(s) | OrderAction::Sell(s) | OrderAction::Short(s) | OrderAction::Cover(s) => {
            let amount = plan.render_ref(s.amount);
            match s.unit {
                SizeUnit::Units => format!("{verb} {amount} units"),
                SizeUnit::Percent => {
                    let of = match action {
                        OrderAction::Buy(_) => "the cash",
                        OrderAction::Short(_) => "the equity",
                        _ => "the position",
                    };
                    format!("{verb} {amount}% of {of}")
                }
                SizeUnit::Cash => format!("{verb} ${amount} worth"),
                SizeUnit::Risk => format!("{verb} risking {amount}% of the equity"),
            }
        }
    };
    let price = |n: Option<usize>| n.map(|n| plan.render_ref(n));
    text.push_str(&match (price(terms.stop), price(terms.limit)) {
        (None, None) => " at market".to_string(),
        (None, Some(l)) => format!(" limit {l}"),
        (Some(s), None) => format!(" stop {s}"),
        (Some(s), Some(l)) => format!(" stop {s} limit {l}"),
    });
    match terms.tif {
        TifExpr::Gtc => {}
        TifExpr::Day => text.push_str(", for the day"),
        TifExpr::Bars(n) => text.push_str(&format!(", for {} bars", plan.render_ref(n))),
    }
    for (word, level) in [("stop-loss", terms.stop_loss), ("take-profit", terms.take_profit), ("trailing", terms.trail)]
    {
        if let Some(l) = level {
            let pct = if l.percent { "%" } else { "" };
            text.push_str(&format!(", {word} {}{pct}", plan.render_ref(l.amount)));
        }
    }
    if let Some(tag) = terms.tag {
        text.push_str(&format!(", as '{}'", name(tag)));
    }
    text
}
