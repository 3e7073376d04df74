//! `--where "fast < slow"`: a constraint between a sweep's params.
//!
//! Design choice: a small expression language of its own — numbers, param names, `+ - * /`, comparisons, `and`,
//! `or`, `not`, parentheses — parsed once into a tree and evaluated per combination with the plan's own operators
//! (`BinOp`), so `--where` computes as a strategy does. It needs no bars, no series and no front-end, so the runtime
//! can prune a grid without knowing any strategy language; errors point at the column, like the compiler's.

use std::fmt;

use crate::plan::{BinOp, Plan};

/// A parse error in a `--where` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionError {
    pub text: String,
    /// 1-based column.
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}': column {}: {}", self.text, self.col, self.message)
    }
}

impl std::error::Error for ConditionError {}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Num(f64),
    Param(usize),
    Neg(Box<Node>),
    Not(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    text: String,
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Sym(&'static str),
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, usize)>,
    at: usize,
    plan: &'a Plan,
}

impl Condition {
    /// Parses `text` against `plan`'s params.
    pub fn parse(text: &str, plan: &Plan) -> Result<Condition, ConditionError> {
        let toks = lex(text)?;
        let mut p = Parser { text, toks, at: 0, plan };
        let root = p.or()?;
        if let Some((t, col)) = p.toks.get(p.at) {
            return Err(p.err(*col, format!("unexpected {}", show(t))));
        }
        Ok(Condition { text: text.trim().to_string(), root })
    }

    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when the combination `params` satisfies the condition.
    pub fn holds(&self, params: &[f64]) -> bool {
        let v = eval(&self.root, params);
        v != 0.0 && !v.is_nan()
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Num(v) => format!("number {v}"),
        Tok::Name(n) => format!("'{n}'"),
        Tok::Sym(s) => format!("'{s}'"),
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, usize)>, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            let s: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            let v = s.parse::<f64>().map_err(|_| ConditionError {
                text: text.into(),
                col,
                message: format!("'{s}' is not a number"),
            })?;
            out.push((Tok::Num(v), col));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Tok::Name(chars[start..i].iter().collect()), col));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = ["<=", ">=", "==", "!="].into_iter().find(|s| *s == two);
            let sym = sym.or_else(|| ["<", ">", "+", "-", "*", "/", "(", ")"].into_iter().find(|s| s.starts_with(c)));
            let Some(sym) = sym else {
                return Err(ConditionError { text: text.into(), col, message: format!("unexpected '{c}'") });
            };
            i += sym.len();
            out.push((Tok::Sym(sym), col));
        }
    }
    Ok(out)
}

