//! The owned syntax tree of a `.strat` file, every node carrying its source span.
//!
//! Design choice: the tree owns its strings and knows nothing of pest, so the checker and lowering work on plain
//! Rust data and every diagnostic can point at the exact text it is about.

use strata_runtime::plan::BinOp;

/// Byte offsets `[start, end)` into the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A name as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// `strategy "name"`
    pub header: Option<(String, Span)>,
    pub items: Vec<Item>,
}

/// A number written in a declaration, and whether it was written as a whole number (no `.` or exponent).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Literal {
    pub value: f64,
    pub whole: bool,
    pub span: Span,
}

/// `in MIN..MAX [step STEP]`
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: Literal,
    pub max: Literal,
    pub step: Option<Literal>,
    pub span: Span,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Param {
        name: Ident,
        default: Literal,
        range: Option<Range>,
        span: Span,
    },
    Let {
        name: Ident,
        value: Expr,
        span: Span,
    },
    Var {
        name: Ident,
        init: Expr,
        span: Span,
    },
    /// `pyramiding N`
    Pyramiding {
        value: Literal,
        span: Span,
    },
    /// `symbols A, B, C`
    Symbols {
        names: Vec<Ident>,
        span: Span,
    },
    Stmt(Stmt),
}

/// A statement run on every bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    When {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
        span: Span,
    },
    Assign {
        target: Ident,
        value: Expr,
        span: Span,
    },
    /// `buy` / `sell` / `short` / `cover` with a size and terms.
    Order {
        verb: Verb,
        size: Size,
        terms: Vec<Term>,
        span: Span,
    },
    Exit {
        span: Span,
    },
    /// `cancel NAME`
    Cancel {
        name: Ident,
        span: Span,
    },
}

/// The order keywords that take a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Buy,
    Sell,
    Short,
    Cover,
}

impl Verb {
    pub fn word(self) -> &'static str {
        match self {
            Verb::Buy => "buy",
            Verb::Sell => "sell",
            Verb::Short => "short",
            Verb::Cover => "cover",
        }
    }
}

/// One term of an order (`limit PRICE`, `stoploss 2%`, `for 5 bars`, `as dip`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub kind: TermKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TermKind {
    Limit(Expr),
    Stop(Expr),
    /// The level, and whether it is a percent.
    StopLoss(Expr, bool),
    TakeProfit(Expr, bool),
    Trail(Expr, bool),
    Gtc,
    Day,
    Bars(Expr),
    Name(Ident),
}

impl TermKind {
    /// The keyword that starts it.
    pub fn word(&self) -> &'static str {
        match self {
            TermKind::Limit(_) => "limit",
            TermKind::Stop(_) => "stop",
            TermKind::StopLoss(..) => "stoploss",
            TermKind::TakeProfit(..) => "takeprofit",
            TermKind::Trail(..) => "trail",
            TermKind::Gtc | TermKind::Day | TermKind::Bars(_) => "time in force",
            TermKind::Name(_) => "as",
        }
    }
}

/// How an order's size is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeUnit {
    /// `buy 10`
    Units,
    /// `buy 50%`
    Percent,
    /// `buy $5000`
    Cash,
    /// `buy risk 1% stop PRICE`
    Risk,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Size {
    pub unit: SizeUnit,
    pub amount: Expr,
    /// The stop of a `risk` size.
    pub stop: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number {
        value: f64,
        span: Span,
    },
    Bool {
        value: bool,
        span: Span,
    },
    Name(Ident),
    Call {
        name: Ident,
        args: Vec<Expr>,
        span: Span,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
        span: Span,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    /// `target[offset]`
    Index {
        target: Box<Expr>,
        offset: Box<Expr>,
        span: Span,
    },
    /// `target.name`
    Member {
        target: Box<Expr>,
        name: Ident,
        span: Span,
    },
    /// `target@1h`: `target` on the bars of a longer timeframe.
    Frame {
        target: Box<Expr>,
        /// The timeframe as written (`1h`).
        frame: Ident,
        span: Span,
    },
    /// `cond ? then : otherwise`
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Number { span, .. }
            | Expr::Bool { span, .. }
            | Expr::Call { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Index { span, .. }
            | Expr::Member { span, .. }
            | Expr::Frame { span, .. }
            | Expr::Conditional { span, .. } => *span,
            Expr::Name(id) => id.span,
        }
    }
}
