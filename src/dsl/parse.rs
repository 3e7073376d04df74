//! Parsing: pest's parse tree → the owned AST, and pest's errors → diagnostics.
//!
//! Design choice: pest stays inside this module. The grammar (grammar/strat.pest) gives the flat sequence of
//! operators and operands; a Pratt parser applies precedence here, and syntax errors are rewritten from rule names
//! into words a quant reads ("expected an expression, found '}'").

use std::sync::LazyLock;

use pest::Parser;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use strata_runtime::plan::BinOp;

use super::ast::*;
use super::diagnostic::Diagnostic;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/strat.pest"]
struct StratParser;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::prefix(Rule::not))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::postfix(Rule::index) | Op::postfix(Rule::member) | Op::postfix(Rule::timeframe))
});

/// Parses a whole `.strat` source.
pub fn parse_file(text: &str) -> Result<File, Diagnostic> {
    let mut pairs = StratParser::parse(Rule::file, text).map_err(|e| syntax_error(text, e))?;
    let file = pairs.next().expect("the file rule always yields one pair");
    check_sizes(&file)?;
    let mut header = None;
    let mut items = Vec::new();
    for p in file.into_inner() {
        match p.as_rule() {
            Rule::header => {
                let s = p.into_inner().find(|q| q.as_rule() == Rule::string).expect("header has a string");
                let name = s.as_str().trim_matches('"').to_string();
                header = Some((name, span(&s)));
            }
            Rule::param_decl => items.push(param(p)),
            Rule::symbols_decl => {
                let sp = span(&p);
                let names = p.into_inner().filter(|q| q.as_rule() == Rule::symbol_name).map(ident).collect();
                items.push(Item::Symbols { names, span: sp });
            }
            Rule::pyramiding_decl => {
                let sp = span(&p);
                let value = literal(meaningful(p).next().expect("pyramiding has a number"));
                items.push(Item::Pyramiding { value, span: sp });
            }
            Rule::let_decl => {
                let sp = span(&p);
                let (name, value) = name_and_expr(p);
                items.push(Item::Let { name, value, span: sp });
            }
            Rule::var_decl => {
                let sp = span(&p);
                let (name, init) = name_and_expr(p);
                items.push(Item::Var { name, init, span: sp });
            }
            Rule::EOI => {}
            _ => items.push(Item::Stmt(statement(p))),
        }
    }
    Ok(File { header, items })
}

/// Parses a single expression (for `strata ta NAME=EXPR`).
pub fn parse_expression(text: &str) -> Result<Expr, Diagnostic> {
    // A tiny wrapper grammar: an expression must use the whole input.
    let wrapped = format!("let __expr = {text}");
    let offset = "let __expr = ".len();
    let file = parse_file(&wrapped).map_err(|mut d| {
        d.span.start = d.span.start.saturating_sub(offset);
        d.span.end = d.span.end.saturating_sub(offset);
        d
    })?;
    match file.items.into_iter().next() {
        Some(Item::Let { value, .. }) if file.header.is_none() => {
            Ok(map_spans(value, &|sp| Span::new(sp.start - offset, sp.end - offset)))
        }
        _ => Err(Diagnostic::error(Span::new(0, text.len()), "expected a single expression")),
    }
}

/// Parses an expression written at byte `at` of a larger text (a string in a script): spans, in the expression
/// and in an error, are offsets into that larger text.
pub fn parse_expression_at(text: &str, at: usize) -> Result<Expr, Diagnostic> {
    let moved = |sp: Span| Span::new(sp.start + at, sp.end + at);
    match parse_expression(text) {
        Ok(e) => Ok(map_spans(e, &moved)),
        Err(mut d) => {
            d.span = moved(d.span);
            Err(d)
        }
    }
}

