//! The strategy API a script sees: declarations at its top level, and on each bar the `bar` object, the account
//! and the order functions.
//!
//! Design choice: every function is registered *volatile* — the optimizer may not evaluate a call with constant
//! arguments at compile time — and reads or writes one shared [`Host`] record that the host fills before each call
//! and empties after it. Which functions may be called when is checked on each call ([`Phase`]), with a message
//! that says where the call belongs.

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, FLOAT, FuncRegistration, INT, NativeCallContext, Position};
use strata_runtime::bar::{AccountView, Bar};
use strata_runtime::order::{Action, Level, OrderIntent, OrderType, Quantity, TimeInForce};
use strata_runtime::plan::{ParamRange, ParamType};

use crate::dsl::Declaration;
use crate::dsl::ast::Span;

/// When a script is being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// The top level, once, when the script is loaded: declarations only.
    #[default]
    Declare,
    /// `on_bar`.
    Bar,
}

/// What the script and the host share.
#[derive(Debug, Default)]
pub struct Host {
    pub phase: Phase,
    // Collected while declaring.
    pub name: Option<String>,
    pub decls: Vec<Declaration>,
    pub state: Option<Dynamic>,
    // Set before each bar.
    pub series: Vec<String>,
    pub values: Vec<f64>,
    pub bar: Option<Bar>,
    pub bar_index: usize,
    pub account: AccountView,
    pub params: Vec<(String, ParamType)>,
    pub param_values: Vec<f64>,
    /// `pyramiding(n)`, declared at the top level.
    pub pyramiding: Option<u32>,
    /// `symbols(["NVDA", "ORCL"])`, declared at the top level: the universe it trades, upper case.
    pub symbols: Option<Vec<String>>,
    // Placed during the bar (sequence numbers and times are the engine's to give), or why one was rejected.
    pub orders: Vec<Result<OrderIntent, String>>,
    /// The names orders were placed under (`#{ name: "dip" }`, `cancel("dip")`): a name's tag is its index.
    pub order_names: Vec<String>,
}

impl Host {
    /// The tag of an order name.
    pub fn order_tag(&mut self, name: &str) -> u32 {
        match self.order_names.iter().position(|n| n == name) {
            Some(i) => i as u32,
            None => {
                self.order_names.push(name.to_string());
                (self.order_names.len() - 1) as u32
            }
        }
    }
}

pub type Shared = Rc<RefCell<Host>>;

/// The `bar` argument of `on_bar`: the bar's fields and every declared series, by name.
#[derive(Debug, Clone)]
pub struct BarView(pub Shared);

type Res<T> = Result<T, Box<EvalAltResult>>;

fn fail<T>(message: String, pos: Position) -> Res<T> {
    Err(Box::new(EvalAltResult::ErrorRuntime(message.into(), pos)))
}

/// Byte offset of a Rhai position (1-based line and character column) in `text`.
pub fn offset_of(text: &str, pos: Position) -> Option<usize> {
    let (line, col) = (pos.line()?, pos.position().unwrap_or(1));
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within: usize = l.chars().take(col.saturating_sub(1)).map(char::len_utf8).sum();
            return Some(start + within);
        }
        start += l.len();
    }
    None
}

/// The span of a call's function name.
fn call_span(text: &str, ctx: &NativeCallContext) -> Span {
    let start = offset_of(text, ctx.call_position()).unwrap_or(0);
    let name_len = ctx.fn_name().len();
    Span::new(start, (start + name_len).min(text.len()))
}

