//! The `.strat` language front-end: source text → [`Plan`](strata_runtime::Plan).
//!
//! Pipeline: [`parse`] (pest grammar in `grammar/strat.pest` → owned [`ast`] with spans) → [`lower`] (names, types,
//! arity, lookahead → plan nodes and rules). Every problem is a [`diagnostic::Diagnostic`] with a span; the design
//! choice is that nothing past this module sees source text, and nothing in this module runs a strategy.

pub mod ast;
pub mod diagnostic;
pub mod lower;
pub mod parse;

pub use diagnostic::{Diagnostic, Severity, Source};
pub use lower::{Compiled, Declaration, NamedExpr, compile, compile_declarations, compile_expressions};