/// Rewrites every span of an expression.
pub fn map_spans(e: Expr, f: &dyn Fn(Span) -> Span) -> Expr {
    let s = |sp: Span| f(sp);
    let b = |e: Box<Expr>| Box::new(map_spans(*e, f));
    let id = |i: Ident| Ident { name: i.name, span: s(i.span) };
    match e {
        Expr::Number { value, span } => Expr::Number { value, span: s(span) },
        Expr::Bool { value, span } => Expr::Bool { value, span: s(span) },
        Expr::Name(i) => Expr::Name(id(i)),
        Expr::Call { name, args, span } => {
            Expr::Call { name: id(name), args: args.into_iter().map(|a| map_spans(a, f)).collect(), span: s(span) }
        }
        Expr::Unary { op, operand, span } => Expr::Unary { op, operand: b(operand), span: s(span) },
        Expr::Binary { op, lhs, rhs, span } => Expr::Binary { op, lhs: b(lhs), rhs: b(rhs), span: s(span) },
        Expr::Index { target, offset, span } => Expr::Index { target: b(target), offset: b(offset), span: s(span) },
        Expr::Member { target, name, span } => Expr::Member { target: b(target), name: id(name), span: s(span) },
        Expr::Frame { target, frame, span } => Expr::Frame { target: b(target), frame: id(frame), span: s(span) },
        Expr::Conditional { cond, then, otherwise, span } => {
            Expr::Conditional { cond: b(cond), then: b(then), otherwise: b(otherwise), span: s(span) }
        }
    }
}