/// Where the `index`-th string argument of the call at `call` is written, if it is a plain literal equal to
/// `expected`: the byte offset of its contents.
fn literal_arg(text: &str, call: usize, index: usize, expected: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = call + text.get(call..)?.find('(')? + 1;
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    for k in 0..=index {
        i = skip_ws(i);
        let quote = *bytes.get(i)?;
        if quote != b'"' && quote != b'`' {
            return None;
        }
        let start = i + 1;
        let len = text[start..].find(quote as char)?;
        let contents = &text[start..start + len];
        if k == index {
            let plain = !contents.contains('\\') && !contents.contains("${");
            return (plain && contents == expected).then_some(start);
        }
        i = skip_ws(start + len + 1);
        if bytes.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
    None
}

fn number(v: &Dynamic) -> Option<(f64, bool)> {
    if let Ok(i) = v.as_int() { Some((i as f64, true)) } else { v.as_float().ok().map(|f| (f, false)) }
}

fn phase_check(host: &Shared, want: Phase, ctx: &NativeCallContext) -> Res<()> {
    let phase = host.borrow().phase;
    if phase == want {
        return Ok(());
    }
    let name = ctx.fn_name();
    let msg = match want {
        Phase::Declare => {
            format!("{name}() declares the strategy: call it at the top level of the script, not in a function")
        }
        Phase::Bar => format!("{name}() acts on a bar: call it from on_bar, not at the top level"),
    };
    fail(msg, ctx.call_position())
}

/// Registers every function of the strategy API on `engine`.
pub fn register(engine: &mut Engine, host: &Shared, text: &Rc<str>) {
    register_declarations(engine, host, text);
    register_bar(engine);
    register_account(engine, host);
    register_orders(engine, host);
}

fn register_declarations(engine: &mut Engine, host: &Shared, text: &Rc<str>) {
    let h = host.clone();
    FuncRegistration::new("strategy").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str| -> Res<()> {
            phase_check(&h, Phase::Declare, &ctx)?;
            let mut host = h.borrow_mut();
            if host.name.is_some() {
                return fail("strategy() is called twice: a script declares one strategy".into(), ctx.call_position());
            }
            host.name = Some(name.to_string());
            Ok(())
        },
    );

    // param(name, default [, min, max [, step]]) declares; param(name) reads the value in on_bar.
    let declare_param = {
        let (h, text) = (host.clone(), text.clone());
        move |ctx: &NativeCallContext, name: &str, args: &[Dynamic]| -> Res<()> {
            phase_check(&h, Phase::Declare, ctx)?;
            let at = call_span(&text, ctx);
            let mut nums = Vec::with_capacity(args.len());
            for (i, a) in args.iter().enumerate() {
                let what = ["default", "min", "max", "step"][i];
                match number(a) {
                    Some(n) => nums.push(n),
                    None => {
                        return fail(
                            format!("param '{name}': the {what} must be a number, got {}", a.type_name()),
                            ctx.call_position(),
                        );
                    }
                }
            }
            let (default, whole) = nums[0];
            let range = (nums.len() >= 3).then(|| ParamRange {
                min: nums[1].0,
                max: nums[2].0,
                step: nums.get(3).map(|s| s.0),
            });
            let whole = whole && nums.iter().all(|n| n.1);
            h.borrow_mut().decls.push(Declaration::Param { name: name.to_string(), default, whole, range, at });
            Ok(())
        }
    };
    let p = declare_param.clone();
    FuncRegistration::new("param")
        .with_volatility(true)
        .register_into_engine(engine, move |ctx: NativeCallContext, name: &str, default: Dynamic| {
            p(&ctx, name, &[default])
        });
    let p = declare_param.clone();
    FuncRegistration::new("param").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, default: Dynamic, min: Dynamic, max: Dynamic| {
            p(&ctx, name, &[default, min, max])
        },
    );
    let p = declare_param;
    FuncRegistration::new("param").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, default: Dynamic, min: Dynamic, max: Dynamic, step: Dynamic| {
            p(&ctx, name, &[default, min, max, step])
        },
    );
    let h = host.clone();
    FuncRegistration::new("param").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str| -> Res<Dynamic> {
            phase_check(&h, Phase::Bar, &ctx)?;
            let host = h.borrow();
            let Some(i) = host.params.iter().position(|(n, _)| n == name) else {
                let hint = strata_runtime::suggest::hint(name, host.params.iter().map(|(n, _)| n.as_str()));
                return fail(format!("no param '{name}'{hint}"), ctx.call_position());
            };
            let v = host.param_values.get(i).copied().unwrap_or(f64::NAN);
            Ok(match host.params[i].1 {
                ParamType::Int => Dynamic::from_int(v as INT),
                ParamType::Float => Dynamic::from_float(v),
            })
        },
    );

    let (h, text) = (host.clone(), text.clone());
    FuncRegistration::new("series").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str, expr: &str| -> Res<()> {
            phase_check(&h, Phase::Declare, &ctx)?;
            let at = call_span(&text, &ctx);
            let expr_at = literal_arg(&text, at.start, 1, expr);
            h.borrow_mut().decls.push(Declaration::Series {
                name: name.to_string(),
                expr: expr.to_string(),
                at,
                expr_at,
            });
            Ok(())
        },
    );

    let h = host.clone();
    FuncRegistration::new("state").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, initial: rhai::Map| -> Res<()> {
            phase_check(&h, Phase::Declare, &ctx)?;
            let mut host = h.borrow_mut();
            if host.state.is_some() {
                return fail(
                    "state() is called twice: give the whole initial state at once".into(),
                    ctx.call_position(),
                );
            }
            host.state = Some(Dynamic::from_map(initial));
            Ok(())
        },
    );
}

