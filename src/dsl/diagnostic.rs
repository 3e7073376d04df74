//! Compiler diagnostics: a message tied to a span, rendered like a compiler's.
//!
//! ```text
//! strategies/x.strat:3:9: error: unknown indicator 'smaa' — did you mean 'sma'?
//!   |
//! 3 | let f = smaa(close, fast)
//!   |         ^^^^
//! ```
//!
//! Design choice: the first line alone is a complete message (file:line:col, severity, cause, expected vs found),
//! so tools and tests can read one line; the excerpt below it is for people.

use super::ast::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a source file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    /// An extra line of advice.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, span, message: message.into(), help: None }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, span, message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Characters of a source line shown around a mark.
const WINDOW: usize = 100;

/// A source file, for turning byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub label: &'a str,
    pub text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub fn new(label: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { label, text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text[start..floor_char_boundary(self.text, offset)].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of a 1-based line, without its newline.
    pub fn line_text(&self, line: usize) -> &'a str {
        let start = self.line_starts.get(line - 1).copied().unwrap_or(self.text.len());
        let end = self.line_starts.get(line).map_or(self.text.len(), |&e| e);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Renders one diagnostic: a one-line header, then the source line with the span marked.
    pub fn render(&self, d: &Diagnostic) -> String {
        let (line, col) = self.line_col(d.span.start);
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{}:{}:{}: {}: {}\n", self.label, line, col, severity, d.message);
        let text = self.line_text(line);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        // Mark the span on its first line (at least one caret).
        let (end_line, end_col) = self.line_col(d.span.end);
        let len = text.chars().count();
        let width =
            if end_line == line { end_col.saturating_sub(col).max(1) } else { len.saturating_sub(col - 1).max(1) };
        // A very long line is shown as a window around the mark.
        let first = (col - 1).saturating_sub(WINDOW / 2).min(len.saturating_sub(WINDOW));
        let shown: String = text.chars().skip(first).take(WINDOW).collect();
        let lead = if first > 0 { "…" } else { "" };
        let tail = if first + WINDOW < len { "…" } else { "" };
        let caret_at = col - 1 - first + lead.chars().count();
        let width = width.min((first + WINDOW + 1).saturating_sub(col - 1).max(1));
        out.push_str(&format!(
            "{pad} |\n{line} | {lead}{}{tail}\n{pad} | {}{}\n",
            expand_tabs(&shown),
            " ".repeat(caret_at),
            "^".repeat(width)
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("{pad} = help: {help}\n"));
        }
        out
    }

    /// Renders every diagnostic, errors and warnings in source order.
    pub fn render_all(&self, diags: &[Diagnostic]) -> String {
        let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
        sorted.sort_by_key(|d| (d.span.start, d.span.end));
        sorted.into_iter().map(|d| self.render(d)).collect::<Vec<_>>().join("")
    }
}

fn expand_tabs(s: &str) -> String {
    s.replace('\t', " ")
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_a_compiler() {
        let src = Source::new("x.strat", "param n = 3\nlet f = smaa(close, n)\n");
        let d = Diagnostic::error(Span::new(20, 24), "unknown indicator 'smaa' — did you mean 'sma'?");
        assert_eq!(
            src.render(&d),
            "x.strat:2:9: error: unknown indicator 'smaa' — did you mean 'sma'?\n  |\n2 | let f = smaa(close, n)\n  |         ^^^^\n"
        );
    }

    #[test]
    fn long_lines_show_a_window_around_the_mark() {
        let line = format!("let x = {}smaa(close, 3)", "close + ".repeat(40));
        let src = Source::new("x.strat", &line);
        let at = line.find("smaa").unwrap();
        let out = src.render(&Diagnostic::error(Span::new(at, at + 4), "unknown"));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[2].starts_with("1 | …") && lines[2].chars().count() < 120, "{}", lines[2]);
        let caret = lines[3].chars().position(|c| c == '^').unwrap();
        let marked: String = lines[2].chars().skip(caret).take(4).collect();
        assert_eq!(marked, "smaa", "{out}");
    }

    #[test]
    fn columns_count_characters() {
        let src = Source::new("x", "let é = 1\nlet b = é");
        assert_eq!(src.line_col(9), (1, 9));
        assert_eq!(src.line_col(12), (2, 2));
    }
}