fn span(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn ident(p: Pair<Rule>) -> Ident {
    Ident { name: p.as_str().to_string(), span: span(&p) }
}

fn literal(p: Pair<Rule>) -> Literal {
    let text: String = p.as_str().chars().filter(|c| !c.is_whitespace() && *c != '_').collect();
    let whole = !text.contains(['.', 'e', 'E']);
    Literal { value: text.parse().unwrap_or(f64::NAN), whole, span: span(&p) }
}

/// The children of a pair that carry meaning (keywords and punctuation dropped).
fn meaningful(p: Pair<Rule>) -> impl Iterator<Item = Pair<Rule>> {
    p.into_inner().filter(|q| !is_token(q.as_rule()))
}

fn is_token(r: Rule) -> bool {
    matches!(
        r,
        Rule::assign_op
            | Rule::equals
            | Rule::open_brace
            | Rule::close_brace
            | Rule::open_paren
            | Rule::close_paren
            | Rule::comma
            | Rule::kw_strategy
            | Rule::kw_param
            | Rule::kw_let
            | Rule::kw_var
            | Rule::kw_when
            | Rule::kw_else
            | Rule::kw_in
            | Rule::kw_step
            | Rule::kw_buy
            | Rule::kw_sell
            | Rule::kw_short
            | Rule::kw_cover
            | Rule::kw_cancel
            | Rule::kw_limit
            | Rule::kw_stop
            | Rule::kw_stoploss
            | Rule::kw_takeprofit
            | Rule::kw_trail
            | Rule::kw_for
            | Rule::kw_bars
            | Rule::kw_as
            | Rule::kw_risk
            | Rule::kw_pyramiding
    )
}

fn param(p: Pair<Rule>) -> Item {
    let sp = span(&p);
    let mut it = meaningful(p);
    let name = ident(it.next().expect("param has a name"));
    let default = literal(it.next().expect("param has a default"));
    let range = it.next().map(|r| {
        let rs = span(&r);
        let mut parts = meaningful(r);
        let min = literal(parts.next().expect("range has a min"));
        let max = literal(parts.next().expect("range has a max"));
        let step = parts.next().map(literal);
        Range { min, max, step, span: rs }
    });
    Item::Param { name, default, range, span: sp }
}

fn name_and_expr(p: Pair<Rule>) -> (Ident, Expr) {
    let mut it = meaningful(p);
    let name = ident(it.next().expect("declaration has a name"));
    let value = expr(it.next().expect("declaration has a value"));
    (name, value)
}

fn statement(p: Pair<Rule>) -> Stmt {
    let sp = span(&p);
    match p.as_rule() {
        Rule::when_stmt => when(p),
        Rule::assign_stmt => {
            let (target, value) = name_and_expr(p);
            Stmt::Assign { target, value, span: sp }
        }
        Rule::order_stmt => {
            let o = p.into_inner().next().expect("order has a kind");
            let verb = match o.as_rule() {
                Rule::buy => Verb::Buy,
                Rule::sell => Verb::Sell,
                Rule::short => Verb::Short,
                Rule::cover => Verb::Cover,
                Rule::cancel => {
                    return Stmt::Cancel { name: ident(meaningful(o).next().expect("cancel has a name")), span: sp };
                }
                _ => return Stmt::Exit { span: sp },
            };
            let mut it = meaningful(o);
            let size = size(it.next().expect("an order has a size"));
            Stmt::Order { verb, size, terms: it.map(term).collect(), span: sp }
        }
        r => unreachable!("not a statement: {r:?}"),
    }
}

fn when(p: Pair<Rule>) -> Stmt {
    let sp = span(&p);
    let mut it = meaningful(p);
    let cond = expr(it.next().expect("when has a condition"));
    let then = block(it.next().expect("when has a block"));
    let otherwise = match it.next() {
        Some(e) => {
            let inner = meaningful(e).next().expect("else has a body");
            match inner.as_rule() {
                Rule::when_stmt => vec![when(inner)],
                _ => block(inner),
            }
        }
        None => vec![],
    };
    Stmt::When { cond, then, otherwise, span: sp }
}

fn block(p: Pair<Rule>) -> Vec<Stmt> {
    meaningful(p).map(statement).collect()
}

fn term(p: Pair<Rule>) -> Term {
    let sp = span(&p);
    let rule = p.as_rule();
    let mut it = meaningful(p);
    let first = it.next().expect("a term has a value or a keyword");
    let kind = match (rule, first.as_rule()) {
        (Rule::limit_term, _) => TermKind::Limit(expr(first)),
        (Rule::stop_term, _) => TermKind::Stop(expr(first)),
        (Rule::stoploss_term, _) => TermKind::StopLoss(expr(first), it.next().is_some()),
        (Rule::takeprofit_term, _) => TermKind::TakeProfit(expr(first), it.next().is_some()),
        (Rule::trail_term, _) => TermKind::Trail(expr(first), it.next().is_some()),
        (Rule::name_term, _) => TermKind::Name(ident(first)),
        (_, Rule::kw_gtc) => TermKind::Gtc,
        (_, Rule::kw_day) => TermKind::Day,
        // `for N bars`
        _ => TermKind::Bars(expr(first)),
    };
    Term { kind, span: sp }
}

fn size(p: Pair<Rule>) -> Size {
    let inner = p.into_inner().next().expect("size has a form");
    match inner.as_rule() {
        Rule::risk_size => {
            let mut it = meaningful(inner);
            let amount = expr(it.next().expect("risk amount"));
            let _percent = it.next();
            let stop = it.next().map(expr);
            Size { unit: SizeUnit::Risk, amount, stop }
        }
        Rule::cash_size => {
            Size { unit: SizeUnit::Cash, amount: expr(inner.into_inner().next().expect("$ amount")), stop: None }
        }
        _ => {
            let mut it = inner.into_inner();
            let amount = expr(it.next().expect("size amount"));
            let unit = if it.next().is_some() { SizeUnit::Percent } else { SizeUnit::Units };
            Size { unit, amount, stop: None }
        }
    }
}

fn expr(p: Pair<Rule>) -> Expr {
    let sp = span(&p);
    let mut it = p.into_inner();
    let head = operation(it.next().expect("expr has an operation"));
    match (it.next(), it.next()) {
        (Some(a), Some(b)) => {
            Expr::Conditional { cond: Box::new(head), then: Box::new(expr(a)), otherwise: Box::new(expr(b)), span: sp }
        }
        _ => head,
    }
}

/// Most binary operators in one expression, and most prefix operators on one operand: generous for people, and
/// a bound on how deep the syntax tree (and every pass over it) can go.
const MAX_OPERATORS: usize = 2_000;
const MAX_PREFIXES: usize = 100;

/// Checks an expression's size before it is built; see [`MAX_OPERATORS`].
fn check_size(p: &Pair<Rule>) -> Result<(), Diagnostic> {
    let (mut infix, mut run) = (0usize, 0usize);
    for q in p.clone().into_inner() {
        match q.as_rule() {
            Rule::add
            | Rule::sub
            | Rule::mul
            | Rule::div
            | Rule::lt
            | Rule::le
            | Rule::gt
            | Rule::ge
            | Rule::eq
            | Rule::ne
            | Rule::and
            | Rule::or => {
                infix += 1;
                run = 0;
            }
            Rule::neg | Rule::not => {
                run += 1;
                if run > MAX_PREFIXES {
                    return Err(Diagnostic::error(
                        span(&q),
                        format!("more than {MAX_PREFIXES} prefix operators in a row"),
                    ));
                }
            }
            _ => run = 0,
        }
    }
    if infix > MAX_OPERATORS {
        return Err(Diagnostic::error(
            span(p),
            format!("expression too long: {infix} operators (at most {MAX_OPERATORS}); split it with `let`"),
        ));
    }
    Ok(())
}

/// Rejects over-long expressions anywhere in a parse tree, before the tree is turned into an AST.
fn check_sizes(p: &Pair<Rule>) -> Result<(), Diagnostic> {
    for q in p.clone().into_inner().flatten() {
        if q.as_rule() == Rule::operation {
            check_size(&q)?;
        }
    }
    Ok(())
}

fn operation(p: Pair<Rule>) -> Expr {
    PRATT
        .map_primary(primary)
        .map_prefix(|op, rhs| {
            let sp = span(&op).to(rhs.span());
            let op = if op.as_rule() == Rule::not { UnaryOp::Not } else { UnaryOp::Neg };
            Expr::Unary { op, operand: Box::new(rhs), span: sp }
        })
        .map_postfix(|lhs, op| {
            let sp = lhs.span().to(span(&op));
            match op.as_rule() {
                Rule::index => Expr::Index {
                    target: Box::new(lhs),
                    offset: Box::new(expr(op.into_inner().next().expect("index has an expression"))),
                    span: sp,
                },
                Rule::timeframe => Expr::Frame {
                    target: Box::new(lhs),
                    frame: ident(op.into_inner().next().expect("a timeframe has a name")),
                    span: sp,
                },
                _ => Expr::Member {
                    target: Box::new(lhs),
                    name: ident(op.into_inner().next().expect("member has a name")),
                    span: sp,
                },
            }
        })
        .map_infix(|lhs, op, rhs| {
            let sp = lhs.span().to(rhs.span());
            let op = match op.as_rule() {
                Rule::add => BinOp::Add,
                Rule::sub => BinOp::Sub,
                Rule::mul => BinOp::Mul,
                Rule::div => BinOp::Div,
                Rule::lt => BinOp::Lt,
                Rule::le => BinOp::Le,
                Rule::gt => BinOp::Gt,
                Rule::ge => BinOp::Ge,
                Rule::eq => BinOp::Eq,
                Rule::ne => BinOp::Ne,
                Rule::and => BinOp::And,
                _ => BinOp::Or,
            };
            Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs), span: sp }
        })
        .parse(p.into_inner())
}