fn register_bar(engine: &mut Engine) {
    engine.register_type_with_name::<BarView>("Bar");
    type Field = fn(&Bar) -> f64;
    let fields: [(&str, Field); 5] = [
        ("open", |b| b.open),
        ("high", |b| b.high),
        ("low", |b| b.low),
        ("close", |b| b.close),
        ("volume", |b| b.volume),
    ];
    for (name, f) in fields {
        FuncRegistration::new_getter(name)
            .with_volatility(true)
            .register_into_engine(engine, move |v: &mut BarView| -> FLOAT {
                v.0.borrow().bar.as_ref().map_or(f64::NAN, f)
            });
    }
    FuncRegistration::new_getter("time")
        .with_volatility(true)
        .register_into_engine(engine, |v: &mut BarView| -> INT { v.0.borrow().bar.map_or(0, |b| b.ts) });
    FuncRegistration::new_getter("index")
        .with_volatility(true)
        .register_into_engine(engine, |v: &mut BarView| -> INT { v.0.borrow().bar_index as INT });
    // `bar.NAME` falls back to this indexer for any name that is not a field above.
    FuncRegistration::new_index_getter().with_volatility(true).register_into_engine(
        engine,
        |ctx: NativeCallContext, v: &mut BarView, name: &str| -> Res<FLOAT> {
            let host = v.0.borrow();
            match host.series.iter().position(|s| s == name) {
                Some(i) => Ok(host.values.get(i).copied().unwrap_or(f64::NAN)),
                None => {
                    let names = host.series.iter().map(String::as_str);
                    let hint = strata_runtime::suggest::hint(name, names.clone());
                    let declared: Vec<&str> = names.collect();
                    let declared = if declared.is_empty() { "none".to_string() } else { declared.join(", ") };
                    fail(
                        format!(
                            "bar has no series '{name}'{hint} (fields: open, high, low, close, volume, time, index; \
                             declared series: {declared})"
                        ),
                        ctx.call_position(),
                    )
                }
            }
        },
    );
}

fn register_account(engine: &mut Engine, host: &Shared) {
    type Read = fn(&AccountView) -> f64;
    let reads: [(&str, Read); 4] = [
        ("position", |a| a.position),
        ("equity", |a| a.equity),
        ("cash", |a| a.cash),
        ("entry_price", |a| a.entry_price),
    ];
    for (name, read) in reads {
        let h = host.clone();
        FuncRegistration::new(name).with_volatility(true).register_into_engine(
            engine,
            move |ctx: NativeCallContext| -> Res<FLOAT> {
                phase_check(&h, Phase::Bar, &ctx)?;
                Ok(read(&h.borrow().account))
            },
        );
    }
    let h = host.clone();
    FuncRegistration::new("bars_in_trade").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext| -> Res<INT> {
            phase_check(&h, Phase::Bar, &ctx)?;
            Ok(h.borrow().account.bars_in_trade as INT)
        },
    );
}

/// What an order function builds from its size.
pub type MakeOrder = fn(f64) -> Action;