impl Parser<'_> {
    fn err(&self, col: usize, message: String) -> ConditionError {
        ConditionError { text: self.text.into(), col, message }
    }

    fn end_col(&self) -> usize {
        self.text.chars().count() + 1
    }

    fn peek_sym(&self) -> Option<&'static str> {
        match self.toks.get(self.at) {
            Some((Tok::Sym(s), _)) => Some(s),
            _ => None,
        }
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.at), Some((Tok::Name(n), _)) if n == w)
    }

    fn or(&mut self) -> Result<Node, ConditionError> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Node::Bin(BinOp::Or, Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, ConditionError> {
        let mut left = self.not()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Node::Bin(BinOp::And, Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Node, ConditionError> {
        if self.peek_word("not") {
            self.at += 1;
            return Ok(Node::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Node, ConditionError> {
        let left = self.sum()?;
        let op = match self.peek_sym() {
            Some("<") => BinOp::Lt,
            Some("<=") => BinOp::Le,
            Some(">") => BinOp::Gt,
            Some(">=") => BinOp::Ge,
            Some("==") => BinOp::Eq,
            Some("!=") => BinOp::Ne,
            _ => return Ok(left),
        };
        self.at += 1;
        Ok(Node::Bin(op, Box::new(left), Box::new(self.sum()?)))
    }

    fn sum(&mut self) -> Result<Node, ConditionError> {
        let mut left = self.prod()?;
        while let Some(op) = self.peek_sym().and_then(|s| match s {
            "+" => Some(BinOp::Add),
            "-" => Some(BinOp::Sub),
            _ => None,
        }) {
            self.at += 1;
            left = Node::Bin(op, Box::new(left), Box::new(self.prod()?));
        }
        Ok(left)
    }

    fn prod(&mut self) -> Result<Node, ConditionError> {
        let mut left = self.unary()?;
        while let Some(op) = self.peek_sym().and_then(|s| match s {
            "*" => Some(BinOp::Mul),
            "/" => Some(BinOp::Div),
            _ => None,
        }) {
            self.at += 1;
            left = Node::Bin(op, Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, ConditionError> {
        if self.peek_sym() == Some("-") {
            self.at += 1;
            return Ok(Node::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Node, ConditionError> {
        let Some((tok, col)) = self.toks.get(self.at).cloned() else {
            return Err(self.err(self.end_col(), "expected a number, a param or '('".into()));
        };
        self.at += 1;
        match tok {
            Tok::Num(v) => Ok(Node::Num(v)),
            Tok::Name(n) if ["and", "or", "not"].contains(&n.as_str()) => {
                Err(self.err(col, format!("expected a number, a param or '(', found '{n}'")))
            }
            Tok::Name(n) => match self.plan.param_index(&n) {
                Some(i) => Ok(Node::Param(i)),
                None => {
                    let names: Vec<&str> = self.plan.params.iter().map(|p| p.name.as_str()).collect();
                    let hint = crate::suggest::hint(&n, names.iter().copied());
                    Err(self.err(col, format!("unknown param '{n}'{hint}")))
                }
            },
            Tok::Sym("(") => {
                let inner = self.or()?;
                if self.peek_sym() != Some(")") {
                    let c = self.toks.get(self.at).map_or(self.end_col(), |t| t.1);
                    return Err(self.err(c, "expected ')'".into()));
                }
                self.at += 1;
                Ok(inner)
            }
            Tok::Sym(s) => Err(self.err(col, format!("expected a number, a param or '(', found '{s}'"))),
        }
    }
}

/// The condition's value for `params`: arithmetic and comparisons exactly as the strategy language evaluates them
/// ([`BinOp::apply`]: `x / 0` and anything compared with it undefined, `and`/`or` three-valued).
fn eval(n: &Node, params: &[f64]) -> f64 {
    match n {
        Node::Num(v) => *v,
        Node::Param(i) => params.get(*i).copied().unwrap_or(f64::NAN),
        Node::Neg(a) => -eval(a, params),
        Node::Not(a) => {
            let v = eval(a, params);
            if v.is_nan() { v } else { BinOp::Eq.apply(v, 0.0) }
        }
        Node::Bin(op, l, r) => op.apply(eval(l, params), eval(r, params)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        let json = r#"{"name":"t","params":[
            {"name":"fast","ty":"Int","default":10,"range":null,"at":{"line":1,"col":1}},
            {"name":"slow","ty":"Int","default":30,"range":null,"at":{"line":2,"col":1}}],
            "vars":[],"nodes":[],"program":[],"source":"t.strat"}"#;
        serde_json::from_str(json).expect("plan")
    }

    #[test]
    fn evaluates_with_precedence() {
        let p = plan();
        let c = |t: &str, f: f64, s: f64| Condition::parse(t, &p).unwrap().holds(&[f, s]);
        assert!(c("fast < slow", 10.0, 30.0));
        assert!(!c("fast < slow", 30.0, 30.0));
        assert!(c("2 * fast <= slow - 10", 10.0, 30.0));
        assert!(!c("2 * fast <= slow - 11", 10.0, 30.0));
        assert!(c("fast < slow and not slow > 100 or fast == 99", 10.0, 30.0));
        assert!(c("fast == 99 or fast < slow and slow != 0", 10.0, 30.0), "and binds tighter than or");
        assert!(c("-(fast - slow) / 2 == 10", 10.0, 30.0));
        assert!(!c("fast / 0 > 1 and fast < 0", 10.0, 30.0));
    }

    #[test]
    fn errors_point_at_the_column() {
        let p = plan();
        let e = |t: &str| Condition::parse(t, &p).unwrap_err().to_string();
        assert_eq!(e("fats < slow"), "'fats < slow': column 1: unknown param 'fats' — did you mean 'fast'?");
        assert_eq!(e("fast <"), "'fast <': column 7: expected a number, a param or '('");
        assert_eq!(e("fast < slow)"), "'fast < slow)': column 12: unexpected ')'");
        assert_eq!(e("(fast < slow"), "'(fast < slow': column 13: expected ')'");
        assert_eq!(e("fast # slow"), "'fast # slow': column 6: unexpected '#'");
    }
}