fn primary(p: Pair<Rule>) -> Expr {
    let sp = span(&p);
    match p.as_rule() {
        Rule::number => Expr::Number { value: literal(p).value, span: sp },
        Rule::boolean => Expr::Bool { value: p.as_str().starts_with('t'), span: sp },
        Rule::ident => Expr::Name(ident(p)),
        Rule::paren => expr(meaningful(p).next().expect("parenthesised expression")),
        Rule::call => {
            let mut it = meaningful(p);
            let name = ident(it.next().expect("call has a name"));
            Expr::Call { name, args: it.map(expr).collect(), span: sp }
        }
        r => unreachable!("not a primary: {r:?}"),
    }
}

/// Turns a pest error into a diagnostic: "expected X or Y, found 'z'".
fn syntax_error(text: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let at = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = found_at(text, at);
    let len = match found.as_str() {
        "end of file" => 0,
        f => f.trim_matches('\'').len(),
    };
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let mut d = Diagnostic::error(Span::new(at, at + len), format!("syntax error: expected {expected}, found {found}"));
    if let Some(help) = hint(text, at, &found) {
        d = d.with_help(help);
    }
    d
}

fn hint(text: &str, at: usize, found: &str) -> Option<String> {
    if found == "end of file"
        && let Some(open) = unclosed_brace(text)
    {
        let line = text[..open].matches('\n').count() + 1;
        return Some(format!("the '{{' on line {line} is never closed"));
    }
    let rest = &text[at.min(text.len())..];
    if rest.starts_with('=') && !rest.starts_with("==") {
        return Some("assign a var with ':=' (and declare it first with `var name = value`)".into());
    }
    if found == "'strategy'" {
        return Some("the `strategy \"name\"` header must come first, once".into());
    }
    // An order term whose value is missing: say what goes there.
    let before = text[..at.min(text.len())].trim_end();
    let terms = [
        (
            "stoploss",
            "`stoploss` takes a price or a percent of the fill: `stoploss close - 2 * atr(14)`, `stoploss 2%`",
        ),
        ("takeprofit", "`takeprofit` takes a price or a percent of the fill: `takeprofit 4%`"),
        ("trail", "`trail` takes a distance or a percent: `trail 3 * atr(14)`, `trail 5%`"),
        ("limit", "`limit` takes the price to fill at or better: `buy 10 limit close * 0.99`"),
        ("stop", "`stop` takes the price that triggers it: `buy 10 stop highest(high, 20)`"),
        ("risk", "a risk size reads `risk N% stop PRICE`: `buy risk 1% stop close - 2 * atr(14)`"),
        ("for", "a time in force in bars reads `for N bars`"),
        ("as", "`as` takes a name for the order: `as dip`"),
        ("cancel", "`cancel` takes the name an order was placed under: `cancel dip`"),
    ];
    for (word, help) in terms {
        if let Some(head) = before.strip_suffix(word)
            && !head.ends_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            return Some(help.into());
        }
    }
    if found == "'&&'" || found == "'||'" || found == "'!'" {
        return Some("use the words `and`, `or` and `not`".into());
    }
    None
}