/// The order functions a script calls with a size, and the action each makes. Both tiers read this table; each also
/// takes a map of order terms as a second argument (interpreted tier), see [`ORDER_TERMS`].
pub const ORDERS: [(&str, MakeOrder); 12] = [
    ("buy", |q| Action::Buy(Quantity::Units(q))),
    ("buy_pct", |q| Action::Buy(Quantity::Percent(q))),
    ("buy_cash", |q| Action::Buy(Quantity::Cash(q))),
    ("sell", |q| Action::Sell(Quantity::Units(q))),
    ("sell_pct", |q| Action::Sell(Quantity::Percent(q))),
    ("sell_cash", |q| Action::Sell(Quantity::Cash(q))),
    ("short", |q| Action::Short(Quantity::Units(q))),
    ("short_pct", |q| Action::Short(Quantity::Percent(q))),
    ("short_cash", |q| Action::Short(Quantity::Cash(q))),
    ("cover", |q| Action::Cover(Quantity::Units(q))),
    ("cover_pct", |q| Action::Cover(Quantity::Percent(q))),
    ("cover_cash", |q| Action::Cover(Quantity::Cash(q))),
];

/// The keys an order's terms map may hold (`buy(10, #{ limit: 99.5, stoploss_pct: 2.0, name: "dip" })`): the
/// `.strat` terms, a percent level spelled with `_pct`.
pub const ORDER_TERMS: [&str; 12] = [
    "limit",
    "stop",
    "stoploss",
    "stoploss_pct",
    "takeprofit",
    "takeprofit_pct",
    "trail",
    "trail_pct",
    "bars",
    "day",
    "name",
    "risk_pct",
];

/// What is wrong with an order's terms: a mistake in the script (the run stops), or a value that is not a positive
/// number on this bar (the order is rejected and counted, as a `.strat` order with such a price is).
#[derive(Debug)]
pub enum TermProblem {
    Error(String),
    Reject(String),
}

impl From<String> for TermProblem {
    fn from(s: String) -> Self {
        TermProblem::Error(s)
    }
}

/// Reads an order's terms map into `intent` (the size comes from the call; `risk_pct` turns it into a risk size,
/// which needs a `stoploss`).
pub fn apply_terms(
    fname: &str,
    terms: &rhai::Map,
    intent: &mut OrderIntent,
    host: &mut Host,
) -> Result<(), TermProblem> {
    let num = |key: &str, v: &Dynamic| -> Result<f64, TermProblem> {
        match number(v) {
            Some((x, _)) if x.is_finite() && x > 0.0 => Ok(x),
            Some((x, _)) => Err(TermProblem::Reject(format!(
                "{fname}(): `{key}` must be a positive number, got {}",
                if x.is_nan() { "undefined".to_string() } else { strata_runtime::fmt_num(x) }
            ))),
            None => Err(TermProblem::Error(format!("{fname}(): `{key}` must be a number, got {}", v.type_name()))),
        }
    };
    let (mut limit, mut stop) = (None, None);
    let entry = intent.action.is_entry();
    // Sorted keys: the same map always reads the same way.
    let mut keys: Vec<&str> = terms.keys().map(|k| k.as_str()).collect();
    keys.sort_unstable();
    for key in keys {
        let Some(v) = terms.get(key) else { continue };
        let level = |pct: bool| -> Result<Option<Level>, TermProblem> {
            if !entry {
                return Err(TermProblem::Error(format!(
                    "{fname}(): `{key}` attaches an exit to an entry (buy, short), not to {fname}()"
                )));
            }
            let x = num(key, v)?;
            Ok(Some(if pct { Level::Percent(x) } else { Level::Price(x) }))
        };
        match key {
            "limit" => limit = Some(num(key, v)?),
            "stop" => stop = Some(num(key, v)?),
            "stoploss" | "stoploss_pct" => intent.exits.stop_loss = level(key.ends_with("_pct"))?,
            "takeprofit" | "takeprofit_pct" => intent.exits.take_profit = level(key.ends_with("_pct"))?,
            "trail" | "trail_pct" => intent.exits.trail = level(key.ends_with("_pct"))?,
            "bars" => {
                let n = num(key, v)?;
                if n.fract() != 0.0 || n > u32::MAX as f64 {
                    return Err(TermProblem::Error(format!(
                        "{fname}(): `bars` must be a whole number, got {}",
                        strata_runtime::fmt_num(n)
                    )));
                }
                intent.tif = TimeInForce::Bars(n as u32);
            }
            "day" => match v.as_bool() {
                Ok(true) => intent.tif = TimeInForce::Day,
                Ok(false) => {}
                Err(t) => return Err(TermProblem::Error(format!("{fname}(): `day` must be true or false, got {t}"))),
            },
            "name" => match v.clone().into_immutable_string() {
                Ok(n) => intent.tag = Some(host.order_tag(&n)),
                Err(t) => return Err(TermProblem::Error(format!("{fname}(): `name` must be a string, got {t}"))),
            },
            "risk_pct" => {
                if !entry {
                    return Err(TermProblem::Error(format!(
                        "{fname}(): `risk_pct` sizes entries (buy, short), not {fname}()"
                    )));
                }
                let r = num(key, v)?;
                intent.action = match intent.action {
                    Action::Short(_) => Action::Short(Quantity::Risk(r)),
                    _ => Action::Buy(Quantity::Risk(r)),
                };
            }
            other => {
                let hint = strata_runtime::suggest::hint(other, ORDER_TERMS);
                return Err(TermProblem::Error(format!(
                    "{fname}(): unknown order term `{other}`{hint} (terms: {})",
                    ORDER_TERMS.join(", ")
                )));
            }
        }
    }
    if matches!(intent.action, Action::Buy(Quantity::Risk(_)) | Action::Short(Quantity::Risk(_)))
        && intent.exits.stop_loss.is_none()
    {
        return Err(TermProblem::Error(format!(
            "{fname}(): `risk_pct` needs a `stoploss` (or `stoploss_pct`) to size the risk on"
        )));
    }
    intent.kind = match (stop, limit) {
        (None, None) => OrderType::Market,
        (None, Some(l)) => OrderType::Limit(l),
        (Some(s), None) => OrderType::Stop(s),
        (Some(stop), Some(limit)) => OrderType::StopLimit { stop, limit },
    };
    if intent.kind == OrderType::Market && intent.tif != TimeInForce::Gtc {
        return Err(TermProblem::Error(format!(
            "{fname}(): a time in force (`bars`, `day`) applies to limit and stop orders"
        )));
    }
    Ok(())
}

/// An order size is a positive finite number; otherwise the message both tiers report.
pub fn check_size(name: &str, q: f64) -> Result<f64, String> {
    if q.is_finite() && q > 0.0 {
        Ok(q)
    } else {
        Err(format!("{name}(): the size must be a positive number, got {}", strata_runtime::fmt_num(q)))
    }
}

fn register_orders(engine: &mut Engine, host: &Shared) {
    for (name, make) in ORDERS {
        let h = host.clone();
        FuncRegistration::new(name).with_volatility(true).register_into_engine(
            engine,
            move |ctx: NativeCallContext, size: Dynamic| -> Res<()> {
                phase_check(&h, Phase::Bar, &ctx)?;
                let Some((q, _)) = number(&size) else {
                    return fail(format!("{name}() takes a number, got {}", size.type_name()), ctx.call_position());
                };
                let q = check_size(name, q).or_else(|msg| fail(msg, ctx.call_position()))?;
                h.borrow_mut().orders.push(Ok(OrderIntent::market(0, 0, make(q))));
                Ok(())
            },
        );
        let h = host.clone();
        FuncRegistration::new(name).with_volatility(true).register_into_engine(
            engine,
            move |ctx: NativeCallContext, size: Dynamic, terms: rhai::Map| -> Res<()> {
                phase_check(&h, Phase::Bar, &ctx)?;
                let Some((q, _)) = number(&size) else {
                    return fail(format!("{name}() takes a number, got {}", size.type_name()), ctx.call_position());
                };
                let q = check_size(name, q).or_else(|msg| fail(msg, ctx.call_position()))?;
                let mut host = h.borrow_mut();
                let mut intent = OrderIntent::market(0, 0, make(q));
                match apply_terms(name, &terms, &mut intent, &mut host) {
                    Ok(()) => host.orders.push(Ok(intent)),
                    Err(TermProblem::Reject(why)) => {
                        let line = ctx.call_position().line().unwrap_or(0);
                        host.orders.push(Err(format!("line {line}: {why}")));
                    }
                    Err(TermProblem::Error(msg)) => return fail(msg, ctx.call_position()),
                }
                Ok(())
            },
        );
    }
    let h = host.clone();
    FuncRegistration::new("cancel").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, name: &str| -> Res<()> {
            phase_check(&h, Phase::Bar, &ctx)?;
            let mut host = h.borrow_mut();
            let tag = host.order_tag(name);
            host.orders.push(Ok(OrderIntent::market(0, 0, Action::Cancel(tag))));
            Ok(())
        },
    );
    let h = host.clone();
    FuncRegistration::new("pyramiding").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, n: INT| -> Res<()> {
            phase_check(&h, Phase::Declare, &ctx)?;
            let mut host = h.borrow_mut();
            if host.pyramiding.is_some() {
                return fail("pyramiding() is called twice".into(), ctx.call_position());
            }
            if !(1..=u32::MAX as INT).contains(&n) {
                return fail(format!("pyramiding() takes a whole number of entries ≥ 1, got {n}"), ctx.call_position());
            }
            host.pyramiding = Some(n as u32);
            Ok(())
        },
    );
    let h = host.clone();
    FuncRegistration::new("symbols").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext, names: rhai::Array| -> Res<()> {
            phase_check(&h, Phase::Declare, &ctx)?;
            let mut host = h.borrow_mut();
            if host.symbols.is_some() {
                return fail("symbols() is called twice".into(), ctx.call_position());
            }
            let mut out: Vec<String> = Vec::with_capacity(names.len());
            for n in names {
                let Some(name) = n.clone().into_immutable_string().ok().map(|s| s.trim().to_ascii_uppercase()) else {
                    return fail(
                        format!("symbols() takes an array of names, like [\"NVDA\", \"ORCL\"]; got {}", n.type_name()),
                        ctx.call_position(),
                    );
                };
                if name.is_empty() || out.contains(&name) {
                    let why = if name.is_empty() { "an empty symbol".to_string() } else { format!("'{name}' twice") };
                    return fail(format!("symbols() lists {why}"), ctx.call_position());
                }
                out.push(name);
            }
            host.symbols = Some(out);
            Ok(())
        },
    );
    let h = host.clone();
    FuncRegistration::new("exit").with_volatility(true).register_into_engine(
        engine,
        move |ctx: NativeCallContext| -> Res<()> {
            phase_check(&h, Phase::Bar, &ctx)?;
            h.borrow_mut().orders.push(Ok(OrderIntent::market(0, 0, Action::Close)));
            Ok(())
        },
    );
}