/// The offset of the last '{' without a matching '}' (comments and strings skipped).
fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => open.push(i),
            b'}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    open.pop()
}

/// What is at `at`: a quoted word, operator or character, or "end of file".
fn found_at(text: &str, at: usize) -> String {
    let rest = &text[at.min(text.len())..];
    let Some(c) = rest.chars().next() else {
        return "end of file".into();
    };
    let token: String = if c.is_alphanumeric() || c == '_' {
        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.').collect()
    } else {
        let two: String = rest.chars().take(2).collect();
        if ["&&", "||", "==", "!=", "<=", ">=", ":=", ".."].contains(&two.as_str()) { two } else { c.to_string() }
    };
    if token == "\n" { "end of line".into() } else { format!("'{token}'") }
}

fn describe_expected(rules: &[Rule]) -> String {
    let mut words: Vec<&str> = Vec::new();
    let statement_starts = [Rule::kw_param, Rule::kw_let, Rule::kw_var, Rule::kw_when, Rule::order_stmt];
    let is_statement = rules.iter().any(|r| statement_starts.contains(r) || *r == Rule::assign_stmt);
    for r in rules {
        let w = match r {
            Rule::expr
            | Rule::operation
            | Rule::number
            | Rule::boolean
            | Rule::call
            | Rule::paren
            | Rule::neg
            | Rule::not => "an expression",
            Rule::ident if is_statement => "a statement",
            Rule::ident => "a name",
            Rule::signed_number => "a number",
            Rule::string => "a quoted name",
            Rule::EOI => "end of file",
            Rule::add
            | Rule::sub
            | Rule::mul
            | Rule::div
            | Rule::lt
            | Rule::le
            | Rule::gt
            | Rule::ge
            | Rule::eq
            | Rule::ne
            | Rule::and
            | Rule::or => "an operator",
            Rule::index | Rule::member | Rule::timeframe => "an operator",
            Rule::timeframe_name => "a timeframe (30s, 15m, 1h, 4h, 1d, 1w)",
            Rule::block | Rule::open_brace => "'{'",
            Rule::close_brace => "'}'",
            Rule::assign_op => "':='",
            Rule::equals => "'='",
            Rule::open_paren => "'('",
            Rule::close_paren => "')'",
            Rule::comma => "','",
            Rule::percent => "'%'",
            Rule::size | Rule::cash_size | Rule::amount_size | Rule::risk_size => {
                "an order size (units, N%, $cash or risk N% stop PRICE)"
            }
            Rule::limit_term
            | Rule::stop_term
            | Rule::stoploss_term
            | Rule::takeprofit_term
            | Rule::trail_term
            | Rule::tif_term
            | Rule::name_term
            | Rule::kw_limit
            | Rule::kw_stop
            | Rule::kw_stoploss
            | Rule::kw_takeprofit
            | Rule::kw_trail
            | Rule::kw_gtc
            | Rule::kw_day
            | Rule::kw_for
            | Rule::kw_as => "an order term (limit, stop, stoploss, takeprofit, trail, gtc, day, for N bars, as NAME)",
            Rule::kw_bars => "'bars'",
            Rule::kw_pyramiding | Rule::pyramiding_decl | Rule::kw_symbols | Rule::symbols_decl => "a statement",
            Rule::symbol_name => "a symbol (NVDA, BTCUSDT, BRK.B)",
            Rule::kw_param
            | Rule::kw_let
            | Rule::kw_var
            | Rule::kw_when
            | Rule::order_stmt
            | Rule::assign_stmt
            | Rule::buy
            | Rule::sell
            | Rule::short
            | Rule::cover
            | Rule::cancel
            | Rule::exit
            | Rule::kw_buy
            | Rule::kw_sell
            | Rule::kw_short
            | Rule::kw_cover
            | Rule::kw_cancel => "a statement",
            Rule::kw_else => "'else'",
            Rule::kw_in => "'in'",
            Rule::kw_step => "'step'",
            Rule::param_range => "'in'",
            Rule::else_clause => "'else'",
            _ => "something else",
        };
        if !words.contains(&w) {
            words.push(w);
        }
    }
    if words.contains(&"an expression") {
        words.retain(|w| *w != "a name");
    }
    // `(` is only ever expected as "this name could be a call": noise unless it is all there is.
    if words.len() > 1 {
        words.retain(|w| *w != "'('");
    }
    match words.len() {
        0 => "something else".into(),
        1 => words[0].into(),
        _ => {
            let last = words.pop().unwrap_or_default();
            format!("{} or {}", words.join(", "), last)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_expr(src: &str) -> Expr {
        parse_expression(src).unwrap()
    }

    fn show(e: &Expr) -> String {
        match e {
            Expr::Number { value, .. } => format!("{value}"),
            Expr::Bool { value, .. } => format!("{value}"),
            Expr::Name(i) => i.name.clone(),
            Expr::Call { name, args, .. } => {
                format!("{}({})", name.name, args.iter().map(show).collect::<Vec<_>>().join(", "))
            }
            Expr::Unary { op, operand, .. } => format!("({:?} {})", op, show(operand)),
            Expr::Binary { op, lhs, rhs, .. } => {
                format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
            }
            Expr::Index { target, offset, .. } => format!("{}[{}]", show(target), show(offset)),
            Expr::Member { target, name, .. } => format!("{}.{}", show(target), name.name),
            Expr::Frame { target, frame, .. } => format!("{}@{}", show(target), frame.name),
            Expr::Conditional { cond, then, otherwise, .. } => {
                format!("({} ? {} : {})", show(cond), show(then), show(otherwise))
            }
        }
    }

    #[test]
    fn precedence() {
        let cases = [
            ("1 + 2 * 3", "(1 + (2 * 3))"),
            ("not a > b and c", "((Not (a > b)) and c)"),
            ("-x[1]", "(Neg x[1])"),
            ("a or b and c", "(a or (b and c))"),
            ("bbands(close, 20, 2).upper", "bbands(close, 20, 2).upper"),
            ("x > 1 ? a : b ? c : d", "((x > 1) ? a : (b ? c : d))"),
            ("(1 + 2) * 3", "((1 + 2) * 3)"),
            ("a - b - c", "((a - b) - c)"),
        ];
        for (src, want) in cases {
            assert_eq!(show(&first_expr(src)), want, "{src}");
        }
    }

    #[test]
    fn keywords_need_a_boundary() {
        let f = parse_file("let buyer = close\nlet notional = buyer\nwhen notional > 1 { buy 1 }").unwrap();
        assert_eq!(f.items.len(), 3);
    }

    #[test]
    fn spans_point_at_the_text() {
        let src = "let x = sma(close, 10)";
        let f = parse_file(src).unwrap();
        let Item::Let { value: Expr::Call { name, span, .. }, .. } = &f.items[0] else { panic!() };
        assert_eq!(&src[name.span.start..name.span.end], "sma");
        assert_eq!(&src[span.start..span.end], "sma(close, 10)");
    }

    #[test]
    fn syntax_errors_say_expected_and_found() {
        let d = parse_file("let x = \nwhen x { buy 1 }").unwrap_err();
        assert_eq!(d.message, "syntax error: expected an expression, found 'when'");
        let d = parse_file("when close > 1 { buy }").unwrap_err();
        assert!(d.message.contains("found '}'"), "{}", d.message);
        let d = parse_file("x = 1").unwrap_err();
        assert!(d.help.is_some());
    }
}