/// Every function name the API registers, for "did you mean".
pub const API_NAMES: [&str; 25] = [
    "strategy",
    "param",
    "series",
    "state",
    "position",
    "equity",
    "cash",
    "entry_price",
    "bars_in_trade",
    "buy",
    "buy_pct",
    "buy_cash",
    "sell",
    "sell_pct",
    "sell_cash",
    "short",
    "short_pct",
    "short_cash",
    "cover",
    "cover_pct",
    "cover_cash",
    "exit",
    "cancel",
    "pyramiding",
    "symbols",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_arguments_are_found_where_written() {
        let text = "series(\"f\",  \"sma(close, 10)\");";
        let at = literal_arg(text, 0, 1, "sma(close, 10)").unwrap();
        assert_eq!(&text[at..at + 3], "sma");
        // Not the literal the call received (computed), or with escapes: no position.
        assert_eq!(literal_arg(text, 0, 1, "ema(close, 10)"), None);
        assert_eq!(literal_arg("series(\"f\", \"a\\\"b\")", 0, 1, "a\"b"), None);
        assert_eq!(literal_arg("series(\"f\", x)", 0, 1, "x"), None);
        let raw = "series(`f`, `sma(close,\n 10)`)";
        assert_eq!(literal_arg(raw, 0, 1, "sma(close,\n 10)"), Some(13));
    }

    #[test]
    fn positions_become_offsets() {
        let text = "ab\ncdé f";
        assert_eq!(offset_of(text, Position::new(2, 5)), Some(text.find('f').unwrap()));
        assert_eq!(offset_of(text, Position::new(9, 1)), None);
    }
}
